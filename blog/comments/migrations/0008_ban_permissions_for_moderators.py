"""Bans get Django's own permissions (view, add, change: lift), which the admin and the
API now check and by which Wagtail's site history shows ban entries. Whoever may moderate
comments today (a group or a user holding "Can moderate comments") keeps managing bans as
before: they are granted the three.

Django creates a model's permissions only after all migrations have run, so they are made
here if they do not exist yet; the codenames are spelled out, as a migration must not
follow the code's later changes."""

from django.conf import settings
from django.db import migrations

BAN_CODENAMES = {
    "view_ban": "Can view ban",
    "add_ban": "Can add ban",
    "change_ban": "Can change ban",
}


def ban_permissions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    ban_type, _ = ContentType.objects.get_or_create(app_label="comments", model="ban")
    return [
        Permission.objects.get_or_create(
            content_type=ban_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in BAN_CODENAMES.items()
    ]


def holders_of_moderate(apps):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    moderate = Permission.objects.filter(
        content_type__app_label="comments", codename="moderate_comment"
    )
    groups = Group.objects.filter(permissions__in=moderate).distinct()
    users = User.objects.filter(user_permissions__in=moderate).distinct()
    return groups, users


def grant_ban_permissions(apps, schema_editor):
    permissions = ban_permissions(apps)
    groups, users = holders_of_moderate(apps)
    for group in groups:
        group.permissions.add(*permissions)
    for user in users:
        user.user_permissions.add(*permissions)


def revoke_ban_permissions(apps, schema_editor):
    """Before this migration the ban permissions meant nothing, so no one keeps them."""
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="comments",
        content_type__model="ban",
        codename__in=BAN_CODENAMES,
    )
    for permission in permissions:
        permission.group_set.clear()
        permission.user_set.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("comments", "0007_verify"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(grant_ban_permissions, revoke_ban_permissions),
    ]
