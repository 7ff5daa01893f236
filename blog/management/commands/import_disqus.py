import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from blog.importers.disqus import DisqusExportError, DisqusImport


class DryRunRollback(Exception):
    """Raised at the end of a dry run so that nothing it touched is kept."""


class Command(BaseCommand):
    help = (
        "Import comments from a Disqus export (Admin → Moderation → Export) onto the posts "
        "at their threads' addresses, old WordPress addresses included. Safe to run again: "
        "nothing is duplicated. See docs/importing.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("export", help="The XML file Disqus exported.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read, match and report; write nothing."
        )
        parser.add_argument("--report", help="Also write the report to this file, as JSON.")

    def handle(self, *args, **options):
        export = Path(options["export"])
        if not export.is_file():
            raise CommandError(f"No export at {export}.")
        importer = DisqusImport(export, dry_run=options["dry_run"])
        try:
            if options["dry_run"]:
                try:
                    with transaction.atomic():
                        report = importer.run()
                        raise DryRunRollback
                except DryRunRollback:
                    pass
            else:
                report = importer.run()
        except DisqusExportError as error:
            raise CommandError(str(error)) from error
        for name, count in report["counts"].items():
            self.stdout.write(f"{name.replace('_', ' ')}: {count}")
        for link in report["unmatched_threads"]:
            self.stdout.write(f"No post here for the thread at {link}")
        for failure in report["failed_threads"]:
            self.stderr.write(f"Thread at {failure['link']} not imported: {failure['error']}")
        if options["report"]:
            Path(options["report"]).write_text(json.dumps(report, indent=2, ensure_ascii=False))
        summary = "Dry run: nothing was written." if options["dry_run"] else "Import finished."
        self.stdout.write(self.style.SUCCESS(summary))
