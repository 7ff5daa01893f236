from django.core.management.base import BaseCommand

from blog.seed import load_seed_content


class Command(BaseCommand):
    help = (
        "Create or update the home page, the blog index and the seed article. "
        "Safe to run again: it updates what exists and never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            help=(
                "Where the site is served, e.g. http://127.0.0.1:8000 (make run passes it); "
                "set on the default Site only while it has Wagtail's placeholder address."
            ),
        )

    def handle(self, *args, site_url=None, **options):
        for line in load_seed_content(site_url=site_url):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Seed content is in place."))
