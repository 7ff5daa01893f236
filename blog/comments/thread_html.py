"""
The HTML of a page of a post's threads, built in Python.

A page of a busy post shows about a hundred comments, and a template included once per
comment cost about half of a cold post page (a new context, a ``{% url %}`` reverse, two
``|date`` filters and the tag and variable lookups, for each comment). Here the report URL
is reversed once per page and filled in per comment, and each comment's ``<li>`` is joined
from strings, with every reader's string (author names, URLs) escaped; ``body_html`` is
already sanitized and marked safe when it is stored, so it goes in as it is.

Dates read as Django's ``|date`` filter writes them (``MACHINE_DATE`` in UTC,
``READER_DATE`` in the current time zone), spelled out here rather than through
``django.utils.dateformat``, which builds a formatter and walks the format string for
each date: two dates a comment were half of this module's time on a page of 91.
"""

from datetime import UTC

from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

# The module, not its function: editing imports (through notify) the threads that import this.
from . import editing

MACHINE_DATE = r"Y-m-d\TH:i:s\Z"
READER_DATE = r"j F Y \a\t H:i"
#: Reversed in the report URL's place of the comment's id, then replaced by each id.
_ID_STANDIN = 987654321


def thread_html(roots, *, max_depth, comments_open):
    """The ``<ol>`` of ``roots`` (``threads.ThreadNode`` trees), replies nested."""
    report_prefix, _, report_suffix = reverse("comments:report", args=[_ID_STANDIN]).partition(
        str(_ID_STANDIN)
    )
    renderer = _CommentRenderer(
        conditional_escape(report_prefix),
        conditional_escape(report_suffix),
        max_depth,
        comments_open,
    )
    parts = ['<ol class="comment-list">\n    ']
    for node in roots:
        renderer.append(node, parts)
    parts.append("\n</ol>\n")
    return mark_safe("".join(parts))  # noqa: S308 (every reader's string is escaped above)


def _machine_date(value):
    """``value`` as ``|date:MACHINE_DATE`` writes it in UTC."""
    utc = value.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


class _ReaderDates:
    """Dates as ``|date:READER_DATE`` writes them in the current time zone and language,
    the month names translated and escaped once a page rather than once a date (85
    dates: 0.75 ms). The rest of the string is digits and "at": nothing to escape."""

    def __init__(self):
        self.months = {number: conditional_escape(name) for number, name in MONTHS.items()}

    def __call__(self, value):
        local = template_localtime(value)
        return (
            f"{local.day} {self.months[local.month]} {local.year:04d}"
            f" at {local.hour:02d}:{local.minute:02d}"
        )


class _CommentRenderer:
    def __init__(self, report_prefix, report_suffix, max_depth, comments_open):
        self.report_prefix = report_prefix
        self.report_suffix = report_suffix
        self.max_depth = max_depth
        self.comments_open = comments_open
        self.reader_date = _ReaderDates()

    def append(self, node, parts):
        """Add the ``<li>`` of ``node`` and its replies to ``parts``."""
        comment = node.comment
        pk = str(int(comment.pk))
        classes = "comment"
        if node.removed:
            classes += " comment--removed"
        if comment.is_staff_reply:
            classes += " comment--staff"
        if not node.removed and comment.is_pinned:
            classes += " comment--pinned"
        parts.append(
            f'\n<li id="comment-{pk}" class="{classes}" data-comment-id="{pk}"'
            f' data-depth="{int(comment.depth)}">\n    '
        )
        if node.removed:
            if comment.deleted_by_author_at:
                notice = "Comment deleted by its author."
            else:
                notice = "This comment was removed."
            parts.append(f'\n        <p class="comment__removed">{notice}</p>\n    ')
        else:
            self._append_article(node, pk, parts)
        parts.append("\n    ")
        if node.children:
            parts.append('\n        <ol class="comment-list comment-list--replies">\n            ')
            for child in node.children:
                self.append(child, parts)
            parts.append("\n        </ol>\n    ")
        parts.append("\n</li>\n\n")

    def _append_article(self, node, pk, parts):
        comment = node.comment
        name = conditional_escape(comment.author_name)
        if comment.author_url:
            author = (
                f'<a href="{conditional_escape(comment.author_url)}" rel="nofollow ugc noopener">'
                f"<bdi>{name}</bdi></a>"
            )
        else:
            author = f"<bdi>{name}</bdi>"
        staff = '<span class="comment__badge">Staff</span>' if comment.is_staff_reply else ""
        pinned = (
            '<span class="comment__badge comment__badge--pinned" data-pinned>Pinned</span>'
            if comment.is_pinned
            else ""
        )
        edited = ""
        if comment.edited_at:
            edited = (
                f'<span class="comment__edited">(edited <time datetime="'
                f'{_machine_date(comment.edited_at)}">{self.reader_date(comment.edited_at)}'
                f"</time>)</span>"
            )
        controls = ""
        if not node.children and not comment.moderated_at:
            controls = editing.controls_placeholder(comment.pk)
        reply = ""
        if int(comment.depth) + 1 < self.max_depth and self.comments_open:
            reply = (
                f'<a class="comment__reply" href="?replytocom={pk}#respond"'
                f' data-reply-to="{pk}" data-reply-name="{name}" rel="nofollow">Reply'
                f'<span class="visually-hidden"> to <bdi>{name}</bdi></span></a> · '
            )
        parts.append(
            f'\n        <article aria-label="Comment by {name}">'
            '\n            <header class="comment__meta">'
            f'\n                <span class="comment__author">{author}</span>'
            f"\n                {staff}"
            f"\n                {pinned}"
            f'\n                <a class="comment__permalink" href="#comment-{pk}">'
            f'<time datetime="{_machine_date(comment.created_at)}">'
            f"{self.reader_date(comment.created_at)}</time></a>"
            f"\n                {edited}"
            "\n            </header>"
            f'\n            <div class="comment__body">{comment.body_html}</div>'
            f"\n            {controls}"
            f'\n            <p class="comment__actions">{reply}<a class="comment__report"'
            f' href="{self.report_prefix}{pk}{self.report_suffix}" rel="nofollow">Report'
            f'<span class="visually-hidden"> the comment by <bdi>{name}</bdi></span></a></p>'
            "\n        </article>\n    "
        )
