"""Importing a Disqus export onto posts the WordPress importer brought over: threads
matched by old permalink and by ?p= short link, replies threaded, statuses kept, text
sanitized, nothing duplicated on a second run, a malformed file refused."""

import io
import json

from django.core.management import CommandError, call_command

import pytest

from blog.comments.models import Comment

from .conftest import DATA

DISQUS_EXPORT = DATA / "disqus-export.xml"


@pytest.fixture
def imported_site(blog_index, run_import, media_dir):
    run_import("--media-dir", str(media_dir))
    return {comment.pk for comment in Comment.objects.all()}


def run_disqus(tmp_path, *args, export=DISQUS_EXPORT):
    report = tmp_path / "disqus-report.json"
    out = io.StringIO()
    call_command("import_disqus", str(export), "--report", str(report), *args, stdout=out)
    return out.getvalue(), json.loads(report.read_text())


def disqus_comments(before):
    return Comment.objects.exclude(pk__in=before).order_by("thread_path")


def test_threads_are_matched_by_old_addresses_and_comments_keep_their_shape(
    imported_site, tmp_path
):
    output, report = run_disqus(tmp_path)

    comments = {comment.author_name: comment for comment in disqus_comments(imported_site)}
    assert set(comments) == {"Dana Disqus", "Eli Reply", "Spammer", "Fay"}
    dana, eli = comments["Dana Disqus"], comments["Eli Reply"]
    assert dana.post.slug == "calf-cramps-at-night"  # through the permalink's redirect
    assert comments["Fay"].post.slug == "magnesium-for-cramps"  # through ?p=102
    assert eli.parent_id == dana.pk and eli.depth == 1
    assert dana.status == Comment.Status.APPROVED
    assert comments["Spammer"].status == Comment.Status.SPAM
    assert comments["Fay"].status == Comment.Status.TRASH
    assert "<script>" not in dana.body_html and "welcome" in dana.body_html
    assert str(dana.ip_address) == "198.51.100.40"
    assert dana.reason.startswith("Imported from Disqus")
    assert report["counts"]["threads_matched"] == 2
    assert report["unmatched_threads"] == ["https://old.example.com/contact/"]
    assert "No post here for the thread at https://old.example.com/contact/" in output


def test_a_second_run_duplicates_nothing(imported_site, tmp_path):
    run_disqus(tmp_path)
    first = disqus_comments(imported_site).count()

    _output, report = run_disqus(tmp_path)

    assert disqus_comments(imported_site).count() == first == 4
    assert report["counts"]["already_imported"] == 4


def test_a_dry_run_writes_nothing(imported_site, tmp_path):
    _output, report = run_disqus(tmp_path, "--dry-run")
    assert not disqus_comments(imported_site).exists()
    assert report["counts"]["approved"] == 2


def test_the_published_comments_show_on_the_post(imported_site, tmp_path, client):
    run_disqus(tmp_path)
    page = client.get("/blog/calf-cramps-at-night/").content.decode()
    assert "Disqus said hello" in page and "A reply through Disqus." in page
    assert "Cheap pills" not in page and "dana@example.com" not in page


def test_a_file_that_is_not_a_disqus_export_is_refused(imported_site, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<disqus><thread>")
    with pytest.raises(CommandError, match="not a readable Disqus export"):
        run_disqus(tmp_path, export=broken)
    other = tmp_path / "other.xml"
    other.write_text("<rss><channel /></rss>")
    with pytest.raises(CommandError, match="no Disqus threads or posts"):
        run_disqus(tmp_path, export=other)
    assert not disqus_comments(imported_site).exists()
