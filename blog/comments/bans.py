"""
Bans: an email, an IP address or a network (/24 for IPv4, /64 for IPv6) whose new
comments go to spam, for a time or for good.

The ban is silent: the reader is told their comment awaits moderation, as for any held
comment, so a banned author learns nothing to work around. Every value is stored in one
canonical spelling (``canonical_value``), so a new comment is matched by looking up the
three keys it could be banned under (its email, its address, its network) in one indexed
query, however many bans there are. A ban ends by itself when ``expires_at`` passes, or
when a moderator lifts it (``lifted_at``); the row stays, for the audit trail.

``create_ban`` and ``lift_ban`` are the one way bans change (admin and API alike), and
both write a Wagtail log entry on the ban and, for a ban made from a comment, on that
comment, so its history shows it. ``may_manage_bans`` is the one rule for who may see,
make and lift them, in the admin and the API alike.
"""

import datetime
import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from wagtail.log_actions import log

IPV4_NETWORK_PREFIX = 24
IPV6_NETWORK_PREFIX = 64
#: What the admin offers; the API takes any number of days up to MAX_BAN_DAYS.
DURATION_CHOICES = [("1", "1 day"), ("7", "1 week"), ("30", "30 days"), ("", "For good")]
MAX_BAN_DAYS = 3650

BAN_LOG_ACTION = "comments.ban"
LIFT_LOG_ACTION = "comments.ban_lift"

#: Django's own permissions on bans, per thing a moderator does with them: an
#: administrator ticks them per group (Settings > Groups), and Wagtail's site history
#: shows ban entries to whoever holds one of them. Lifting is the one change a ban takes;
#: no one deletes a ban (its row is the audit trail), so "delete" is granted to no one.
BAN_PERMISSIONS = {
    "view": "comments.view_ban",
    "add": "comments.add_ban",
    "lift": "comments.change_ban",
}
#: Spelled here rather than imported from ``submission``, which imports this module.
MODERATE_PERMISSION = "comments.moderate_comment"


class BanError(ValueError):
    """A ban that cannot be made or lifted; ``field`` names the input at fault, if one is."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class BanConflict(BanError):
    """The ban asked for clashes with one as it stands: already banned, already ended."""


class BanQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def expired(self, now=None):
        return self.filter(lifted_at__isnull=True, expires_at__lte=now or timezone.now())

    def lifted(self):
        return self.filter(lifted_at__isnull=False)


class Ban(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        IP = "ip", "IP address"
        NETWORK = "network", "Network"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(
        max_length=254,
        help_text="An email, an IP address, or a network as 192.0.2.0/24 or 2001:db8::/64.",
    )
    reason = models.CharField(max_length=255, help_text="Why; moderators see it, readers never.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: for good.")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "comments.Comment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bans",
        help_text="The comment the ban was made from, if it was.",
    )

    objects = BanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What every new comment asks: is one of these values banned now.
            models.Index(
                fields=["value", "expires_at"],
                condition=Q(lifted_at__isnull=True),
                name="ban_unlifted_value_idx",
            ),
        ]

    def __str__(self):
        # What audit-log rows are labelled with (Wagtail stores it on each entry): no
        # email or address, which only the ban list shows, to moderators.
        return f"Ban #{self.pk} ({self.get_kind_display().lower()})"

    @property
    def state(self):
        if self.lifted_at:
            return "lifted"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_active(self):
        return self.state == "active"

    @property
    def spam_reason(self):
        """Why a banned author's comment is spam, as moderators read it (the comment's
        ``reason``; the moderation API shows it, so no email or address)."""
        return f"The author's {self.get_kind_display().lower()} is banned (ban #{self.pk})"


def may_manage_bans(user, action):
    """Whether ``user`` may ``action`` ("view", "add" or "lift") bans. Bans show emails
    and addresses, which only moderators see, so a ban permission counts only for a user
    who may also moderate comments."""
    return bool(
        action in BAN_PERMISSIONS
        and user
        and user.is_authenticated
        and user.has_perm(MODERATE_PERMISSION)
        and user.has_perm(BAN_PERMISSIONS[action])
    )


def network_of(address):
    """The network an address is banned with: its /24 (IPv4) or /64 (IPv6)."""
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    prefix = IPV4_NETWORK_PREFIX if parsed.version == 4 else IPV6_NETWORK_PREFIX
    return ipaddress.ip_network((int(parsed), prefix), strict=False).compressed


def canonical_value(kind, value):
    """The one spelling a ban is stored and matched under; ``BanError`` for a value the
    kind cannot take."""
    value = (value or "").strip()
    if not value:
        raise BanError("Enter what to ban.", field="value")
    if kind == Ban.Kind.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise BanError("Enter a valid email address.", field="value") from None
        return value.lower()
    if kind == Ban.Kind.IP:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise BanError("Enter a valid IPv4 or IPv6 address.", field="value") from None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address.compressed
    if kind == Ban.Kind.NETWORK:
        address, _, prefix = value.partition("/")
        try:
            canonical = network_of(address)
        except ValueError:
            raise BanError(
                "Enter a network such as 192.0.2.0/24 or 2001:db8::/64, or one address in it.",
                field="value",
            ) from None
        expected = canonical.partition("/")[2]
        if prefix and prefix != expected:
            raise BanError(
                f"Networks are banned as a /{IPV4_NETWORK_PREFIX} (IPv4) or a "
                f"/{IPV6_NETWORK_PREFIX} (IPv6), not a /{prefix}.",
                field="value",
            )
        return canonical
    raise BanError("Choose an email, an IP address or a network.", field="kind")


def value_from_comment(kind, comment):
    """What banning this comment's author by ``kind`` bans."""
    if kind == Ban.Kind.EMAIL:
        return comment.author_email
    if not comment.ip_address:
        raise BanError(
            "This comment has no IP address (it was erased, or never known).", field="kind"
        )
    return comment.ip_address if kind == Ban.Kind.IP else network_of(comment.ip_address)


def keys_for(email, ip_address):
    """Every value a comment from this email and address could be banned under."""
    keys = [email.strip().lower()] if email else []
    if ip_address:
        keys += [canonical_value(Ban.Kind.IP, ip_address), network_of(ip_address)]
    return keys


def active_ban_for(email, ip_address, now=None):
    """The ban a new comment falls under, or None: one query through
    ``ban_unlifted_value_idx``, whatever the number of bans. A ban for good wins over
    one that ends, so the reason names the longest."""
    keys = keys_for(email, ip_address)
    if not keys:
        return None
    return (
        Ban.objects.active(now)
        .filter(value__in=keys)
        .order_by(models.F("expires_at").desc(nulls_first=True), "-pk")
        .first()
    )


def create_ban(kind, *, user, reason, value="", comment=None, days=None):
    """Ban ``value`` (or, with ``comment`` and no value, that comment's author by
    ``kind``) for ``days``, or for good when ``days`` is None."""
    reason = (reason or "").strip()
    if not reason:
        raise BanError("Say why: moderators read it when the ban is questioned.", field="reason")
    if days is not None and not 1 <= days <= MAX_BAN_DAYS:
        raise BanError(f"A ban lasts from 1 to {MAX_BAN_DAYS} days, or for good.", field="days")
    if not value and comment is not None:
        value = value_from_comment(kind, comment)
    value = canonical_value(kind, value)
    now = timezone.now()
    with transaction.atomic():
        existing = Ban.objects.active(now).filter(kind=kind, value=value).select_for_update()
        if current := existing.first():
            ends = (
                f"until {timezone.localtime(current.expires_at):%Y-%m-%d %H:%M}"
                if current.expires_at
                else "for good"
            )
            raise BanConflict(
                f"This {current.get_kind_display().lower()} is already banned {ends} "
                f"(ban #{current.pk}). Lift that ban first to change it.",
                field="value",
            )
        ban = Ban.objects.create(
            kind=kind,
            value=value,
            reason=reason[:255],
            created_by=user,
            comment=comment,
            expires_at=now + datetime.timedelta(days=days) if days else None,
        )
        data = ban_log_data(ban)
        log(instance=ban, action=BAN_LOG_ACTION, user=user, data=data)
        if comment is not None:
            log(instance=comment, action=BAN_LOG_ACTION, user=user, data=data)
    return ban


def lift_ban(ban, *, user):
    """End an active ban now; the row stays, with who lifted it and when."""
    with transaction.atomic():
        ban = Ban.objects.select_for_update().get(pk=ban.pk)
        if not ban.is_active:
            raise BanConflict(f"Ban #{ban.pk} is already {ban.state}; nothing to lift.")
        ban.lifted_at = timezone.now()
        ban.lifted_by = user
        ban.save(update_fields=["lifted_at", "lifted_by"])
        data = ban_log_data(ban)
        log(instance=ban, action=LIFT_LOG_ACTION, user=user, data=data)
        if ban.comment_id:
            log(instance=ban.comment, action=LIFT_LOG_ACTION, user=user, data=data)
    return ban


def ban_log_data(ban):
    """What the audit trail keeps: kind, expiry and reason; the banned value stays on
    the ban itself (the site history is open to more than moderators)."""
    return {
        "ban_id": ban.pk,
        "kind": ban.kind,
        "expires_at": ban.expires_at.isoformat() if ban.expires_at else None,
        "reason": ban.reason,
    }
