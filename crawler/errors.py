"""Errors that mean "the user has something to fix".

The command line prints them as one line and exits with status 2; they never
carry a traceback to the terminal.
"""


class UserError(Exception):
    """A mistake in what the user gave us (a URL, a path, a file), with what to fix."""


class DatabaseError(UserError):
    """The archive database cannot be used as asked: unreachable, read-only, wrong revision."""
