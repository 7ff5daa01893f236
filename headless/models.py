"""
Webhook endpoints administrators register, and the log of what was sent to each.

An endpoint's secret is the Standard Webhooks ``whsec_`` form (base64 after the prefix):
receivers paste it into the spec's published libraries unchanged. A delivery row is one
event for one endpoint; its body is stored as sent, so every retry and "send again"
signs the very bytes the first attempt signed.
"""

from django.db import models


class Event(models.TextChoices):
    PAGE_PUBLISHED = "page.published", "A page was published"
    PAGE_UNPUBLISHED = "page.unpublished", "A page was unpublished"
    PAGE_DELETED = "page.deleted", "A page was deleted"
    PAGE_MOVED = "page.moved", "A page was moved"
    COMMENT_CREATED = "comment.created", "A comment was posted (with its status)"
    COMMENT_STATUS_CHANGED = "comment.status_changed", "A comment's status changed"
    COMMENT_DELETED = "comment.deleted", "A comment was deleted"


class WebhookEndpoint(models.Model):
    url = models.URLField(
        "URL",
        max_length=500,
        help_text="Where events are POSTed (http or https). Redirects are not followed.",
    )
    description = models.CharField(max_length=255, blank=True)
    secret = models.CharField(max_length=200, editable=False)
    events = models.JSONField(default=list, help_text="The events this endpoint receives.")
    is_active = models.BooleanField("active", default=True)
    include_drafts = models.BooleanField(
        default=False,
        help_text=(
            "Send the titles of pages that are not live (deleted or moved drafts). "
            "Without it such events carry ids and URLs only."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.description or self.url

    def wants(self, event_type):
        return self.is_active and event_type in self.events


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Given up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(
        max_length=64, help_text="The webhook-id header: the same on every attempt."
    )
    event_type = models.CharField(max_length=40, choices=Event.choices)
    body = models.TextField(editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending this delivery holds it until then; another worker given the same
    # task meanwhile finds nothing to claim, so each event reaches an endpoint once.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "message_id"], name="webhook_delivery_once_per_endpoint"
            )
        ]

    def __str__(self):
        return f"{self.event_type} to {self.endpoint}"
