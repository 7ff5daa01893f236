import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from blog.importers.wordpress import WordPressImport
from blog.importers.wxr import ExportError
from blog.models import BlogIndexPage


class DryRunRollback(Exception):
    """Raised at the end of a dry run so that nothing it touched is kept."""


class Command(BaseCommand):
    help = (
        "Import posts, their comments, images and old addresses from a WordPress export "
        "(Tools → Export → All content). Safe to run again: nothing is duplicated, and posts "
        "edited here since are left alone unless --overwrite. See docs/importing.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("export", help="The WXR file WordPress exported.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and convert everything and report, without writing anything.",
        )
        parser.add_argument(
            "--media-dir",
            help="A copy of the old site's wp-content/uploads, where images are found.",
        )
        parser.add_argument(
            "--fetch-media",
            action="store_true",
            help="Download images not found in --media-dir from the old site.",
        )
        parser.add_argument(
            "--fetch-timeout",
            type=float,
            default=10.0,
            help="Seconds to wait for each image download (default 10).",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Also replace posts edited on this site since they were imported.",
        )
        parser.add_argument(
            "--blog-index",
            help="Slug of the blog index to put posts under (default: the first one).",
        )
        parser.add_argument("--report", help="Also write the report to this file, as JSON.")

    def handle(self, *args, **options):
        export = Path(options["export"])
        if not export.is_file():
            raise CommandError(f"No export at {export}.")
        media_dir = options["media_dir"]
        if media_dir and not Path(media_dir).is_dir():
            raise CommandError(f"--media-dir {media_dir} is not a directory.")
        blog_index = None
        if options["blog_index"]:
            blog_index = BlogIndexPage.objects.filter(slug=options["blog_index"]).first()
            if blog_index is None:
                raise CommandError(f"No blog index with the slug “{options['blog_index']}”.")
        importer = WordPressImport(
            export,
            blog_index=blog_index,
            media_dir=media_dir,
            fetch_timeout=options["fetch_timeout"] if options["fetch_media"] else None,
            dry_run=options["dry_run"],
            overwrite=options["overwrite"],
            progress=self.progress if self.stdout.isatty() else None,
        )
        try:
            if options["dry_run"]:
                self.dry_run(importer)
            else:
                importer.run()
        except ExportError as error:
            raise CommandError(str(error)) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        if self.stdout.isatty():
            self.stdout.write("")
        report = importer.report
        for line in report.lines():
            self.stdout.write(line)
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
            )
        summary = "Dry run: nothing was written." if options["dry_run"] else "Import finished."
        self.stdout.write(self.style.SUCCESS(summary))

    def dry_run(self, importer):
        """The importer writes nothing in a dry run; the rollback makes sure of it."""
        try:
            with transaction.atomic():
                importer.run()
                raise DryRunRollback
        except DryRunRollback:
            pass

    def progress(self, done, total):
        width = 30
        filled = width * done // max(total, 1)
        bar = f"[{'#' * filled}{'.' * (width - filled)}]"
        self.stdout.write(f"\r{bar} {done}/{total} posts", ending="")
        self.stdout.flush()
