"""Comments left the search index (the moderation admin searches the table itself); the
entries already there held every commenter's name and email, so they go too."""

from django.db import migrations


def remove_comment_index_entries(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    IndexEntry = apps.get_model("wagtailsearch", "IndexEntry")
    comment_type = ContentType.objects.filter(app_label="comments", model="comment").first()
    if comment_type is not None:
        IndexEntry.objects.filter(content_type=comment_type).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [
        migrations.RunPython(remove_comment_index_entries, migrations.RunPython.noop),
    ]
