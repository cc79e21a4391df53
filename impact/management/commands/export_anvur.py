"""`manage.py export_anvur --year 2025 [--format csv|csv-excel|xlsx] [--output FILE]`"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from impact import anvur
from impact.models import ExportRecord
from pops.spreadsheets import FORMATS, iter_csv, write_file


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Translated when asked (argparse takes no lazy text).
        return _("Export the initiatives active in a year in ANVUR's third-mission columns (or a yearly summary).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help=_("Reporting year."))
        parser.add_argument("--format", choices=FORMATS, default="csv", dest="fmt", help=_("File format."))
        parser.add_argument("--output", help=_("File to write (default: standard output; required for xlsx)."))
        parser.add_argument("--department", action="append", default=[], help=_("Department acronym (repeatable)."))
        parser.add_argument(
            "--field-of-action", action="append", default=[], help=_("Field-of-action code (repeatable).")
        )
        parser.add_argument("--state", action="append", default=None, help=_("Workflow state (default: published)."))
        parser.add_argument(
            "--summary",
            choices=[anvur.SUMMARY_FIELDS, anvur.SUMMARY_SDGS],
            help=_("Write the counts per field of action or per SDG instead of one row per initiative."),
        )
        parser.add_argument("--since", type=int, help=_("With --summary: first year (default: --year)."))

    def handle(self, *args, year, fmt, output, department, field_of_action, state, summary, since, **options):
        if fmt == "xlsx" and not output:
            raise CommandError(_("XLSX needs --output FILE."))
        if summary:
            years = range(since or year, year + 1)
            rows = anvur.summary_rows(years=years, by=summary, states=state)
            header = anvur.SUMMARY_HEADER
            anvur.export_record(
                kind=ExportRecord.Kind.SUMMARY,
                fmt=fmt,
                filters={"years": list(years), "by": summary, "states": state or list(anvur.DEFAULT_STATES)},
                row_count=len(rows),
                source="command",
            )
        else:
            header, rows, record = anvur.anvur_export(
                year=year,
                fmt=fmt,
                source="command",
                departments=department,
                fields_of_action=field_of_action,
                states=state,
            )
        if output:
            with open(output, "wb") as stream:
                write_file(header, rows, stream, fmt=fmt)
            self.stderr.write(_("Wrote %(file)s") % {"file": output})
        else:
            for chunk in iter_csv(header, rows, fmt=fmt):
                self.stdout.write(chunk.decode(), ending="")
