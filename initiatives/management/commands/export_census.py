"""`manage.py export_census --output FILE.xlsx [--template] [--state S] [--slug S ...]`"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from impact.anvur import export_record
from impact.models import ExportRecord
from initiatives.exchange.census_export import write_census_template, write_census_workbook
from initiatives.models import Initiative


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Write the census workbook: every initiative (or a selection) with its people, organisations, "
            "places, products and impacts, one sheet each, and a legend."
        )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help=_("The .xlsx file to write."))
        parser.add_argument(
            "--template", action="store_true", help=_("Write the template to fill in: one example initiative.")
        )
        parser.add_argument(
            "--state", action="append", choices=Initiative.State.values, help=_("Only initiatives in this state.")
        )
        parser.add_argument("--slug", action="append", help=_("Only this initiative (repeatable)."))

    def handle(self, *args, output, template, state, slug, **options):
        path = Path(output)
        if path.suffix.lower() != ".xlsx":
            raise CommandError(_("The census workbook is an .xlsx file: “%(file)s” is not.") % {"file": output})
        if not path.parent.is_dir():
            raise CommandError(_("No such folder: %(folder)s") % {"folder": path.parent})
        with path.open("wb") as stream:
            if template:
                write_census_template(stream)
                self.stdout.write(_("Template written to %(file)s.") % {"file": output})
                return
            queryset = Initiative.objects.all()
            if state:
                queryset = queryset.filter(state__in=state)
            if slug:
                queryset = queryset.filter(slug__in=slug)
            count = write_census_workbook(queryset, stream)
        export_record(
            kind=ExportRecord.Kind.RESOURCE,
            fmt="xlsx",
            filters={"model": "census", "state": state or [], "slug": slug or []},
            row_count=count,
            user=None,
            source="command line",
        )
        self.stdout.write(_("%(count)d initiatives written to %(file)s.") % {"count": count, "file": output})
