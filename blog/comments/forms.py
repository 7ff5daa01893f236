"""
The comment form: the one validation of what a reader (or an app) submits.

Besides the visible fields it carries two bot traps: a honeypot field that people never
see (and so leave empty), and a signed token that says which post the form was shown
for and when. A bot that fills the honeypot or posts faster than a person can type is
not told anything; its comment is stored as spam with the reason.
"""

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import URLValidator

from .models import Comment
from .sanitize import strip_bidi_controls

FORM_TOKEN_SALT = "blog.comments.form-token"  # noqa: S105 (a salt, not a secret)
HONEYPOT_FIELD = "homepage"
FORM_TOKEN_PLACEHOLDER_PREFIX = "__page_cache_form_token_"  # noqa: S105 (not a secret)


def make_form_token(post_id):
    return signing.dumps({"post": post_id, "shown": time.time()}, salt=FORM_TOKEN_SALT)


def form_token_placeholder(post_id):
    """What a page rendered for the whole-page cache holds instead of a token:
    ``cms.page_cache`` puts a fresh one in each response, so the "shown" time is when
    this reader got the page, not when the cached copy was made."""
    return f"{FORM_TOKEN_PLACEHOLDER_PREFIX}{post_id}__"


def token_has_expired(token):
    try:
        signing.loads(token or "", salt=FORM_TOKEN_SALT, max_age=settings.COMMENTS_FORM_MAX_AGE)
    except signing.SignatureExpired:
        return True
    except signing.BadSignature:
        return False
    return False


def bot_reason_for_token(token, post):
    """Why a form token betrays a bot, or None when it looks like a person's."""
    try:
        payload = signing.loads(token or "", salt=FORM_TOKEN_SALT)
    except signing.BadSignature:
        return "Missing or forged form token"
    if payload.get("post") != post.pk:
        return "Form token was issued for another post"
    if not settings.COMMENTS_RATE_LIMITS_ENABLED:
        return None
    elapsed = time.time() - float(payload.get("shown", 0))
    minimum = settings.COMMENTS_MIN_SECONDS_TO_POST
    if elapsed < minimum:
        return f"Posted {elapsed:.1f} s after the form was shown (minimum {minimum} s)"
    return None


class WebsiteField(forms.URLField):
    """http and https only, as the one validator (a second would print its message twice);
    bidirectional controls are dropped before the address is checked and stored."""

    default_validators = [URLValidator(schemes=["http", "https"])]

    def to_python(self, value):
        return super().to_python(strip_bidi_controls(value) if isinstance(value, str) else value)


class CommentForm(forms.ModelForm):
    author_url = WebsiteField(
        label="Website",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address starting with http:// or https://."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    remember = forms.BooleanField(
        label="Save my name and email in this browser for the next time I comment.",
        required=False,
    )
    homepage = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Comment
        fields = ["body", "author_name", "author_email", "author_url", "notify_replies"]
        labels = {
            "body": "Comment",
            "author_name": "Name",
            "author_email": "Email",
            "notify_replies": "Notify me of replies by email.",
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 7, "cols": 45})}
        error_messages = {
            "author_name": {"required": "Please enter your name."},
            "author_email": {
                "required": "Please enter your email address. It will not be published.",
                "invalid": "Enter a valid email address, for example name@example.com.",
            },
            "body": {"required": "Please write a comment."},
        }

    def __init__(self, *args, post, **kwargs):
        self.post = post
        super().__init__(*args, **kwargs)
        self.fields["body"].strip = False
        self.fields["author_name"].widget.attrs["autocomplete"] = "name"
        self.fields["author_email"].widget.attrs["autocomplete"] = "email"
        self.fields["author_url"].widget.attrs["autocomplete"] = "url"
        if not self.is_bound:
            self.initial.setdefault("token", make_form_token(post.pk))

    def clean(self):
        cleaned_data = super().clean()
        if token_has_expired(cleaned_data.get("token")):
            # The reader gets a fresh form with their text kept; a bot learns only that.
            self.data = self.data.copy()
            self.data["token"] = make_form_token(self.post.pk)
            hours = max(1, settings.COMMENTS_FORM_MAX_AGE // 3600)
            hours = "an hour" if hours == 1 else f"{hours} hours"
            self.add_error(
                None,
                forms.ValidationError(
                    f"This form was opened more than {hours} ago. Your comment is kept "
                    "below: please send it again.",
                    code="expired",
                ),
            )
        return cleaned_data

    def clean_author_name(self):
        name = " ".join(strip_bidi_controls(self.cleaned_data["author_name"]).split())
        if not name:
            raise forms.ValidationError("Please enter your name.", code="required")
        return name

    def clean_author_email(self):
        return self.cleaned_data["author_email"].strip()

    def clean_body(self):
        body = strip_bidi_controls(self.cleaned_data["body"].replace("\x00", ""))
        if not body.strip():
            raise forms.ValidationError("Please write a comment.", code="required")
        limit = settings.COMMENTS_MAX_LENGTH
        if len(body) > limit:
            raise forms.ValidationError(
                f"Comments can be at most {limit:,} characters; this one has {len(body):,}.",
                code="max_length",
            )
        return body.strip()

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = Comment.objects.approved().filter(pk=parent_id, post_id=self.post.pk).first()
        if parent is None:
            raise forms.ValidationError(
                "Replies can only go to approved comments on the same post.", code="invalid_parent"
            )
        if parent.depth + 1 >= settings.COMMENTS_MAX_DEPTH:
            raise forms.ValidationError(
                f"Replies nest at most {settings.COMMENTS_MAX_DEPTH} levels deep; "
                "reply to an earlier comment in the thread instead.",
                code="too_deep",
            )
        return parent

    @property
    def bot_reason(self):
        """Set after validation: why this submission looks automated, if it does."""
        if self.cleaned_data.get(HONEYPOT_FIELD):
            return "Filled in the hidden honeypot field"
        return bot_reason_for_token(self.cleaned_data.get("token"), self.post)
