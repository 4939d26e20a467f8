# ruff: noqa: DTZ001  (naive wall-clock times are what these functions take)
"""Wall-clock times across daylight-saving changes (Europe/Helsinki)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smm.lib.tz import utc_to_wall, wall_to_utc

HELSINKI = "Europe/Helsinki"


def test_a_normal_time_is_converted_with_the_right_offset() -> None:
    assert wall_to_utc(datetime(2026, 1, 15, 9, 0), HELSINKI) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)  # EET +2
    assert wall_to_utc(datetime(2026, 7, 15, 9, 0), HELSINKI) == datetime(2026, 7, 15, 6, 0, tzinfo=UTC)  # EEST +3


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    # 2026-03-29: clocks go from 03:00 to 04:00; 03:30 does not exist and means 04:30 EEST.
    instant = wall_to_utc(datetime(2026, 3, 29, 3, 30), HELSINKI)
    assert instant == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert utc_to_wall(instant, HELSINKI) == datetime(2026, 3, 29, 4, 30)


def test_a_time_in_the_autumn_overlap_is_the_first_of_the_two() -> None:
    # 2026-10-25: 03:30 happens twice (EEST, then EET); smm takes the first.
    instant = wall_to_utc(datetime(2026, 10, 25, 3, 30), HELSINKI)
    assert instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert utc_to_wall(instant, HELSINKI) == datetime(2026, 10, 25, 3, 30)


def test_it_refuses_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        wall_to_utc(datetime(2026, 1, 1, tzinfo=UTC), HELSINKI)
