from django.core.management.base import BaseCommand

from blog.seed import load_seed_content


class Command(BaseCommand):
    help = (
        "Create or update the home page, the blog index and the seed article. "
        "Safe to run again: it updates what exists and never duplicates."
    )

    def handle(self, *args, **options):
        for line in load_seed_content():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Seed content is in place."))
