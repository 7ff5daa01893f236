"""The order of every post listing (newest first, then by id) as an index.

Without it each listing page joined and sorted all posts to show ten: 40 ms for the first
page at 10,000 posts, and the last page sorted whole rows on disk (docs/benchmarks.md).
With it a first page reads its entries from the index and stops, and a deep page sorts
ids (``blog.models.load_listing_page``). The table has one row per post, so a plain
``CREATE INDEX`` takes moments even on a large blog.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0010_import_origins"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="blogpostpage",
            index=models.Index(fields=["-date", "-page_ptr"], name="post_listing_order_idx"),
        ),
    ]
