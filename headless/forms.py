"""
The webhook endpoint form. The secret is write-only: the form never renders the stored
one, a blank field on edit keeps it, and a new one replaces it.
"""

import ipaddress
from urllib.parse import urlsplit

from django import forms

from wagtail.admin.forms import WagtailAdminModelForm

from .destinations import RefusedDestination, check_address
from .models import Event, WebhookEndpoint
from .signing import InvalidSecret, new_secret, secret_key


class WebhookEndpointForm(WagtailAdminModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where events are POSTed (http or https). Redirects are not followed.",
    )
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active", "include_drafts"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editing = bool(self.instance.pk)
        field = self.fields["new_secret"]
        field.required = not editing
        suggestion = f"For example this new one: {new_secret()}"
        field.help_text = (
            "Stored and never shown again. Leave blank to keep the current secret. " + suggestion
            if editing
            else "The Standard Webhooks form, “whsec_” and base64 of 24 to 64 bytes; "
            "give the same to the receiver. It is never shown again. " + suggestion
        )

    def clean_url(self):
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("Webhooks are sent to http:// or https:// URLs only.")
        try:
            ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            return url  # a name: resolved and checked each time a webhook is sent
        try:
            check_address(parts.hostname)
        except RefusedDestination as error:
            raise forms.ValidationError(str(error)) from error
        return url

    def clean_new_secret(self):
        secret = self.cleaned_data["new_secret"]
        if secret:
            try:
                secret_key(secret)
            except InvalidSecret as error:
                raise forms.ValidationError(str(error)) from error
        return secret

    def save(self, commit=True):
        if self.cleaned_data.get("new_secret"):
            self.instance.secret = self.cleaned_data["new_secret"]
        return super().save(commit=commit)
