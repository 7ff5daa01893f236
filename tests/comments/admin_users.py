"""The people of the moderation admin, built the way a site administrator sets them up:
editors in Wagtail's own "Editors" group, moderators in a group with the admin-access
permission, "Can moderate comments" and the ban permissions (view, add, change: lift)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

PASSWORD = "correct horse battery"


def moderators_group():
    group, created = Group.objects.get_or_create(name="Comment moderators")
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
            Permission.objects.get(content_type__app_label="comments", codename="moderate_comment"),
            *Permission.objects.filter(
                content_type__app_label="comments",
                codename__in=["view_ban", "add_ban", "change_ban"],
            ),
        )
    return group


def make_moderator(username="moderator", **fields):
    fields.setdefault("email", f"{username}@example.com")
    fields.setdefault("first_name", "Mona")
    fields.setdefault("last_name", "Moderator")
    user = get_user_model().objects.create_user(username, password=PASSWORD, **fields)
    user.groups.add(moderators_group())
    return user


def make_editor(username="editor", **fields):
    fields.setdefault("email", f"{username}@example.com")
    user = get_user_model().objects.create_user(username, password=PASSWORD, **fields)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def make_superuser(username="admin"):
    return get_user_model().objects.create_superuser(username, f"{username}@example.com", PASSWORD)
