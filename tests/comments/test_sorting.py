"""Thread orders: oldest first (the default), newest first, most replies; each through the
page (links that work without script, paginated under each order, cached per order) and
the API (``sort=``, 422 for an unknown order); replies stay in conversation order under
their parent; a 300-comment thread with pins costs the same queries in every order."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from blog.comments.models import Comment
from blog.comments.sorting import DEFAULT_ORDER, ORDERS
from blog.comments.threads import bump_thread_version, comment_url
from cms.page_cache import has_canonical_query
from tests.comments.conftest import make_comment
from tests.comments.test_threads import comment_tree

ORDER_NAMES = list(ORDERS)


def tops(client, post, query=""):
    return [text for text, _ in comment_tree(client, post, query)]


def api_texts(client, post, sort=None, **params):
    query = {"page": post.pk, **params}
    if sort:
        query["sort"] = sort
    response = client.get("/api/v3/comments/", query)
    assert response.status_code == 200, response.content
    return [
        (item["depth"], BeautifulSoup(item["html"], "html.parser").get_text())
        for item in (response.json()["items"])
    ]


@pytest.fixture
def conversation(seed_post):
    """Three threads: A (oldest, one reply), B (three replies, one nested), C (newest,
    none). Replies are posted out of thread order, so conversation order is visible."""
    a = make_comment(seed_post, body="A")
    b = make_comment(seed_post, body="B")
    b1 = make_comment(seed_post, parent=b, body="B1")
    make_comment(seed_post, parent=a, body="A1")
    make_comment(seed_post, parent=b1, body="B1a")
    make_comment(seed_post, parent=b, body="B2")
    c = make_comment(seed_post, body="C")
    return {"a": a, "b": b, "c": c}


EXPECTED = {
    "oldest": ["A", "B", "C"],
    "newest": ["C", "B", "A"],
    "replies": ["B", "A", "C"],
}
SUBTREES = {
    "A": [("A1", [])],
    "B": [("B1", [("B1a", [])]), ("B2", [])],
    "C": [],
}


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_each_order_through_the_page_keeps_replies_in_conversation_order(
    client, seed_post, conversation, order
):
    query = "" if order == DEFAULT_ORDER else f"?sort={order}"
    tree = comment_tree(client, seed_post, query)
    assert tree == [(text, SUBTREES[text]) for text in EXPECTED[order]]


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_each_order_through_the_api(client, seed_post, conversation, order):
    flat = []
    for text in EXPECTED[order]:
        flat.append((0, text))
        flat += {
            "A": [(1, "A1")],
            "B": [(1, "B1"), (2, "B1a"), (1, "B2")],
            "C": [],
        }[text]
    assert api_texts(client, seed_post, order) == flat
    if order == DEFAULT_ORDER:
        assert api_texts(client, seed_post) == flat


def test_most_replies_counts_replies_a_reader_sees_and_breaks_ties_oldest_first(
    client, seed_post, admin_user
):
    first = make_comment(seed_post, body="First")
    second = make_comment(seed_post, body="Second")
    third = make_comment(seed_post, body="Third")
    make_comment(seed_post, parent=first, body="First's reply")
    make_comment(seed_post, parent=second, body="Second's reply")
    make_comment(seed_post, parent=third, body="Held reply", status=Comment.Status.PENDING)
    make_comment(seed_post, parent=third, body="Spam reply", status=Comment.Status.SPAM)
    assert tops(client, seed_post, "?sort=replies") == ["First", "Second", "Third"]


def test_the_order_control_is_plain_links_with_the_current_one_marked(
    client, seed_post, conversation
):
    html = BeautifulSoup(client.get(seed_post.url + "?sort=newest").content, "html.parser")
    links = html.select("[data-comment-orders] a")
    assert [link.get_text() for link in links] == list(ORDERS.values())
    assert [link["href"] for link in links] == [
        f"{seed_post.url}#comments",
        f"{seed_post.url}?sort=newest#comments",
        f"{seed_post.url}?sort=replies#comments",
    ]
    assert [link.get("aria-current") for link in links] == [None, "true", None]


def test_an_unknown_order_on_the_page_reads_as_the_default(client, seed_post, conversation):
    response = client.get(seed_post.url + "?sort=loudest")
    assert response.status_code == 200
    assert tops(client, seed_post, "?sort=loudest") == EXPECTED["oldest"]


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_pagination_under_each_order(client, seed_post, settings, order):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    threads = []
    for number in range(1, 6):
        top = make_comment(seed_post, body=f"Top {number}")
        for reply_number in range(number % 3):
            make_comment(seed_post, parent=top, body=f"Reply {number}.{reply_number}")
        threads.append(top)
    # Replies per thread: 1, 2, 0, 1, 2.
    expected = {
        "oldest": ["Top 1", "Top 2", "Top 3", "Top 4", "Top 5"],
        "newest": ["Top 5", "Top 4", "Top 3", "Top 2", "Top 1"],
        "replies": ["Top 2", "Top 5", "Top 1", "Top 4", "Top 3"],
    }[order]
    sort = "" if order == DEFAULT_ORDER else f"sort={order}&"
    assert tops(client, seed_post, f"?{sort}".rstrip("&")) == expected[:2]
    assert tops(client, seed_post, f"?{sort}cpage=2") == expected[2:4]
    assert tops(client, seed_post, f"?{sort}cpage=3") == expected[4:]
    assert client.get(f"{seed_post.url}?{sort}cpage=4").status_code == 404

    middle = BeautifulSoup(client.get(f"{seed_post.url}?{sort}cpage=2").content, "html.parser")
    nav = middle.select_one("nav[aria-label='Comment pages']")
    assert nav.select_one("a[rel=prev]")["href"] == f"?{sort}cpage=1#comments"
    assert nav.select_one("a[rel=next]")["href"] == f"?{sort}cpage=3#comments"


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_api_pagination_under_each_order(client, seed_post, conversation, order):
    everything = api_texts(client, seed_post, order)
    assert api_texts(client, seed_post, order, limit=3) == everything[:3]
    assert api_texts(client, seed_post, order, limit=3, offset=3) == everything[3:6]
    assert api_texts(client, seed_post, order, limit=3, offset=6) == everything[6:]


def test_api_refuses_an_unknown_order_with_a_problem(client, seed_post, conversation):
    response = client.get("/api/v3/comments/", {"page": seed_post.pk, "sort": "loudest"})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert any("sort" in error["loc"] for error in problem["errors"]), problem


def test_each_canonical_order_is_its_own_cached_page_and_a_new_comment_replaces_them(
    client, seed_post, conversation
):
    client.get(seed_post.url + "?sort=oldest")  # renditions are made (and versions replaced)
    for query in ("", "?sort=newest", "?sort=replies"):
        assert client.get(seed_post.url + query)["X-Page-Cache"] == "miss"
        assert client.get(seed_post.url + query)["X-Page-Cache"] == "hit"
    # The default order has one spelling, without ``sort``; others are served, not stored.
    assert not client.get(seed_post.url + "?sort=oldest").has_header("X-Page-Cache")
    assert not client.get(seed_post.url + "?sort=loudest").has_header("X-Page-Cache")

    make_comment(seed_post, body="D")
    assert tops(client, seed_post, "?sort=newest") == ["D", "C", "B", "A"]
    assert tops(client, seed_post) == ["A", "B", "C", "D"]


def test_the_api_answers_each_order_under_its_own_etag(client, seed_post, conversation):
    oldest = client.get("/api/v3/comments/", {"page": seed_post.pk})
    newest = client.get("/api/v3/comments/", {"page": seed_post.pk, "sort": "newest"})
    assert oldest["ETag"] != newest["ETag"]
    make_comment(seed_post, body="D")
    assert api_texts(client, seed_post, "newest")[0] == (0, "D")


def test_only_the_orders_the_page_offers_are_canonical(rf):
    for order in ORDERS:
        canonical = has_canonical_query(rf.get("/", {"sort": order}))
        assert canonical == (order != DEFAULT_ORDER), order


def test_a_link_to_a_comment_counts_pinned_threads_first(seed_post, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    first, second, third = (make_comment(seed_post, body=f"Top {n}") for n in range(1, 4))
    assert comment_url(seed_post, second) == f"{seed_post.url}#comment-{second.pk}"
    Comment.objects.filter(pk=third.pk).update(pinned_at=timezone.now())
    assert comment_url(seed_post, second) == f"{seed_post.url}?cpage=2#comment-{second.pk}"
    assert comment_url(seed_post, first) == f"{seed_post.url}#comment-{first.pk}"


def build_thread(post, count, made=()):
    """``count`` more comments: from the 30th on, a third of them replies (to depth 2);
    the last top-level one is pinned."""
    made = list(made)
    for number in range(len(made), len(made) + count):
        parent = made[number // 3] if number >= 30 and number % 3 == 0 else None
        made.append(make_comment(post, parent=parent, body=f"Comment {number}"))
    last_root = next(comment for comment in reversed(made) if comment.parent_id is None)
    Comment.objects.filter(pk=last_root.pk).update(
        pinned_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    return made


@pytest.mark.parametrize("order", ORDER_NAMES)
def test_a_300_comment_thread_with_pins_costs_fixed_queries_in_every_order(
    client, seed_post, settings, order, uncached_pages, django_assert_max_num_queries
):
    settings.COMMENTS_THREADS_PER_PAGE = 300
    settings.COMMENTS_API_LIMIT_MAX = 300
    small = build_thread(seed_post, 3)
    query = "" if order == DEFAULT_ORDER else f"?sort={order}"
    client.get(seed_post.url + query)  # renditions and settings rows are made on the first view
    bump_thread_version(seed_post.pk)
    with CaptureQueriesContext(connection) as baseline:
        client.get(seed_post.url + query)
    with CaptureQueriesContext(connection) as api_baseline:
        client.get("/api/v3/comments/", {"page": seed_post.pk, "sort": order, "limit": 300})

    build_thread(seed_post, 297, small)
    bump_thread_version(seed_post.pk)
    with django_assert_max_num_queries(len(baseline)):
        page = client.get(seed_post.url + query)
    assert page.content.decode().count('class="comment__body"') == 300
    assert page.content.decode().count("data-pinned") == 2
    with django_assert_max_num_queries(len(api_baseline)):
        api = client.get("/api/v3/comments/", {"page": seed_post.pk, "sort": order, "limit": 300})
    items = api.json()["items"]
    assert len(items) == 300
    assert [item["pinned"] for item in items if item["depth"] == 0][:2] == [True, True]


def test_the_openapi_file_documents_the_orders_pins_and_pinning(client, seed_post):
    schema = client.get("/api/v3/openapi.json").json()
    listing = schema["paths"]["/api/v3/comments/"]["get"]
    (sort,) = [parameter for parameter in listing["parameters"] if parameter["name"] == "sort"]
    assert sort["schema"]["enum"] == list(ORDERS)
    assert sort["schema"]["default"] == DEFAULT_ORDER
    assert "422" in listing["description"]

    comment = schema["components"]["schemas"]["CommentOut"]
    assert comment["properties"]["pinned"]["type"] == "boolean"
    pinning = schema["paths"]["/api/v3/comments/moderation/{comment_id}/{action}/"]["post"]
    (action,) = [parameter for parameter in pinning["parameters"] if parameter["name"] == "action"]
    assert action["schema"]["enum"] == ["pin", "unpin"]
    assert set(pinning["responses"]) == {"200", "401", "403", "404", "422"}
