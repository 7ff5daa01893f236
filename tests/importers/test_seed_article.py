"""The seed article, exported from WordPress's block editor and imported, is the seed."""

from blog.models import BlogPostPage
from blog.seed import POST

from .seed_markup import post_item, seed_article, wxr


def test_the_seed_article_imports_into_the_blocks_the_seed_loader_builds(
    seed_post, run_import, tmp_path
):
    title, content = seed_article()
    export = tmp_path / "seed.xml"
    export.write_text(wxr([post_item(7, "from-wordpress", title, content)]))

    _, report = run_import(export=export)

    imported = BlogPostPage.objects.get(slug="from-wordpress")
    assert [block.block_type for block in imported.body] == [
        block.block_type for block in seed_post.body
    ]
    assert [(b["type"], b["value"]) for b in imported.body.raw_data] == [
        (b["type"], b["value"]) for b in seed_post.body.raw_data
    ]
    assert imported.intro == POST["intro"]
    assert report["study_cards"] == {"recognized": 3, "left_as_text": []}
    assert report["blocks"]["key_points"] == 3
