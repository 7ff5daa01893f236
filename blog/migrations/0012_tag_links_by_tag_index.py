"""The posts of some tags, read from an index alone: related posts rank the posts sharing a
post's tags by counting these pairs. The tag links are two or three rows a post (20,000 at
10,000 posts), so the index is built in an instant, without CONCURRENTLY."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0011_post_listing_order_index"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="blogposttag",
            index=models.Index(fields=["tag", "content_object"], name="blogposttag_tag_post_idx"),
        ),
    ]
