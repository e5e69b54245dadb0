"""Dates as news pages write them, to timezone-aware UTC datetimes.

ISO 8601 (with or without offset, with any fraction), Unix timestamps, RFC 2822
(feeds), "05.01.2022 14:30" and Kyrgyz or Russian month names ("5-январь, 2022",
"5 января 2022 14:30"). A time without an offset is in the source's timezone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {
    # Kyrgyz (and the Russian nominative, which Kyrgyz uses)
    "январь": 1, "февраль": 2, "март": 3, "апрель": 4, "май": 5, "июнь": 6, "июль": 7,
    "август": 8, "сентябрь": 9, "октябрь": 10, "ноябрь": 11, "декабрь": 12,
    # Russian genitive
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip
_ABBREVIATIONS = {name[:3]: number for name, number in _MONTHS.items()}
_NUMERIC = re.compile(
    r"(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})(?:\D+(?P<H>\d{1,2}):(?P<M>\d{2}))?"
)
_WORDY = re.compile(
    r"(?P<d>\d{1,2})[\s-]*(?P<month>[а-яё]{3,9})\.?,?\s*(?:(?P<y>\d{4})(?:-?ж(?:ыл)?\.?)?)?"
    r"(?:\D{0,12}?(?P<H>\d{1,2}):(?P<M>\d{2}))?",
    re.IGNORECASE,
)
_TIME_FIRST = re.compile(r"(?P<H>\d{1,2}):(?P<M>\d{2})\s+(?P<rest>.+)")
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_date(value: str | None, timezone: tzinfo = UTC) -> datetime | None:
    """The instant `value` names, in UTC; None when it names none we can read."""
    if not value:
        return None
    value = " ".join(value.split())
    parsed = _iso(value) or _epoch(value) or _rfc2822(value) or _human(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone)
    parsed = parsed.astimezone(UTC)
    return parsed if parsed >= _EARLIEST else None


def _iso(value: str) -> datetime | None:
    candidate = value.replace("Z", "+00:00").replace("z", "+00:00")
    if " " in candidate and "T" not in candidate and candidate[:4].isdigit():
        candidate = candidate.replace(" ", "T", 1)
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _epoch(value: str) -> datetime | None:
    if not value.isdigit() or len(value) not in (10, 13):
        return None
    seconds = int(value) / (1000 if len(value) == 13 else 1)
    return datetime.fromtimestamp(seconds, UTC)


def _rfc2822(value: str) -> datetime | None:
    if not re.search(r"[A-Za-z]{3},? \d", value):
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _human(value: str) -> datetime | None:
    time_first = _TIME_FIRST.fullmatch(value)
    if time_first:  # Sputnik writes "14:30 05.01.2022"
        value = f"{time_first['rest']} {time_first['H']}:{time_first['M']}"
    match = _NUMERIC.search(value)
    month: int | None = None
    if match:
        month = int(match["m"])
    else:
        match = _WORDY.search(value)
        if match:
            word = match["month"].lower()
            month = _MONTHS.get(word) or _ABBREVIATIONS.get(word[:3])
    if not match or not month or not match["y"]:
        return None
    try:
        return datetime(
            int(match["y"]), month, int(match["d"]), int(match["H"] or 0), int(match["M"] or 0)
        )
    except ValueError:
        return None
