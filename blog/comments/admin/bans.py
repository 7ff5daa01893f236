"""The ban list in the admin ("Comment bans"): list with state and expiry, filters, a
form to ban (from scratch, or the author of a comment: its inspect view and the queue's
row menu link here), the inspect and history views, and "Lift". Bans change only through
``blog.comments.bans`` (``create_ban``, ``lift_ban``), which log every ban and lift.

Moderators see and manage bans as their group's ban permissions allow ("Can view ban"
for the list, inspect and history views, "Can add ban" to ban, "Can change ban" to lift;
``bans.may_manage_bans``). Being Django permissions on the Ban model, they are also how
Wagtail's site history (Reports > Site history) decides who sees ban entries."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View

from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import CreateView, IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.log_actions import LogFormatter
from wagtail.permission_policies.base import BaseDjangoAuthPermissionPolicy

import django_filters

from ..bans import (
    BAN_LOG_ACTION,
    BAN_PERMISSIONS,
    DURATION_CHOICES,
    LIFT_LOG_ACTION,
    Ban,
    BanError,
    active_ban_for,
    create_ban,
    lift_ban,
    may_manage_bans,
    network_of,
)
from ..models import Comment
from .permissions import ModeratorRequiredMixin, forbidden, moderation_policy, moderators_only

URL_NAMESPACE = "comment_bans"
STATE_LABELS = {"active": "Active", "expired": "Expired", "lifted": "Lifted"}


class BanPolicy(BaseDjangoAuthPermissionPolicy):
    """Moderators see, make and lift bans as their ban permissions allow; no one edits or
    deletes one through the generic views (a ban ends by expiring or being lifted, and its
    row stays for the audit trail)."""

    def user_has_permission(self, user, action):
        return may_manage_bans(user, action)

    def users_with_any_permission(self, actions):
        codenames = {
            BAN_PERMISSIONS[action].partition(".")[2]
            for action in actions
            if action in BAN_PERMISSIONS
        }
        if not codenames:
            return get_user_model().objects.none()
        moderators = moderation_policy.users_with_any_permission({"moderate"})
        return self._get_users_with_any_permission_codenames(codenames).filter(
            pk__in=moderators.values("pk")
        )


ban_policy = BanPolicy(Ban)


def ban_url(view_name, *args, **query):
    url = reverse(f"{URL_NAMESPACE}:{view_name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def ban_author_url(comment):
    """The ban form for this comment's author (inspect view, queue row menu)."""
    return ban_url("add", comment=comment.pk)


def ban_author_button(comment, user):
    """The queue's row-menu entry that opens the ban form for this comment's author, for
    a user who may ban (None otherwise)."""
    if not may_manage_bans(user, "add"):
        return None
    return Button(
        "Ban author…",
        url=ban_author_url(comment),
        icon_name="lock",
        priority=70,
        attrs={"aria-label": f"Ban the author of the comment by {comment.author_name}"},
    )


def ban_context(comment, user):
    """What the comment's inspect view shows this moderator about banning its author: the
    ban in force if they may view bans, the link to ban if they may ban."""
    context = {}
    if may_manage_bans(user, "view"):
        ban = active_ban_for(comment.author_email, comment.ip_address)
        context["author_ban"] = ban
        context["author_ban_url"] = ban_url("inspect", ban.pk) if ban else ""
    if may_manage_bans(user, "add"):
        context["ban_author_url"] = ban_author_url(comment)
    return context


def expiry_text(ban):
    if ban.expires_at is None:
        return "For good"
    return timezone.localtime(ban.expires_at).strftime("%Y-%m-%d %H:%M")


class BanForm(forms.ModelForm):
    """Ban a value typed in, or (``source_comment``) that comment's email, address or
    network, each choice showing the very value it bans."""

    duration = forms.ChoiceField(
        label="For",
        choices=DURATION_CHOICES,
        initial="7",
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Ban
        fields = ["kind", "value", "reason"]
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, source_comment=None, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source_comment = source_comment
        self.fields["kind"].choices = Ban.Kind.choices
        if source_comment is not None:
            del self.fields["value"]
            self.fields["kind"].label = "Ban this comment's author by"
            self.fields["kind"].choices = self.choices_for(source_comment)
            self.fields["kind"].initial = Ban.Kind.EMAIL

    @staticmethod
    def choices_for(comment):
        choices = [(Ban.Kind.EMAIL, f"Email: {comment.author_email}")]
        if comment.ip_address:
            choices += [
                (Ban.Kind.IP, f"IP address: {comment.ip_address}"),
                (Ban.Kind.NETWORK, f"Network: {network_of(comment.ip_address)}"),
            ]
        return choices

    def ban_days(self):
        duration = self.cleaned_data.get("duration")
        return int(duration) if duration else None


class BanPermissionRequiredMixin:
    """A real 403 for a moderator whose groups do not grant ``ban_action`` on bans (Wagtail's
    own check would redirect to the dashboard, which a script would take for success)."""

    ban_action = None

    def dispatch(self, request, *args, **kwargs):
        if not may_manage_bans(request.user, self.ban_action):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)


class BanCreateView(ModeratorRequiredMixin, BanPermissionRequiredMixin, CreateView):
    ban_action = "add"
    page_title = "Ban"
    success_message = "%(object)s is in force."

    @cached_property
    def source_comment(self):
        comment_id = self.request.GET.get("comment", "")
        if not comment_id.isdigit():
            return None
        return get_object_or_404(Comment.objects.select_related("post"), pk=comment_id)

    def get_page_subtitle(self):
        if self.source_comment:
            return f"The author of the comment by {self.source_comment.author_name}"
        return "An email, an IP address or a network"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "source_comment": self.source_comment}

    def get_add_url(self):
        if self.source_comment:
            return ban_url("add", comment=self.source_comment.pk)
        return super().get_add_url()

    def form_valid(self, form):
        self.form = form
        try:
            self.object = create_ban(
                form.cleaned_data["kind"],
                value=form.cleaned_data.get("value", ""),
                comment=self.source_comment,
                days=form.ban_days(),
                reason=form.cleaned_data["reason"],
                user=self.request.user,
            )
        except BanError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            self.produced_error_message = "The ban was not made; see the errors below."
            return self.form_invalid(form)
        return self.save_action()

    def get_success_buttons(self):
        return []

    def get_success_url(self):
        if self.source_comment:
            return reverse(
                "wagtailsnippets_comments_comment:inspect", args=[self.source_comment.pk]
            )
        return reverse(self.index_url_name)


class BanStateFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label="State",
        choices=list(STATE_LABELS.items()),
        empty_label="All",
        method="filter_state",
        widget=forms.RadioSelect,
    )
    kind = django_filters.ChoiceFilter(label="Kind", choices=Ban.Kind.choices, empty_label="All")

    class Meta:
        model = Ban
        fields = ["state", "kind"]

    def filter_state(self, queryset, name, value):
        return {
            "active": queryset.active,
            "expired": queryset.expired,
            "lifted": queryset.lifted,
        }[value]()


def lift_button_attrs(ban):
    return {
        # Wagtail's own "post this URL with the CSRF token" controller.
        "data-controller": "w-action",
        "data-action": "w-action#post",
        "data-w-action-url-value": ban_url("lift", ban.pk),
    }


class BanIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("created_by")

    @cached_property
    def columns(self):
        return [
            self._get_title_column("value"),
            Column("kind", label="Kind", accessor="get_kind_display", sort_key="kind"),
            StatusTagColumn(
                "state",
                label="State",
                accessor=lambda ban: STATE_LABELS[ban.state],
                primary=lambda ban: ban.is_active,
            ),
            Column("expires_at", label="Expires", accessor=expiry_text, sort_key="expires_at"),
            Column("reason", label="Reason"),
            Column("created_by", label="By", accessor=lambda ban: ban.created_by or "—"),
            DateColumn("created_at", label="Banned", sort_key="created_at"),
        ]

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.is_active and may_manage_bans(self.request.user, "lift"):
            buttons.append(
                Button(
                    "Lift", icon_name="lock-open", priority=30, attrs=lift_button_attrs(instance)
                )
            )
        return buttons


class BanInspectView(InspectView):
    fields = ["kind", "value", "reason", "expires_at", "created_at", "created_by"]
    fields += ["lifted_at", "lifted_by", "comment"]

    def get_expires_at_display_value(self):
        return expiry_text(self.object)

    def get_lifted_at_display_value(self):
        return self.object.lifted_at or f"Not lifted ({self.object.state})"

    @cached_property
    def header_buttons(self):
        if not (self.object.is_active and may_manage_bans(self.request.user, "lift")):
            return []
        return [
            HeaderButton(
                "Lift this ban", icon_name="lock-open", attrs=lift_button_attrs(self.object)
            )
        ]


class LiftBanView(ModeratorRequiredMixin, BanPermissionRequiredMixin, View):
    """POST only: end a ban now, then back where the button was."""

    ban_action = "lift"

    http_method_names = ["post"]

    def post(self, request, pk):
        ban = get_object_or_404(Ban, pk=pk)
        try:
            lift_ban(ban, user=request.user)
        except BanError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Lifted {ban}.")
        next_url = request.POST.get("next") or request.GET.get("next")
        if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
            return redirect(next_url)
        return redirect(ban_url("index"))


class BanViewSet(ModelViewSet):
    model = Ban
    icon = "lock"
    menu_label = "Comment bans"
    menu_name = "comment_bans"
    menu_order = 151
    add_to_admin_menu = True
    add_to_reference_index = False
    name = URL_NAMESPACE
    url_prefix = "comment-bans"
    inspect_view_enabled = True
    copy_view_enabled = False
    list_per_page = 50
    filterset_class = BanStateFilterSet
    index_view_class = BanIndexView
    add_view_class = BanCreateView
    inspect_view_class = BanInspectView
    search_fields = None

    def get_form_class(self, for_update=False):
        return BanForm

    def get_permissions_to_register(self):
        """The group editor offers the ban permissions that mean something (view, add,
        change: lift); not delete, which no one is granted."""
        codenames = [name.partition(".")[2] for name in BAN_PERMISSIONS.values()]
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Ban), codename__in=codenames
        )

    def get_urlpatterns(self):
        patterns = [
            *super().get_urlpatterns(),
            path("lift/<int:pk>/", LiftBanView.as_view(), name="lift"),
        ]
        for pattern in patterns:
            pattern.callback = moderators_only(pattern.callback)
        return patterns


class BanLogFormatter(LogFormatter):
    label = "Comment: ban"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        kind = dict(Ban.Kind.choices).get(data.get("kind"), "author").lower()
        until = data.get("expires_at")
        ends = f"until {until[:16].replace('T', ' ')} UTC" if until else "for good"
        ban = f"ban #{data.get('ban_id')}"
        return f"Banned the author's {kind} {ends} ({ban}): {data.get('reason', '')}"

    def format_comment(self, log_entry):
        return (log_entry.data or {}).get("reason", "")


class LiftBanLogFormatter(LogFormatter):
    label = "Comment: lift ban"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        kind = dict(Ban.Kind.choices).get(data.get("kind"), "author").lower()
        return f"Lifted ban #{data.get('ban_id')} on the author's {kind}"


def register_ban_log_actions(actions):
    actions.register_action(BAN_LOG_ACTION)(BanLogFormatter)
    actions.register_action(LIFT_LOG_ACTION)(LiftBanLogFormatter)
