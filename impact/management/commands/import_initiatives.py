"""`manage.py import_initiatives FILE [--dry-run] [--kind initiatives|organisations|people]`"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from impact.imports import RESOURCES, read_dataset, run_import, validate_upload


class Command(BaseCommand):
    help = "Import initiatives (or organisations, people) from CSV or XLSX: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument("--kind", choices=sorted(RESOURCES), default="initiatives")

    def handle(self, *args, file, dry_run, kind, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        data = path.read_bytes()
        try:
            validate_upload(SimpleUploadedFile(path.name, data), max_bytes=settings.POPS_IMPORT_MAX_BYTES)
            dataset = read_dataset(data=data, filename=path.name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        outcome = run_import(resource_class=RESOURCES[kind], dataset=dataset, dry_run=dry_run)
        totals = outcome.totals
        self.stdout.write(
            f"new: {totals.get('new', 0)}  update: {totals.get('update', 0)}  "
            f"unchanged: {totals.get('skip', 0)}  bad rows: {len({e.row for e in outcome.errors})}"
        )
        for error in outcome.errors:
            self.stdout.write(str(error))
        if outcome.errors:
            raise CommandError("Nothing was imported: fix the rows above and try again.")
        self.stdout.write("Dry run: nothing was written." if dry_run else "Imported.")
