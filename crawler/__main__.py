"""`kgnews` (and `python -m crawler`): the command, started so that a Ctrl-C or systemd's
SIGTERM while it is still loading ends it with one line, never a traceback."""

from __future__ import annotations

import os
import signal


def _stopped_while_loading(signum: int, _frame: object) -> None:
    os.write(2, f"kgnews: stopped by {signal.Signals(signum).name}\n".encode())
    os._exit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGINT, _stopped_while_loading)
    signal.signal(signal.SIGTERM, _stopped_while_loading)
    from crawler.cli import main as run  # the heavy imports, after the handlers

    run()


if __name__ == "__main__":
    main()
