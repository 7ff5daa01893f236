"""
Answer a commenter's privacy request: ``export EMAIL`` (access) or ``erase EMAIL``.

Only the export prints what we hold about the person; every other message leaves the
email and the addresses out, so terminal logs and scrollback stay free of them.
"""

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from blog.comments.privacy import comments_stored_for, erase_personal_data, export_personal_data

#: Created, never opened: an existing file keeps its own mode (perhaps world-readable)
#: when written over, and a symbolic link would send the data wherever it points.
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def write_new_private_file(path, text):
    """Personal data goes to a file that did not exist and that only its owner can read;
    a path that exists (a file, a directory or a symbolic link, even a dangling one) is
    refused before anything is written, and a failed write leaves no partial file."""
    try:
        descriptor = os.open(path, NEW_FILE_FLAGS, 0o600)
    except FileExistsError:
        what = "is a symbolic link" if os.path.islink(path) else "already exists"
        raise CommandError(
            f"{path} {what}: the export is only written to a new file, which only you can "
            "read. Name a file that does not exist yet. Nothing was written."
        ) from None
    except OSError as error:
        raise CommandError(
            f"Cannot create {path}: {error.strerror}. Nothing was written."
        ) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
    except BaseException:
        os.unlink(path)
        raise


class Command(BaseCommand):
    help = "Export (access request) or anonymize (erasure request) the comments of one email."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{export,erase}")

        export = actions.add_parser(
            "export", help="Print every comment stored for EMAIL, with all we hold, as JSON."
        )
        export.add_argument("email", help="Matched ignoring case.")
        export.add_argument(
            "--output", metavar="FILE", help="Write the JSON to FILE (readable by you only)."
        )

        erase = actions.add_parser(
            "erase",
            help="Anonymize every comment of EMAIL; the text stays, so threads keep their shape.",
        )
        erase.add_argument("email", help="Matched ignoring case.")
        erase.add_argument(
            "--yes",
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, action, email, **options):
        if action == "export":
            self.export(email, options.get("output"))
        else:
            self.erase(email, options.get("interactive", True))

    def export(self, email, output):
        data = export_personal_data(email)
        text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        count = len(data["comments"])
        if not count:
            self.stderr.write("No comments are stored for that email.")
        if output is None:
            self.stdout.write(text)
            return
        write_new_private_file(output, text + "\n")
        self.stdout.write(f"Wrote {count} comment{'s' if count != 1 else ''} to {output}.")

    def erase(self, email, interactive):
        count = comments_stored_for(email).count()
        if not count:
            # Exit 0: the request is already satisfied, and running it twice is not an error.
            self.stdout.write("No comments are stored for that email; nothing to erase.")
            return
        if interactive:
            self.confirm(count)
        erasure = erase_personal_data(email)
        self.stdout.write(
            self.style.SUCCESS(
                f"Anonymized {erasure.comment_count} comment"
                f"{'s' if erasure.comment_count != 1 else ''} on {erasure.post_count} "
                f"post{'s' if erasure.post_count != 1 else ''}."
            )
        )

    def confirm(self, count):
        if not sys.stdin.isatty():
            raise CommandError(
                "Erasing cannot be undone and there is no terminal to confirm it on: "
                "run again with --yes."
            )
        answer = input(
            f"Anonymize {count} comment{'s' if count != 1 else ''} of that email? This cannot "
            "be undone. Type 'yes' to continue: "
        )
        if answer.strip().lower() != "yes":
            raise CommandError("Nothing was erased.")
