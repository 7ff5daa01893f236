"""Related posts under an article: the live, public posts sharing the most tags, newest
first among equals, found in a fixed number of queries however many posts share a tag
(blog.models.BlogPostPage.related_posts)."""

import datetime

from django.db import connection

from wagtail.models import PageViewRestriction

import pytest
from bs4 import BeautifulSoup

from blog.models import BlogPostPage
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


def test_the_cost_does_not_grow_with_the_posts_sharing_a_tag(
    seed_post, blog_index, make_posts, django_assert_max_num_queries
):
    make_posts(3, tags=["evidence review"], hero_image=seed_post.hero_image)
    seed_post.related_posts()  # renditions are made on the first call
    with django_assert_max_num_queries(5) as few:
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
def test_the_rank_reads_the_tag_links_from_their_index_alone(seed_post, blog_index):
    from django.test.utils import CaptureQueriesContext

    build_post(blog_index, 1, tags=["dry needling"])
    with CaptureQueriesContext(connection) as queries:
        seed_post.related_posts()
    rank = next(q["sql"] for q in queries if 'FROM "blog_blogposttag"' in q["sql"])
    with connection.cursor() as cursor:
        # Only scans that read no table rows are left, so the plan says whether an index
        # answers the rank alone (between equal costs the planner's choice is arbitrary).
        for scan in ("seqscan", "bitmapscan", "indexscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN {rank}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using blogposttag_tag_post_idx" in plan
    assert "wagtailcore_page" not in plan, "the rank joins no table of every page"
