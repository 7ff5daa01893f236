"""Reading exports: streaming in bounded memory, and refusing what is not an export."""

import tracemalloc

import pytest

from blog.importers.wxr import ExportError, read_export

from .seed_markup import comment_element, post_item, wxr


def write_export(path, posts, comments_per_post=3):
    items = [
        post_item(
            n,
            f"post-{n}",
            f"Post {n}",
            "<p>" + "Some words of the post. " * 40 + "</p>",
            comments="".join(comment_element(n * 100 + c) for c in range(comments_per_post)),
        )
        for n in range(1, posts + 1)
    ]
    path.write_text(wxr(items))


def peak_memory_reading(path):
    tracemalloc.start()
    try:
        items = sum(1 for kind, _ in read_export(path) if kind == "item")
        return items, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_size_of_the_export(tmp_path):
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    write_export(small, 50)
    write_export(large, 1000)
    assert large.stat().st_size > 15 * small.stat().st_size

    small_items, small_peak = peak_memory_reading(small)
    large_items, large_peak = peak_memory_reading(large)

    assert (small_items, large_items) == (50, 1000)
    assert large_peak < 2 * small_peak


def test_items_carry_their_comments_and_meta(tmp_path):
    export = tmp_path / "one.xml"
    write_export(export, 1, comments_per_post=2)
    records = list(read_export(export))
    assert [kind for kind, _ in records] == ["site", "author", "item"]
    assert records[0][1]["base_site_url"] == "https://old.example.com"
    item = records[2][1]
    assert item["wp:post_id"] == "1" and item["wp:status"] == "publish"
    assert [c["comment_id"] for c in item["comments"]] == ["100", "101"]
    assert item["categories"] == [
        {"domain": "post_tag", "nicename": "dry-needling", "name": "dry needling"}
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<rss><channel><item>", "not well-formed XML"),
        ("<html><body>Not found</body></html>", "starts with <html>"),
        ("", "not well-formed XML"),
    ],
)
def test_what_is_not_an_export_is_refused(tmp_path, text, message):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(ExportError, match=message):
        list(read_export(path))


def test_a_wxr_1_1_export_reads_the_same(tmp_path):
    export = tmp_path / "old.xml"
    write_export(export, 1, comments_per_post=1)
    export.write_text(export.read_text().replace("/export/1.2/", "/export/1.1/"))
    kinds_and_ids = [(kind, record.get("wp:post_id")) for kind, record in read_export(export)]
    assert kinds_and_ids == [("site", None), ("author", None), ("item", "1")]
