"""Related posts under an article: the live, public posts sharing the most tags, newest
first among equals, found in a fixed number of queries however many posts share a tag
(blog.models.BlogPostPage.related_posts, ranked by blog.related)."""

import datetime
import random

from django.db import connection
from django.db.models import Count

from wagtail.models import PageViewRestriction

import pytest
from bs4 import BeautifulSoup

from blog import related
from blog.models import BlogPostPage, BlogPostTag
from tests.conftest import build_post

SAME_DAY = datetime.date(2025, 7, 1)


def related_titles(post):
    return [related.title for related in post.related_posts()]


def test_equal_shares_go_to_the_newest_then_the_highest_id(seed_post, blog_index):
    older = build_post(blog_index, 1, tags=["dry needling"], date=SAME_DAY - datetime.timedelta(1))
    first_that_day = build_post(blog_index, 2, tags=["dry needling"], date=SAME_DAY)
    second_that_day = build_post(blog_index, 3, tags=["dry needling"], date=SAME_DAY)
    assert first_that_day.pk < second_that_day.pk

    assert related_titles(seed_post) == [second_that_day.title, first_that_day.title, older.title]


def test_more_shared_tags_beat_a_newer_date(seed_post, blog_index):
    build_post(blog_index, 30, tags=["dry needling"])
    sharing_two = build_post(blog_index, 1, tags=["dry needling", "muscle cramps"])
    sharing_three = build_post(
        blog_index, 2, tags=["dry needling", "muscle cramps", "physical therapy"]
    )

    assert related_titles(seed_post)[:2] == [sharing_three.title, sharing_two.title]


def test_drafts_and_private_posts_ranked_first_are_passed_over(seed_post, blog_index, settings):
    """More hidden posts than the first read holds (three plus two) rank above the live
    ones: the rank reads on until it has three to show."""
    shared = ["dry needling", "muscle cramps", "physical therapy", "evidence review"]
    for number in range(1, 7):
        build_post(blog_index, 100 + number, tags=shared).unpublish()
    private = build_post(blog_index, 200, tags=shared)
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    shown = [build_post(blog_index, number, tags=["dry needling"]) for number in (1, 2, 3, 4)]

    assert related_titles(seed_post) == [post.title for post in reversed(shown[1:])]


def test_the_tags_as_saved_decide_so_a_preview_shows_the_published_relations(seed_post, blog_index):
    related = build_post(blog_index, 1, tags=["dry needling"])
    build_post(blog_index, 2, tags=["nutrition"])
    seed_post.tags.set(["nutrition"])  # edited in the form, not saved

    assert related_titles(seed_post) == [related.title]
    unsaved = BlogPostPage(title="Draft", slug="draft", intro="Intro.")
    assert unsaved.related_posts() == []


def test_a_post_without_tags_or_without_company_has_none(seed_post, blog_index):
    assert related_titles(build_post(blog_index, 1)) == []
    assert related_titles(build_post(blog_index, 2, tags=["only here"])) == []


def grouped_rank(post_id, count):
    """The order as one query grouping every link of the post's tags ranks it: what
    ``blog.related`` must give without reading every link of a common tag."""
    return list(
        BlogPostTag.objects.filter(
            tag_id__in=BlogPostTag.objects.filter(content_object_id=post_id).values("tag_id")
        )
        .exclude(content_object_id=post_id)
        .values("content_object_id")
        .annotate(shared=Count("*"))
        .order_by("-shared", "-content_object__date", "-content_object_id")
        .values_list("content_object_id", flat=True)[:count]
    )


@pytest.mark.parametrize("walk_batch_per_post", [1, 2, 100])
def test_the_rank_is_the_grouped_one_whatever_the_tags_frequencies(
    seed_post, blog_index, monkeypatch, walk_batch_per_post
):
    """Thirty posts: a tag on every one, one on most, one on a third, two rare ones, dates
    shared by several posts, a draft. With "rare" meaning at most three posts, every path
    of the rank is taken: rare tags read whole, and posts with common tags alone walked
    until settled, walked to the end (a batch of 100 a ranked post) or, when a short
    batch does not settle the rank, grouped."""
    monkeypatch.setattr(related, "RARE_TAG_POSTS", 3)
    monkeypatch.setattr(related, "WALK_BATCH_PER_POST", walk_batch_per_post)
    chance = random.Random(16)
    frequencies = {"everywhere": 1.0, "mostly": 0.7, "a third": 0.33, "rare": 0.1, "rarer": 0.07}
    posts = [seed_post]
    for number in range(1, 31):
        tags = [tag for tag, share in frequencies.items() if chance.random() < share]
        day = SAME_DAY + datetime.timedelta(days=chance.randrange(6))
        posts.append(build_post(blog_index, number, tags=tags, date=day))
    posts[7].unpublish()
    seed_post.tags.set(["everywhere", "mostly", "rare"])
    seed_post.save()

    for post in posts:
        for count in (1, 3, 8, 40):
            assert related.ranked_related_ids(post.pk, count) == grouped_rank(post.pk, count), (
                f"{post.title}, first {count}"
            )
    assert set(grouped_rank(posts[7].pk, 40)) & {posts[1].pk, posts[2].pk}, "the test ranks"


def test_the_cost_does_not_grow_with_the_posts_sharing_a_tag(
    seed_post, blog_index, make_posts, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(related, "RARE_TAG_POSTS", 2)  # "evidence review" is common
    make_posts(3, tags=["evidence review"], hero_image=seed_post.hero_image)
    seed_post.related_posts()  # renditions are made on the first call
    with django_assert_max_num_queries(7) as few:
        assert len(seed_post.related_posts()) == 3
    make_posts(40, start=10, tags=["evidence review"], hero_image=seed_post.hero_image)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(seed_post.related_posts()) == 3


def test_the_article_shows_them_with_their_images(seed_post, blog_index, client):
    for number in (1, 2):
        build_post(blog_index, number, tags=["dry needling"], hero_image=seed_post.hero_image)

    html = BeautifulSoup(client.get(seed_post.url).content, "html.parser")
    cards = html.select(".related-post")
    assert [card.select_one(".related-post__title").text for card in cards] == [
        "Generated post 2",
        "Generated post 1",
    ]
    assert all(card.img["src"] for card in cards)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The plan is PostgreSQL's (DATABASE_URL=…)"
)
def test_the_rank_reads_the_tag_links_from_their_indexes_and_no_table_of_every_page(
    seed_post, blog_index
):
    from django.test.utils import CaptureQueriesContext

    build_post(blog_index, 1, tags=["dry needling"])
    with CaptureQueriesContext(connection) as queries:
        assert related.ranked_related_ids(seed_post.pk, 3)
    assert queries.captured_queries
    for query in queries.captured_queries:
        with connection.cursor() as cursor:
            # On a few rows a sequential scan costs least; it is what a table of every
            # link would be read with.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {query['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())

        assert "Seq Scan on blog_blogposttag" not in plan, plan
        assert "wagtailcore_page" not in plan, "the rank joins no table of every page"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The plan is PostgreSQL's (DATABASE_URL=…)"
)
def test_a_common_tag_is_walked_newest_first_not_read_whole(seed_post, blog_index, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(related, "RARE_TAG_POSTS", 1)
    for number in range(1, 4):
        build_post(blog_index, number, tags=["evidence review"])
    with CaptureQueriesContext(connection) as queries:
        assert len(related.ranked_related_ids(seed_post.pk, 3)) == 3
    walk = next(q["sql"] for q in queries if 'FROM "blog_blogpostpage"' in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {walk}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "post_listing_order_idx" in plan, plan
    assert "Sort" not in plan, plan
