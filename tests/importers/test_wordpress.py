"""Importing a WordPress export: posts, comments, images and old addresses, run twice."""

import datetime

from django.core.management import CommandError, call_command
from django.db import DatabaseError

from wagtail.contrib.redirects.models import Redirect

import pytest

from blog.comments.models import Comment
from blog.importers.comments import CommentImport
from blog.importers.models import ImportOrigin
from blog.models import ArticleImage, Author, BlogPostPage

from .conftest import DATA

# The seed article costs at most 17 (tests/blog/test_pages.py), hero image and thread
# included; an imported post adds one for the images its figures show, and one because
# it has related posts (ranked in a narrow query over the tag links, then read as pages).
QUERIES_OF_AN_IMPORTED_POST = 19


def imported(slug):
    return BlogPostPage.objects.get(slug=slug)


def block_types(page):
    return [block.block_type for block in page.body]


def test_posts_become_pages_with_their_status_tags_authors_and_blocks(
    blog_index, run_import, media_dir
):
    output, report = run_import("--media-dir", str(media_dir))

    calf = imported("calf-cramps-at-night")
    assert calf.live and calf.get_parent().pk == blog_index.pk
    assert calf.title == "Calf cramps at night: what helps"
    assert calf.date == datetime.date(2025, 5, 14)
    assert calf.first_published_at.isoformat() == "2025-05-14T08:30:00+00:00"
    assert calf.last_published_at.isoformat() == "2025-05-20T07:00:00+00:00"
    assert calf.latest_revision.created_at.isoformat() == "2025-05-20T07:00:00+00:00"
    assert calf.intro == "What helps against calf cramps at night, and what the evidence says."
    assert sorted(calf.tags.names()) == ["Treatments", "cramps"]
    assert [author.name for author in calf.authors.all()] == ["Jane Physio"]
    assert calf.comments_enabled
    assert block_types(calf) == [
        "paragraph",
        "heading",
        "study_card",
        "paragraph",
        "key_points",
        "image",
        "paragraph",
    ]
    card = next(block.value for block in calf.body if block.block_type == "study_card")
    assert (card["year"], card["journal"]) == (2018, "British Journal of Sports Medicine")

    magnesium = imported("magnesium-for-cramps")
    assert magnesium.live and not magnesium.comments_enabled
    # No excerpt: the first paragraph is the intro, and leaves the body.
    assert magnesium.intro == "Magnesium is the supplement most often tried for cramps."
    assert block_types(magnesium) == ["heading", "numbered_list", "quote", "image", "paragraph"]
    assert magnesium.body[0].value["anchor"] == "evidence"

    draft = BlogPostPage.objects.get(title="Cramps in pregnancy (unfinished)")
    assert not draft.live and draft.slug == "cramps-in-pregnancy-unfinished"
    assert not BlogPostPage.objects.filter(slug__in=["private-notes", "about"]).exists()

    assert report["posts"] == {"published": 2, "draft": 1}
    assert report["skipped"] == {
        "private posts": 1,
        "pages": 1,
        "menu items": 1,
        "custom type product": 1,
        "attachments (imported with the posts that show them)": 2,
    }
    assert report["study_cards"]["recognized"] == 1
    assert report["study_cards"]["left_as_text"] == [
        {
            "post": "Calf cramps at night: what helps",
            "text": "A 2017 study reported by a newspaper said things changed.",
        }
    ]
    removed = [entry["what"] for entry in report["removed"]]
    assert "<script> element" in removed and 'shortcode [gallery ids="202"]' in removed
    assert "Study cards: 1 recognized, 1 left as text for an editor" in output


def test_the_imported_post_is_served_with_its_blocks_and_thread(
    blog_index, run_import, media_dir, client, django_assert_max_num_queries, uncached_pages
):
    run_import("--media-dir", str(media_dir))
    client.get("/blog/calf-cramps-at-night/")  # renditions are made on the first view
    with django_assert_max_num_queries(QUERIES_OF_AN_IMPORTED_POST):
        response = client.get("/blog/calf-cramps-at-night/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "British Journal of Sports Medicine" in page
    assert "Stretching the calf against a wall" in page
    assert "tracking" not in page
    thread = ["Stretching <b>really</b> helped me.", "Glad to hear it, Maria.", "Thanks!"]
    assert [page.index(text) for text in thread] == sorted(page.index(text) for text in thread)
    assert "Buy now" not in page and "Trashed by the old moderator" not in page
    assert "maria@example.org" not in page and "203.0.113.7" not in page


def test_threads_statuses_and_people_are_kept_without_any_email(
    blog_index, run_import, mailoutbox, settings
):
    settings.COMMENTS_MAX_DEPTH = 5
    _, report = run_import()

    post = imported("calf-cramps-at-night")
    comments = {c.author_name + ":" + c.body[:12]: c for c in Comment.objects.filter(post=post)}
    assert report["comments"] == {
        "approved": 7,
        "pending": 1,
        "spam": 1,
        "trash": 1,
        "pingbacks_and_trackbacks_skipped": 1,
        "replies_reattached_above_the_maximum_depth": 1,
    }
    first = comments["Maria:Stretching <"]
    assert first.status == "approved" and first.depth == 0
    assert (
        first.body_html
        == "<p>Stretching <b>really</b> helped me.&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert first.author_email == "maria@example.org"
    assert first.author_url == "https://maria.example.org/"
    assert first.ip_address == "203.0.113.7"
    assert first.created_at.isoformat() == "2025-05-15T10:00:00+00:00"

    chain = [
        c for c in Comment.objects.filter(post=post).in_thread_order() if c.status == "approved"
    ]
    assert [c.depth for c in chain] == [0, 1, 2, 3, 4, 4]
    # The sixth level attaches to the deepest allowed ancestor, after its sibling.
    deepest = comments["Jane Physio:You are welc"]
    assert deepest.parent_id == comments["Maria:Thanks!"].parent_id
    assert chain[-1] == deepest
    # Written by the site's own author while signed in to WordPress: a staff reply.
    assert [c.is_staff_reply for c in chain] == [False, True, False, True, False, True]

    assert comments["Cheap Pills:Buy now http"].status == "spam"
    assert comments["Rude Reader:Trashed by t"].status == "trash"
    held = comments["Tom:Waiting for "]
    assert held.status == "pending"
    assert held.author_email.endswith("@wordpress-import.invalid")
    assert held.held_notice_sent_at is not None
    assert mailoutbox == []

    closed = imported("magnesium-for-cramps")
    assert closed.comments.get().ip_address == "2001:db8::1"


def test_images_come_from_the_media_dir_with_alt_caption_and_credit(
    blog_index, run_import, media_dir
):
    _, report = run_import("--media-dir", str(media_dir))

    magnesium = imported("magnesium-for-cramps")
    figure = next(block.value for block in magnesium.body if block.block_type == "image")
    assert figure["image"].description == "Hands massaging a calf muscle"
    assert figure["image"].credit == "Photo: Alex Lens"
    assert figure["caption"] == "Massage of the calf"
    calf = imported("calf-cramps-at-night")
    assert calf.hero_image == figure["image"]  # the same attachment, stored once
    assert ArticleImage.objects.filter(title__in=["leg-massage", "calf-stretch"]).count() == 2

    missing = report["images"]["missing"]
    assert [m["url"] for m in missing] == [
        "https://old.example.com/wp-content/uploads/2025/05/lost-diagram.png"
    ]
    lost = [b.value.source for b in calf.body if b.block_type == "paragraph"][-1]
    assert "Image not imported" in lost and "lost-diagram.png" in lost


def test_without_media_every_image_is_reported_missing_not_replaced(blog_index, run_import):
    output, report = run_import()
    assert report["images"]["missing"] and len(report["images"]["missing"]) == 4
    assert "Image missing in" in output
    assert not ArticleImage.objects.exclude(title="Dry needling therapy in a clinic").exists()


def test_old_addresses_redirect_permanently_to_the_new_pages(blog_index, run_import, client):
    run_import()
    for old in ["/2025/05/14/calf-cramps-at-night/", "/?p=101"]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"].endswith("/blog/calf-cramps-at-night/")
    draft = BlogPostPage.objects.get(title="Cramps in pregnancy (unfinished)")
    assert not Redirect.objects.filter(redirect_page=draft).exists()


def test_a_second_run_duplicates_nothing_and_keeps_an_editors_changes(
    blog_index, run_import, media_dir
):
    run_import("--media-dir", str(media_dir))
    counts = (
        BlogPostPage.objects.count(),
        Comment.objects.count(),
        ArticleImage.objects.count(),
        Author.objects.count(),
        Redirect.objects.count(),
    )
    edited = imported("magnesium-for-cramps")
    edited.title = "Magnesium for cramps (edited here)"
    edited.save_revision().publish()

    _, report = run_import("--media-dir", str(media_dir))

    assert counts == (
        BlogPostPage.objects.count(),
        Comment.objects.count(),
        ArticleImage.objects.count(),
        Author.objects.count(),
        Redirect.objects.count(),
    )
    assert report["writes"] == {"unchanged": 2, "left alone (edited since)": 1}
    assert report["comments"]["already_imported"] == 10
    assert imported("magnesium-for-cramps").title == "Magnesium for cramps (edited here)"

    _, report = run_import("--media-dir", str(media_dir), "--overwrite")
    assert imported("magnesium-for-cramps").title == "Magnesium for cramps"
    assert report["writes"] == {"unchanged": 2, "updated": 1}


def test_a_dry_run_reports_and_writes_nothing(blog_index, run_import):
    pages, origins = BlogPostPage.objects.count(), ImportOrigin.objects.count()
    output, report = run_import("--dry-run")
    assert report["posts"] == {"published": 2, "draft": 1}
    assert report["comments"]["approved"] == 7
    assert "Dry run: nothing was written." in output
    assert (BlogPostPage.objects.count(), ImportOrigin.objects.count()) == (pages, origins)
    assert not Comment.objects.exists() and not Redirect.objects.exists()


def test_a_malformed_export_is_refused_with_where_it_broke(blog_index, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text((DATA / "small-site.wxr.xml").read_text()[:6000])
    with pytest.raises(CommandError, match=r"not well-formed XML \(line \d+, column \d+\)"):
        call_command("import_wordpress", str(broken))
    assert not BlogPostPage.objects.exclude(slug="dry-needling-chronic-muscle-cramping").exists()


def test_a_file_that_is_not_a_wordpress_export_is_refused(blog_index, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        "<rss><channel><title>A feed</title><item><title>x</title></item></channel></rss>"
    )
    with pytest.raises(CommandError, match="not a WordPress export"):
        call_command("import_wordpress", str(feed))


def test_the_home_page_still_answers_other_query_strings(blog_index, client):
    assert client.get("/?p=999").status_code == 200
    assert client.get("/?p=abc").status_code == 200


def test_a_post_that_fails_is_reported_and_not_half_written(blog_index, run_import, monkeypatch):
    original = CommentImport._insert

    def insert_failing_on_spam(self, comment_id, comment, parent_pk):
        if comment_id == "17":
            raise DatabaseError("disk I/O error")
        return original(self, comment_id, comment, parent_pk)

    monkeypatch.setattr(CommentImport, "_insert", insert_failing_on_spam)
    output, report = run_import()

    assert report["errors"] == [
        {"post": "Calf cramps at night: what helps", "error": "disk I/O error"}
    ]
    assert "Not imported, “Calf cramps at night: what helps”: disk I/O error" in output
    assert not BlogPostPage.objects.filter(slug="calf-cramps-at-night").exists()
    assert not Comment.objects.filter(author_name="Maria").exists()
    assert not Redirect.objects.filter(old_path="/2025/05/14/calf-cramps-at-night").exists()
    assert imported("magnesium-for-cramps").live
