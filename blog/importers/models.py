"""Where each imported object came from, so importing the same export again updates or
skips it instead of making a second copy."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ImportOrigin(models.Model):
    class Kind(models.TextChoices):
        POST = "post", "Post"
        COMMENT = "comment", "Comment"
        IMAGE = "image", "Image"
        AUTHOR = "author", "Author"

    source = models.CharField(
        max_length=255,
        help_text="The system and site it came from, for example “wordpress https://old.example.com”.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source_id = models.CharField(
        max_length=1000, help_text="Its id there (a post or comment id, a login, an image URL)."
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    imported = GenericForeignKey("content_type", "object_id")
    revision_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="For a post: the revision the import wrote. Another one means an editor "
        "changed the post since, and a new import leaves it alone.",
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "blog"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="import_origin_unique"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="import_origin_object")]

    def __str__(self):
        return f"{self.kind} {self.source_id} from {self.source}"
