"""`manage.py import_census FILE.xlsx [--dry-run] [--as STATE] [--valid-only] [--duplicates WHAT]`"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from initiatives.exchange.census_import import (
    CHOICE_NEW,
    CHOICE_UPDATE,
    CensusFileError,
    census_apply,
    census_plan,
)
from initiatives.services.workflow import ARRIVAL_STATES


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Import a census workbook (the sheets that export_census writes): check everything, then write "
            "all of it, or with --valid-only the initiatives without problems."
        )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The .xlsx census workbook."))
        parser.add_argument("--dry-run", action="store_true", help=_("Check the file and report; write nothing."))
        parser.add_argument(
            "--as",
            dest="arrival",
            choices=ARRIVAL_STATES,
            default=ARRIVAL_STATES[0],
            help=_("The state new initiatives arrive in (an import never publishes)."),
        )
        parser.add_argument(
            "--valid-only", action="store_true", help=_("Import the initiatives without problems; skip the others.")
        )
        parser.add_argument(
            "--duplicates",
            choices=["ask", "new", "update", "skip"],
            default="ask",
            help=_(
                "What to do with a new row whose title an existing initiative has: ask (stop and list them), "
                "create new, update the existing one, or skip the row."
            ),
        )

    def handle(self, *args, file, dry_run, arrival, valid_only, duplicates, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        if path.suffix.lower() != ".xlsx":
            raise CommandError(_("The census workbook is an .xlsx file: “%(file)s” is not.") % {"file": file})
        if path.stat().st_size > settings.POPS_IMPORT_MAX_BYTES:
            raise CommandError(
                _("The file is too large (%(size)d MB; at most %(max)d MB).")
                % {"size": path.stat().st_size // 2**20 + 1, "max": settings.POPS_IMPORT_MAX_BYTES // 2**20}
            )
        data = path.read_bytes()
        try:
            plan = census_plan(data=data, filename=path.name)
            if duplicates != "ask" and plan.duplicates:
                choices = {}
                for entry in plan.duplicates:
                    if duplicates == "new":
                        choices[entry.choice_key] = CHOICE_NEW
                    elif duplicates == "update":
                        choices[entry.choice_key] = CHOICE_UPDATE + entry.candidates[0].slug
                plan = census_plan(data=data, filename=path.name, choices=choices)
                if duplicates == "skip":
                    valid_only = True
        except CensusFileError as exc:
            raise CommandError(str(exc)) from None
        totals = plan.totals
        self.stdout.write(
            _(
                "new: %(new)d  updated: %(update)d  unchanged: %(unchanged)d  possible duplicates: %(duplicate)d  "
                "with problems: %(invalid)d"
            )
            % totals
        )
        for entry in plan.pending:
            self.stdout.write(
                _("Row %(row)d “%(title)s” may be a duplicate of “%(other)s” (%(slug)s).")
                % {
                    "row": entry.row,
                    "title": entry.title,
                    "other": entry.candidates[0].title_it,
                    "slug": entry.candidates[0].slug,
                }
            )
        for problem in plan.problems:
            self.stdout.write(str(problem))
        for notice in plan.notices:
            self.stdout.write(notice)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        if not plan.can_write(valid_only=valid_only):
            if plan.pending and not plan.problems:
                raise CommandError(
                    _("Nothing was imported: choose what to do with the possible duplicates (--duplicates).")
                )
            raise CommandError(_("Nothing was imported: fix the rows above and try again."))
        outcome = census_apply(plan, arrival=arrival, valid_only=valid_only)
        self.stdout.write(
            _("Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged, %(skipped)d skipped.")
            % {
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "skipped": outcome.skipped,
            }
        )
