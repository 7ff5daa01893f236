"""
A post's discussion as readers see it: approved comments in thread order, tombstones
where a removed comment still has visible replies, paginated by top-level thread, and
rendered once per change.

A page is read without reading the whole discussion: the page's top-level comments
("roots") are found in the database, in the reader's order, through their own index
(``comment_roots_idx``), then only those threads' rows are loaded, each thread being one
``thread_path`` range. So a page of a post with 5,000 comments loads the rows it shows,
as a page of a post with 50 does; what still grows with the post is counting (the
approved comments, the roots) inside the database. A page nearer the end is read from the
end (``rows_from_nearer_end``), so the last page seeks in the index as the first does.

The rendered HTML is cached under a key that includes the post's comment version (the
same version token the API's ETags and the page cache use, see ``cms.api_cache``). Any
change readers could see (a comment approved, or one that was approved changed or
removed; any deletion) replaces it, so stale HTML is never served again and never needs
to be found and deleted.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime
from math import ceil

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat, Length, LPad, Substr
from django.http import Http404

from cms.api_cache import COMMENTS, bump, comments_of_post, current_versions

from .models import PATH_SEGMENT_WIDTH, Comment
from .pinning import pinned_on_post
from .sorting import DEFAULT_ORDER, MOST_REPLIES, ROOT_ORDERINGS, flatten
from .thread_html import thread_html

THREAD_CACHE_SECONDS = 60 * 60 * 24
#: Every status but approved, named so the tombstones are found in ``comment_thread_idx``
#: (post, status, …) rather than by reading every comment of the post.
REMOVED_STATUSES = [status for status in Comment.Status if status != Comment.Status.APPROVED]


@dataclass(slots=True)
class ThreadComment:
    """A comment as a page of threads shows it: its public fields, read as a row. The ORM
    building a model instance a comment took a millisecond of a cold post page (91
    comments); the API, which serializes instances, reads them as such."""

    id: int
    post_id: int
    parent_id: int | None
    depth: int
    thread_path: str
    author_name: str
    author_url: str
    body_html: str
    status: str
    created_at: datetime
    is_staff_reply: bool
    pinned_at: datetime | None
    moderated_at: datetime | None
    edited_at: datetime | None
    deleted_by_author_at: datetime | None

    # The model's own rules, read from these fields.
    Status = Comment.Status
    is_public = property(Comment.is_public.fget)
    is_pinned = property(Comment.is_pinned.fget)

    @property
    def pk(self):
        return self.id


PUBLIC_FIELDS = tuple(public.name for public in fields(ThreadComment))


def thread_version(post_id):
    (version,) = current_versions([comments_of_post(post_id)])
    return version


def bump_thread_version(post_id):
    """For changes that bypass model signals (queryset updates): the thread, the post page
    and the API's comment responses of this post are rebuilt on their next read."""
    bump(COMMENTS, comments_of_post(post_id))


@dataclass
class ThreadNode:
    comment: Comment
    removed: bool = False
    children: list = field(default_factory=list)


def thread_end(path):
    """The first path after every path of the thread under ``path``: the same path with
    its last id plus one. Between the two lie exactly the comment and its replies, in
    byte order and in a language's collation alike (one that skips the ``/`` still
    compares the fixed-width ids digit by digit)."""
    prefix, _, last = path.rpartition("/")
    following = str(int(last) + 1).zfill(PATH_SEGMENT_WIDTH)
    return f"{prefix}/{following}" if prefix else following


def _outer_thread_end():
    """``thread_end`` of the outer query's comment, in SQL (its last segment is its id)."""
    path = OuterRef("thread_path")
    return Concat(
        Substr(path, 1, Length(path) - PATH_SEGMENT_WIDTH),
        LPad(Cast(OuterRef("id") + 1, CharField()), PATH_SEGMENT_WIDTH, Value("0")),
        output_field=CharField(),
    )


def approved_replies_of_outer(post_id):
    """The approved replies, at every depth, of the outer query's comment: one range of
    ``comment_thread_idx`` (post, status, thread_path), read without the table."""
    return Comment.objects.approved().filter(
        post_id=post_id,
        thread_path__gt=OuterRef("thread_path"),
        thread_path__lt=_outer_thread_end(),
    )


def _count_of(queryset):
    return Subquery(
        queryset.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


class HasApprovedReply(Func):
    """Whether the comment has an approved reply at any depth, among the comments of post
    ``post_id``: ``Exists(approved_replies_of_outer(post_id))`` written as the SQL it
    compiles to. Django resolving and compiling that subquery (its thread end is seven
    nested expressions) took about 0.9 ms of CPU in each query of a page of threads."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, post_id):
        super().__init__(F("thread_path"), F("id"))
        self.post_id = post_id

    def as_sql(self, compiler, connection):
        path, path_params = compiler.compile(self.source_expressions[0])
        pk, pk_params = compiler.compile(self.source_expressions[1])
        table = connection.ops.quote_name(Comment._meta.db_table)
        width = int(PATH_SEGMENT_WIDTH)
        end = (
            f"(SUBSTR({path}, 1, LENGTH({path}) - {width})"
            f" || LPAD(CAST({pk} + 1 AS VARCHAR), {width}, '0'))"
        )
        # The table is the model's own; every value is a parameter.
        sql = (
            f"EXISTS(SELECT 1 FROM {table} reply WHERE reply.status = %s"  # noqa: S608
            f" AND reply.post_id = %s AND reply.thread_path > {path}"
            f" AND reply.thread_path < {end})"
        )
        params = [Comment.Status.APPROVED.value, self.post_id]
        params += [*path_params, *path_params, *path_params, *pk_params]
        return sql, params


def visible_roots(post_id):
    """Top-level comments readers see: approved ones, and removed ones that still have an
    approved reply somewhere below (shown as a tombstone)."""
    return Comment.objects.filter(post_id=post_id, parent__isnull=True).filter(
        Q(status=Comment.Status.APPROVED) | HasApprovedReply(post_id)
    )


def unpinned_roots(post_id, order=DEFAULT_ORDER, *, with_reply_counts=False):
    """Visible top-level comments other than the pinned ones, in ``order``. The date
    orders walk ``comment_roots_idx`` and stop at the page; "most replies" counts each
    root's approved replies in the same query (an index-only range per root), and so
    does ``with_reply_counts``, which selects them as ``reply_count``."""
    roots = visible_roots(post_id).exclude(status=Comment.Status.APPROVED, pinned_at__isnull=False)
    # Made only when used: the date orders of a page of threads do without it.
    if with_reply_counts:
        roots = roots.annotate(reply_count=_count_of(approved_replies_of_outer(post_id)))
    elif order == MOST_REPLIES:
        roots = roots.alias(reply_count=_count_of(approved_replies_of_outer(post_id)))
    return roots.order_by(*ROOT_ORDERINGS[order])


def pinned_roots(post_id):
    return list(
        pinned_on_post(post_id).order_by("pinned_at", "pk").values_list("pk", "thread_path")
    )


def approved_total(post_id):
    return Comment.objects.approved().filter(post_id=post_id).count()


class WithinRanges(Func):
    """``expression`` in any of ``ranges`` (``(start, end)``, the end excluded): the SQL a
    ``Q`` of two lookups per range writes, ``(x >= start AND x < end) OR …``, without
    Django resolving two lookups per range (fifty threads on a page: 3 ms of CPU)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, expression, ranges):
        super().__init__(expression)
        self.ranges = list(ranges)

    def as_sql(self, compiler, connection):
        if not self.ranges:
            return "(1 = 0)", []
        column, params = compiler.compile(self.source_expressions[0])
        tests = " OR ".join(f"({column} >= %s AND {column} < %s)" for _ in self.ranges)
        return f"({tests})", [*params, *(bound for pair in self.ranges for bound in pair)]


def approved_in_threads(post_id, root_paths):
    """The approved comments of the threads under ``root_paths``, in reading order: one
    ``comment_thread_idx`` range per thread."""
    ranges = WithinRanges(F("thread_path"), [(path, thread_end(path)) for path in root_paths])
    return Comment.objects.approved().filter(ranges, post_id=post_id).order_by("thread_path")


def threads_of(post_id, roots, *, as_rows=False):
    """The threads of ``roots`` (``(id, thread_path)`` pairs) as trees, in that order:
    their approved comments (one ``thread_path`` range each) plus the removed comments
    they hang from, as ``Comment`` instances or, ``as_rows``, as ``ThreadComment`` rows.
    Two queries at most, rows in proportion to what is shown."""
    if not roots:
        return []

    def read(comments):
        if as_rows:
            return [ThreadComment(*row) for row in comments.values_list(*PUBLIC_FIELDS)]
        return list(comments.only(*PUBLIC_FIELDS))

    approved = read(approved_in_threads(post_id, [path for _, path in roots]))
    present = {comment.pk for comment in approved}
    missing = {
        int(segment)
        for comment in approved
        for segment in comment.thread_path.split("/")[:-1]
        if int(segment) not in present
    }
    removed = read(Comment.objects.filter(pk__in=missing).order_by()) if missing else []
    entries = [ThreadNode(comment) for comment in approved]
    entries += [ThreadNode(comment, removed=True) for comment in removed]
    entries.sort(key=lambda node: node.comment.thread_path)
    by_root = {node.comment.pk: node for node in build_tree(entries)}
    return [by_root[pk] for pk, _ in roots if pk in by_root]


def build_tree(entries):
    roots, by_id = [], {}
    for node in entries:
        by_id[node.comment.pk] = node
        parent = by_id.get(node.comment.parent_id)
        (parent.children if parent else roots).append(node)
    return roots


@dataclass
class ThreadPage:
    roots: list
    number: int
    num_pages: int


def thread_page(post_id, page_number=1, order=DEFAULT_ORDER):
    """Page ``page_number`` of the post's threads in ``order``: pinned threads first, then
    the others; 404 for a page that does not exist (page 1 always does)."""
    per_page = settings.COMMENTS_THREADS_PER_PAGE
    pinned = pinned_roots(post_id)
    unpinned = unpinned_roots(post_id, order)
    unpinned_count = unpinned.count()
    num_pages = max(1, ceil((len(pinned) + unpinned_count) / per_page))
    if not 1 <= page_number <= num_pages:
        # Only real pages are kept, so made-up numbers cannot grow the cache.
        raise Http404("That page of comments does not exist.")
    start, stop = (page_number - 1) * per_page, page_number * per_page
    chosen = pinned[start:stop]
    if stop > len(pinned):
        chosen += rows_from_nearer_end(
            unpinned.values_list("pk", "thread_path"),
            max(0, start - len(pinned)),
            min(stop - len(pinned), unpinned_count),
            unpinned_count,
        )
    return ThreadPage(threads_of(post_id, chosen, as_rows=True), page_number, num_pages)


def rows_from_nearer_end(ordered, start, stop, total):
    """Rows ``start`` to ``stop`` of ``ordered`` (``total`` rows in all). An OFFSET reads
    every row it skips, so a slice nearer the end is read in the reverse order, skipping
    from the end: the last page then seeks in the index as the first does."""
    if start >= stop:
        return []
    skipped_at_end = total - stop
    if skipped_at_end >= start:
        return list(ordered[start:stop])
    return list(ordered.reverse()[skipped_at_end : total - start])[::-1]


def root_position(post_id, root_id):
    """Where the thread of ``root_id`` stands among the post's threads in the default
    order (0 first), counted in the database."""
    pinned = [pk for pk, _ in pinned_roots(post_id)]
    if root_id in pinned:
        return pinned.index(root_id)
    created_at = Comment.objects.filter(pk=root_id).values_list("created_at", flat=True).first()
    if created_at is None:
        return 0
    before = unpinned_roots(post_id).filter(
        Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=root_id)
    )
    return len(pinned) + before.count()


def comment_url(post, comment):
    """Where a reader sees this comment: its anchor, on the page of threads that holds it
    in the default order (the one links without ``sort`` show)."""
    page_number = 1
    if comment.status == Comment.Status.APPROVED:
        root_id = int(comment.thread_path.split("/")[0]) if comment.thread_path else comment.pk
        page_number = root_position(post.pk, root_id) // settings.COMMENTS_THREADS_PER_PAGE + 1
    query = f"?cpage={page_number}" if page_number > 1 else ""
    return f"{post.url}{query}#{comment.anchor}"


def render_thread(post, page_number=1, *, comments_open=True, order=DEFAULT_ORDER):
    """HTML of one page of the post's threads in ``order`` (a key of ``sorting.ORDERS``)
    and the numbers around it, cached by version.

    Reply links show only while comments are open; a post closes without any comment
    changing (its switch, or "close after N days" passing), so that is part of the key.
    """
    version = thread_version(post.pk)
    state = "open" if comments_open else "closed"
    key = f"comments:thread-html:{post.pk}:v{version}:{state}:{order}:p{page_number}"
    cached = cache.get(key)
    if cached is not None:
        return cached

    page = thread_page(post.pk, page_number, order)
    rendered = {
        "html": thread_html(
            page.roots, max_depth=settings.COMMENTS_MAX_DEPTH, comments_open=comments_open
        ),
        "count": approved_total(post.pk),
        "page_number": page.number,
        "num_pages": page.num_pages,
        "order": order,
    }
    cache.set(key, rendered, THREAD_CACHE_SECONDS)
    return rendered


class ThreadListing:
    """A post's visible comments in reading order (each thread flattened, threads in
    ``order``, pinned first) as a sequence the API's limit/offset pagination slices.

    Its length is two index-only counts (approved comments, tombstones). A slice loads
    only the threads it overlaps; to find them, the roots are walked in order from the
    nearer end of the list, a batch at a time, each with the number of rows its thread
    shows (its approved replies counted in the same query: an index-only range of
    ``comment_thread_idx`` per root). So the last 50 comments cost what the first 50 do,
    and neither reads a row per thread of the whole post."""

    def __init__(self, post_id, order=DEFAULT_ORDER):
        self.post_id = post_id
        self.order = order
        self._tombstones = None
        self._length = None

    def tombstone_paths(self):
        """Removed comments that still have an approved reply: rare, so listed outright."""
        if self._tombstones is None:
            self._tombstones = list(
                Comment.objects.filter(post_id=self.post_id, status__in=REMOVED_STATUSES)
                .filter(Exists(approved_replies_of_outer(self.post_id)))
                .values_list("thread_path", flat=True)
            )
        return self._tombstones

    def __len__(self):
        if self._length is None:
            self._length = approved_total(self.post_id) + len(self.tombstone_paths())
        return self._length

    def _roots(self, batch, *, from_end=False):
        """``(id, thread_path, approved replies)`` of the visible roots in reading order
        (pinned threads first, in the order they were pinned, then the others in
        ``order``), or from the last; the others are read ``batch`` at a time, through
        ``comment_roots_idx`` in the date orders, each batch four times the last."""
        columns = ("pk", "thread_path", "reply_count")
        pinned = (
            pinned_on_post(self.post_id)
            .annotate(reply_count=_count_of(approved_replies_of_outer(self.post_id)))
            .order_by("pinned_at", "pk")
            .values_list(*columns)
        )
        others = unpinned_roots(self.post_id, self.order, with_reply_counts=True).values_list(
            *columns
        )
        if from_end:
            # Read last, if the walk gets that far.
            others, pinned = others.reverse(), pinned.reverse()
        else:
            yield from pinned
        offset = 0
        while True:
            rows = list(others[offset : offset + batch])
            yield from rows
            if len(rows) < batch:
                break
            offset, batch = offset + batch, batch * 4
        if from_end:
            yield from pinned

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("A thread listing is read in slices.")
        total = len(self)
        start, stop = index.start or 0, min(index.stop or 0, total)
        if stop <= start:
            return []
        # A tombstone below the root adds a row to its thread; one at the root replaces it.
        inner_tombstones = {}
        for path in self.tombstone_paths():
            root_path, _, below = path.partition("/")
            if below:
                inner_tombstones[root_path] = inner_tombstones.get(root_path, 0) + 1

        def rows_shown(path, reply_count):
            return 1 + reply_count + inner_tombstones.get(path, 0)

        # Every thread shows at least its root, so one batch of roots covers a slice
        # that starts at either end.
        batch = stop - start + 1
        chosen, first_row = [], None
        if total - stop >= start:
            position = 0
            for pk, path, reply_count in self._roots(batch):
                shown = rows_shown(path, reply_count)
                if position + shown > start:
                    first_row = position if first_row is None else first_row
                    chosen.append((pk, path))
                position += shown
                if position >= stop:
                    break
        else:
            position = total
            for pk, path, reply_count in self._roots(batch, from_end=True):
                position -= rows_shown(path, reply_count)
                if position < stop:
                    chosen.append((pk, path))
                if position <= start:
                    break
            chosen.reverse()
            first_row = position
        if not chosen:
            return []
        flat = flatten(threads_of(self.post_id, chosen))
        return flat[start - first_row : stop - first_row]
