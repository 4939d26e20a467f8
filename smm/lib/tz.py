"""IANA time zone helpers."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in timezone_names()]


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value}, code="timezone")


def wall_to_utc(local: datetime, zone: str) -> datetime:
    """The instant a naive wall-clock time in `zone` means, in UTC.

    A wall time that does not exist (the spring-forward gap: 03:30 in Helsinki on the last Sunday
    of March) moves forward by the gap (to 04:30); one that exists twice (the autumn overlap) is
    the first of the two. Both come from PEP 495's fold=0.
    """
    if local.tzinfo is not None:
        raise ValueError("wall_to_utc takes a naive datetime")
    return local.replace(tzinfo=zoneinfo.ZoneInfo(zone), fold=0).astimezone(UTC)


def utc_to_wall(instant: datetime, zone: str) -> datetime:
    """The naive wall-clock time in `zone` of an aware instant."""
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
