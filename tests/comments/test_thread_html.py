"""The thread's dates, written without Django's date formatter, read as the ``|date``
filter writes them (blog.comments.thread_html)."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.timezone import template_localtime

import pytest

from blog.comments.thread_html import (
    MACHINE_DATE,
    READER_DATE,
    _machine_date,
    _reader_date,
)


def moments():
    """Every month, one- and two-digit days and hours, midnight, the seconds' edges, the
    days around Europe's and America's clock changes, and a year before 1000."""
    start = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    for hours in range(0, 365 * 24, 37):
        yield start + timedelta(hours=hours, seconds=hours % 60)
    for day in (datetime(2025, 3, 30, 0, 59, 59), datetime(2025, 10, 26, 1, 0, 1)):
        for minutes in range(0, 240, 15):
            yield day.replace(tzinfo=UTC) + timedelta(minutes=minutes)
    yield datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    yield datetime(999, 2, 3, 4, 5, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati", "Asia/Kathmandu"]
)
@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_dates_read_as_the_date_filter_writes_them(zone, language):
    with timezone.override(zone), translation.override(language):
        for moment in moments():
            assert _machine_date(moment) == format_date(moment.astimezone(UTC), MACHINE_DATE)
            assert _reader_date(moment) == format_date(template_localtime(moment), READER_DATE)
