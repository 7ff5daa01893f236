"""Migration blog 0009 moves authors from a bare many-to-many to ordered rows: posts and
their drafts keep their authors, in the order readers saw them (by name)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import pytest

from blog.models import BlogPostPage
from blog.seed import load_seed_content

BEFORE = [("blog", "0008_image_alt_text_labels")]
AFTER = [("blog", "0009_authors_in_byline_order")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_posts_and_their_drafts_keep_their_authors_in_byline_order():
    load_seed_content()
    post_id = BlogPostPage.objects.get().pk

    executor = MigrationExecutor(connection)
    try:
        check_the_move(executor, post_id)
    finally:
        # Going back to blog 0008 also unapplied every migration that depends on a later
        # blog migration (in other apps too): the tests after this one need them all.
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def check_the_move(executor, post_id):
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Author = old.get_model("blog", "Author")
    zoe = Author.objects.create(name="Zoe Surgeon").pk
    ann = Author.objects.create(name="Ann Physio", credentials="PT").pk
    old.get_model("blog", "BlogPostPage").authors.through.objects.bulk_create(
        old.get_model("blog", "BlogPostPage").authors.through(
            blogpostpage_id=post_id, author_id=author_id
        )
        for author_id in (zoe, ann)
    )
    Revision = old.get_model("wagtailcore", "Revision")
    draft = Revision.objects.filter(object_id=str(post_id)).latest("pk")
    assert "author_links" not in draft.content
    draft.content["authors"] = [zoe, ann]
    draft.save(update_fields=["content"])

    executor.loader.build_graph()
    executor.migrate(AFTER)

    post = BlogPostPage.objects.get()
    assert [author.name for author in post.byline_authors] == ["Ann Physio", "Zoe Surgeon"]
    assert {author.pk for author in post.authors.all()} == {zoe, ann}
    draft_post = post.get_latest_revision_as_object()
    assert [author.pk for author in draft_post.byline_authors] == [ann, zoe]
    post.get_latest_revision().publish()
    assert [author.pk for author in BlogPostPage.objects.get().byline_authors] == [ann, zoe]
