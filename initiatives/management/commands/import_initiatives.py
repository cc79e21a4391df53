"""`manage.py import_initiatives FILE [--dry-run] [--kind initiatives|organisations|people]
[--valid-rows-only] [--arrive-as submitted|draft] [--duplicates leave-out|new|update]`"""

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from initiatives.exchange.imports import RESOURCES, read_dataset, run_import, validate_upload
from initiatives.exchange.resources import CREATE_NEW, DUPLICATE
from initiatives.services.workflow import ARRIVAL_STATES

# What --duplicates does with a row that only looks like an existing initiative.
DUPLICATES = {"leave-out": "", "new": CREATE_NEW, "update": "update"}

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Translated when asked (argparse takes no lazy text).
        return _("Import initiatives (or organisations, people) from CSV or XLSX: all rows or none.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The CSV or XLSX file to import."))
        parser.add_argument("--dry-run", action="store_true", help=_("Check the file and report; write nothing."))
        parser.add_argument("--kind", choices=sorted(RESOURCES), default="initiatives", help=_("What the file holds."))
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help=_("Import the rows without errors and leave out the others (otherwise: all rows or none)."),
        )
        parser.add_argument(
            "--arrive-as",
            choices=ARRIVAL_STATES,
            default=ARRIVAL_STATES[0],
            help=_("The state new initiatives arrive in (an import never publishes)."),
        )
        parser.add_argument(
            "--duplicates",
            choices=sorted(DUPLICATES),
            default="leave-out",
            help=_(
                "What to do with a row that has the title of an existing initiative but no slug or id: "
                "leave it out, create a new initiative, or update the existing one."
            ),
        )

    def handle(self, *args, file, dry_run, kind, valid_rows_only, arrive_as, duplicates, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        # The admin's rules, in the same order: the type and size are checked
        # (from the name, the size on disk, the first bytes and a workbook's
        # archive) before the file is read, within the bounds of
        # exchange.files. Every failure is a sentence, never a traceback.
        try:
            with path.open("rb") as stream:
                upload = File(stream, name=path.name)
                validate_upload(upload, max_bytes=settings.POPS_IMPORT_MAX_BYTES)
                dataset = read_dataset(data=upload.read(), filename=path.name, resource_class=RESOURCES[kind])
            choices = {"arrival_state": arrive_as, "duplicate_default": DUPLICATES[duplicates]}
            outcome = run_import(
                resource_class=RESOURCES[kind],
                dataset=dataset,
                dry_run=dry_run,
                valid_rows_only=valid_rows_only,
                file_name=path.name,
                **choices,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except OSError as exc:
            raise CommandError(
                _("The file %(file)s cannot be read: %(reason)s") % {"file": file, "reason": exc.strerror or exc}
            ) from None
        except Exception:
            logger.exception("The import of %s failed", file)
            raise CommandError(_("The import failed unexpectedly; nothing was imported.")) from None
        totals = outcome.totals
        self.stdout.write(
            _("new: %(new)d  updated: %(updated)d  unchanged: %(unchanged)d  bad rows: %(bad)d")
            % {
                "new": totals.get("new", 0),
                "updated": totals.get("update", 0),
                "unchanged": totals.get("skip", 0),
                "bad": totals.get("invalid", 0),
            }
        )
        for error in outcome.errors:
            self.stdout.write(str(error))
        report = outcome.report
        for entry in report.duplicates if report is not None else ():
            self.stdout.write(
                _("Row %(row)d: possible duplicate of %(candidates)s, left out (see --duplicates).")
                % {
                    "row": entry["row"],
                    "candidates": ", ".join(f'"{c["title"]}" ({c["slug"]})' for c in entry["candidates"]),
                }
            )
        if outcome.errors and not outcome.written and not (dry_run and valid_rows_only):
            raise CommandError(_("Nothing was imported: fix the rows above and try again."))
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        elif outcome.errors or totals.get(DUPLICATE):
            self.stdout.write(_("Imported, except the rows above."))
        else:
            self.stdout.write(_("Imported."))
