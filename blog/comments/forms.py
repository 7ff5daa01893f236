"""
The comment form: the one validation of what a reader (or an app) submits.

Besides the visible fields it carries two bot traps: a honeypot field that people never
see (and so leave empty), and a signed token that says which post the form was shown
for and when. A bot that fills the honeypot or posts faster than a person can type is
not told anything; its comment is stored as spam with the reason.
"""

from django import forms
from django.conf import settings
from django.core.validators import URLValidator

from . import form_tokens
from .models import Comment
from .sanitize import strip_bidi_controls

HONEYPOT_FIELD = "homepage"


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
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
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
        widgets = {
            "body": forms.Textarea(attrs={"rows": 7, "cols": 45}),
            "author_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "author_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        error_messages = {
            "author_name": {"required": "Please enter your name."},
            "author_email": {
                "required": "Please enter your email address. It will not be published.",
                "invalid": "Enter a valid email address, for example name@example.com.",
            },
            "body": {"required": "Please write a comment."},
        }

    def __init__(self, *args, post, reader, **kwargs):
        """``reader``: the ``form_tokens.Reader`` the form is shown to or posted by."""
        self.post = post
        self.reader = reader
        #: The posted token, its signature checked once (``clean``); None before.
        self.sent_token = None
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", form_tokens.issue(post.pk, reader))

    def clean(self):
        cleaned_data = super().clean()
        self.sent_token = form_tokens.decode(cleaned_data.get("token"))
        if self.sent_token.expired:
            hours = max(1, settings.COMMENTS_FORM_MAX_AGE // 3600)
            hours = "an hour" if hours == 1 else f"{hours} hours"
            self.refuse_token(
                f"This form was opened more than {hours} ago. Your comment is kept "
                "below: please send it again.",
                code="expired",
            )
        else:
            refusal = form_tokens.refusal(self.sent_token, self.reader)
            if refusal:
                self.refuse_token(refusal, code="token_refused")
        return cleaned_data

    def refuse_token(self, message, code):
        """Refuse the form's token: the reader gets the form back with their text kept and
        a fresh token; a bot learns only that."""
        self.data = self.data.copy()
        self.data["token"] = form_tokens.issue(self.post.pk, self.reader)
        self.add_error(None, forms.ValidationError(message, code=code))

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
        return form_tokens.bot_reason(self.sent_token, self.post)


# The text is kept as typed (``clean_body`` strips it after dropping what must go): set
# on the class, so no form instance changes its fields.
CommentForm.base_fields["body"].strip = False


class SharedFields(dict):
    """A form's fields that its instances use as they are instead of deep-copying them.

    Django copies every field (widget, validators, messages) into each form so an
    instance may change its own; a submitted comment's form changes none, and the copies
    cost each POST more CPU than its signature check. Validating and rendering read a
    field and write nothing to it."""

    def __deepcopy__(self, memo):
        return dict(self)


class CommentSubmissionForm(CommentForm):
    """The comment form as a POST fills it (``submission.submit_comment``): the same
    fields, messages and checks as ``CommentForm``, without the per-instance field
    copies. The reader form shown on a page stays a ``CommentForm``."""


CommentSubmissionForm.base_fields = SharedFields(CommentSubmissionForm.base_fields)
CommentSubmissionForm.base_fields["body"].strip = False


class CommentEditForm(forms.Form):
    """The author's edit of their comment (``blog.comments.editing``): the text only,
    cleaned as a new comment's text is."""

    body = forms.CharField(
        label="Comment",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 7, "cols": 45}),
        error_messages={"required": "Please write a comment."},
    )

    clean_body = CommentForm.clean_body


class ConfirmationRequestForm(forms.Form):
    """A reader asks for a link to confirm their address (blog.comments.verification)."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        error_messages={
            "required": "Please enter the email address you comment with.",
            "invalid": "Enter a valid email address, for example name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
