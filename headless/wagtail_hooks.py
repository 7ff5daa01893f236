"""Where the headless app plugs into Wagtail's admin: the two viewsets under Settings."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .admin import WebhookDeliveryViewSet, WebhookEndpointViewSet, delivery_log_policy
from .models import WebhookDelivery

# Before the viewset: registering it asks the registry for the model's policy.
register_permission_policy(WebhookDelivery, delivery_log_policy)


@hooks.register("register_admin_viewset")
def register_webhook_viewsets():
    return [
        WebhookEndpointViewSet("webhook_endpoints"),
        WebhookDeliveryViewSet("webhook_deliveries"),
    ]
