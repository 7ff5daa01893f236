from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from blog.comments.privacy import purge_network_data


class Command(BaseCommand):
    help = (
        "Clear the IP address and browser of comments older than N days "
        "(default: COMMENTS_IP_RETENTION_DAYS). Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep them this many days (default {settings.COMMENTS_IP_RETENTION_DAYS}).",
        )

    def handle(self, *args, days, **options):
        if days is None:
            days = settings.COMMENTS_IP_RETENTION_DAYS
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        cleared = purge_network_data(days)
        self.stdout.write(
            f"Cleared the IP address and browser of {cleared} comment"
            f"{'s' if cleared != 1 else ''} older than {days} days."
        )
