"""Property test of the pages' time formatting: the strftime shortcut writes what Babel writes, for any time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.i18n import LANG_COOKIE
from portal.templating import NUMERIC_PATTERNS, localtime
from tests.factories import make_app

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Pacific/Chatham")
# Naive times are UTC; aware ones may come in any offset. Years from 1 to 9999: the shortcut must know its limits.
naive = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
offsets = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
aware = st.builds(lambda value, zone: value.replace(tzinfo=zone), naive, st.one_of(st.just(UTC), offsets))


@pytest.fixture(scope="module", params=ZONES)
def zoned_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = tmp_path_factory.mktemp("localtime") / "portal.sqlite3"
    return make_app(f"sqlite:///{path}", MINGJING_TIMEZONE=request.param)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@settings(max_examples=150, deadline=None)
@given(value=st.one_of(naive, aware), pattern=st.sampled_from([*NUMERIC_PATTERNS, "yyyy年M月d日", "EEEE HH:mm"]))
def test_localtime_writes_what_babel_writes(zoned_app: Flask, language: str, value: datetime, pattern: str) -> None:
    with zoned_app.test_request_context("/", headers={"Cookie": f"{LANG_COOKIE}={language}"}):
        try:
            expected = format_datetime(value, pattern)
        except (OverflowError, ValueError):  # the zone's conversion leaves the calendar (year 1 or 9999)
            with pytest.raises((OverflowError, ValueError)):
                localtime(value, pattern)
            return
        assert localtime(value, pattern) == expected


def test_localtime_is_the_courts_wall_clock(zoned_app: Flask) -> None:
    """A readable case, so the property above is not trivially true: midnight UTC in the court's zone."""
    with zoned_app.test_request_context("/"):
        shown = localtime(datetime(2026, 7, 1, 0, 0, tzinfo=UTC))
        zone = zoned_app.config["MINGJING_TIMEZONE"]
    assert (
        shown
        == {
            "Asia/Shanghai": "2026-07-01 08:00",
            "Europe/Berlin": "2026-07-01 02:00",
            "America/New_York": "2026-06-30 20:00",
            "Pacific/Chatham": "2026-07-01 12:45",
        }[zone]
    )
