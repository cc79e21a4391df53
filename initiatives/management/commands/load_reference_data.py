from django.core.management.base import BaseCommand, CommandError

from pops.reference_data import ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = "Load vocabularies, the Action Plan and the PIAO objectives from fixtures/reference (idempotent)."

    def handle(self, *args, **options):
        try:
            report = load_reference_data()
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 1:
            for line in report.lines():
                self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"Reference data loaded: {report.total_created} created, {report.total_updated} updated."
            )
        )
