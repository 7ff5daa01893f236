from django.core.management.base import BaseCommand, CommandError

from headless.api_types import TYPES_FILE, GeneratorMissing, generate_types


class Command(BaseCommand):
    help = "Regenerate headless/static/headless/api-types.d.ts from the v3 OpenAPI schema."

    def handle(self, *args, **options):
        try:
            TYPES_FILE.write_text(generate_types())
        except GeneratorMissing as missing:
            raise CommandError(str(missing)) from missing
        self.stdout.write(f"Wrote {TYPES_FILE}")
