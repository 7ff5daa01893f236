"""The thread's dates, written without Django's date formatter, read as the ``|date``
filter writes them (blog.comments.thread_html)."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.timezone import template_localtime

import pytest

from blog.comments.models import Comment
from blog.comments.thread_html import (
    MACHINE_DATE,
    READER_DATE,
    _machine_date,
    _ReaderDates,
    thread_html,
)
from blog.comments.threads import threads_of, unpinned_roots
from tests.comments.conftest import make_comment


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
        reader_date = _ReaderDates()
        for moment in moments():
            assert _machine_date(moment) == format_date(moment.astimezone(UTC), MACHINE_DATE)
            assert reader_date(moment) == format_date(template_localtime(moment), READER_DATE)


@pytest.mark.django_db
@pytest.mark.parametrize("comments_open", [True, False])
def test_a_page_read_as_rows_is_the_html_of_the_model_instances(seed_post, comments_open):
    """A page of threads is read as ``ThreadComment`` rows; its HTML is byte for byte
    what the comments' model instances make, for every part a comment can show: a
    website, a staff reply, a pin, an edit, a moderator's decision, a tombstone left by
    a moderator or by the author, replies down to the deepest level."""
    now = timezone.now()
    pinned = make_comment(seed_post, author_url="https://example.com/<me>", pinned_at=now)
    deep = pinned
    for depth in range(4):
        deep = make_comment(seed_post, parent=deep, is_staff_reply=depth == 1, edited_at=now)
    removed = make_comment(seed_post, status=Comment.Status.TRASH)
    make_comment(seed_post, parent=removed, author_name='Ann "<b>" & Co', moderated_at=now)
    deleted = make_comment(seed_post, status=Comment.Status.TRASH, deleted_by_author_at=now)
    make_comment(seed_post, parent=deleted)
    roots = list(unpinned_roots(seed_post.pk).values_list("pk", "thread_path"))
    roots.insert(0, (pinned.pk, pinned.thread_path))

    def html(as_rows):
        return thread_html(
            threads_of(seed_post.pk, roots, as_rows=as_rows),
            max_depth=settings.COMMENTS_MAX_DEPTH,
            comments_open=comments_open,
        )

    assert html(as_rows=True) == html(as_rows=False)
    shown = html(as_rows=True)
    for part in ("comment--pinned", "comment--staff", "comment__edited", "comment--removed"):
        assert part in shown
    assert "Comment deleted by its author." in shown
    assert "This comment was removed." in shown
