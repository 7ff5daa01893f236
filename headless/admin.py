"""
The admin under Settings: webhook endpoints (model permissions: an editor needs
"view", "add" or "change webhook endpoint"), and the delivery log, which whoever may see
endpoints may read and whoever may change them may send again. Nobody writes a log row
by hand.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .delivery import send_again
from .forms import WebhookEndpointForm
from .models import WebhookDelivery, WebhookEndpoint

SEND_AGAIN = "send_again"


class DeliveryLogPermissionPolicy(ModelPermissionPolicy):
    """Deliveries are read with the endpoints' own permissions."""

    def __init__(self):
        super().__init__(WebhookDelivery, auth_model=WebhookEndpoint)

    def user_has_permission(self, user, action):
        endpoint_actions = {"view": ["view", "change"], SEND_AGAIN: ["change"]}.get(action, [])
        endpoint_permission = super().user_has_permission
        return any(endpoint_permission(user, each) for each in endpoint_actions)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


delivery_log_policy = DeliveryLogPermissionPolicy()


class WebhookEndpointViewSet(ModelViewSet):
    model = WebhookEndpoint
    icon = "link-external"
    menu_label = "Webhooks"
    add_to_settings_menu = True
    copy_view_enabled = False
    list_display = ["url", "description", "events", "is_active", "include_drafts"]
    list_filter = ["is_active"]

    def get_form_class(self, for_update=False):
        return WebhookEndpointForm


class DeliveryIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if delivery_log_policy.user_has_permission(self.request.user, SEND_AGAIN):
            buttons.append(
                MenuItem(
                    "Send again",
                    url=reverse("webhook_deliveries:send_again", args=[instance.pk]),
                    icon_name="redirect",
                    priority=40,
                )
            )
        return buttons


class WebhookDeliveryViewSet(ModelViewSet):
    model = WebhookDelivery
    url_namespace = "webhook_deliveries"
    url_prefix = "webhook-deliveries"
    icon = "history"
    menu_label = "Webhook deliveries"
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = DeliveryIndexView
    form_fields = ["endpoint"]
    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "created_at",
        "last_error",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    inspect_view_fields = [
        "endpoint",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "body",
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("send-again/<int:pk>/", self.send_again_view, name=SEND_AGAIN),
        ]

    def send_again_view(self, request, pk):
        if not delivery_log_policy.user_has_permission(request.user, SEND_AGAIN):
            raise PermissionDenied
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        if request.method == "POST":
            send_again(delivery)
            messages.success(request, f"“{delivery}” was queued to be sent again.")
            return redirect(self.get_url_name("index"))
        return TemplateResponse(
            request,
            "headless/send_again_confirm.html",
            {"delivery": delivery, "index_url": reverse(self.get_url_name("index"))},
        )
