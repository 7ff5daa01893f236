"""A post's authors move from a bare many-to-many to ordered rows (``BlogPostAuthor``), which
the editor fills with the snippet chooser. Existing links are copied in the byline order
readers saw (by name), and every revision of a post gets the same rows, so opening or
publishing a draft made before this migration keeps its authors."""

import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models


def revisions_of_posts(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    post_type = ContentType.objects.filter(app_label="blog", model="blogpostpage").first()
    if post_type is None:
        return Revision.objects.none()
    return Revision.objects.filter(content_type_id=post_type.pk)


def links_from_authors(apps, schema_editor):
    BlogPostPage = apps.get_model("blog", "BlogPostPage")
    BlogPostAuthor = apps.get_model("blog", "BlogPostAuthor")
    Author = apps.get_model("blog", "Author")
    OldLink = BlogPostPage.authors.through
    for post_id in OldLink.objects.values_list("blogpostpage_id", flat=True).distinct():
        author_ids = OldLink.objects.filter(blogpostpage_id=post_id).values_list(
            "author_id", flat=True
        )
        authors = Author.objects.filter(pk__in=author_ids).order_by("name", "pk")
        BlogPostAuthor.objects.bulk_create(
            BlogPostAuthor(page_id=post_id, author_id=author.pk, sort_order=position)
            for position, author in enumerate(authors)
        )
    names = dict(Author.objects.values_list("pk", "name"))
    for revision in revisions_of_posts(apps).iterator():
        author_ids = [pk for pk in revision.content.pop("authors", None) or [] if pk in names]
        author_ids.sort(key=lambda pk: (names[pk], pk))
        revision.content["author_links"] = [
            {"pk": None, "sort_order": position, "page": int(revision.object_id), "author": pk}
            for position, pk in enumerate(author_ids)
        ]
        revision.save(update_fields=["content"])


def authors_from_links(apps, schema_editor):
    BlogPostPage = apps.get_model("blog", "BlogPostPage")
    BlogPostAuthor = apps.get_model("blog", "BlogPostAuthor")
    OldLink = BlogPostPage.authors.through
    OldLink.objects.bulk_create(
        OldLink(blogpostpage_id=page_id, author_id=author_id)
        for page_id, author_id in BlogPostAuthor.objects.values_list("page_id", "author_id")
        .order_by("page_id", "author_id")
        .distinct()
    )
    for revision in revisions_of_posts(apps).iterator():
        links = revision.content.pop("author_links", None) or []
        revision.content["authors"] = [link["author"] for link in links]
        revision.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0008_image_alt_text_labels"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="BlogPostAuthor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sort_order", models.IntegerField(blank=True, editable=False, null=True)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="blog.author",
                    ),
                ),
                (
                    "page",
                    modelcluster.fields.ParentalKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="author_links",
                        to="blog.blogpostpage",
                    ),
                ),
            ],
            options={
                "verbose_name": "author",
                "verbose_name_plural": "authors",
                "ordering": ["sort_order"],
                "abstract": False,
            },
        ),
        migrations.RunPython(links_from_authors, authors_from_links),
        migrations.RemoveField(model_name="blogpostpage", name="authors"),
        migrations.AddField(
            model_name="blogpostpage",
            name="authors",
            field=models.ManyToManyField(
                blank=True, related_name="posts", through="blog.BlogPostAuthor", to="blog.author"
            ),
        ),
    ]
