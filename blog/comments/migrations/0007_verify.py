"""Confirmed commenters (blog/comments/verification.py): whether a comment's author
proved they control its email, and the confirmation links mailed.

SQLite cannot add a NOT NULL column in place: Django rebuilds ``comments_comment``, and
the rebuild drops the thread-position trigger of migration 0005, so it is created again.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

thread_trigger = importlib.import_module(
    "blog.comments.migrations.0005_thread_position_by_the_database"
)


def recreate_thread_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    create, drop = thread_trigger.statements_for(schema_editor)
    schema_editor.execute(drop, params=None)
    schema_editor.execute(create, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0007_edit"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="author_confirmed",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "The author proved they control the email: signed in with it, wrote from "
                    "a browser or app that confirmed it, or confirmed the link mailed about "
                    "this comment."
                ),
                verbose_name="email confirmed",
            ),
        ),
        migrations.RunPython(recreate_thread_trigger, recreate_thread_trigger),
        migrations.CreateModel(
            name="EmailConfirmation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "email",
                    models.CharField(db_index=True, help_text="Lower-cased.", max_length=254),
                ),
                ("requested_at", models.DateTimeField(auto_now_add=True)),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "comment",
                    models.ForeignKey(
                        blank=True,
                        help_text="The comment whose arrival sent the link, if one did.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="comments.comment",
                    ),
                ),
            ],
        ),
    ]
