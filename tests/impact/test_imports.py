"""Bulk import: formats, natural keys, plain errors, dry run, all or nothing, round trip."""

import csv
import datetime
import html
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from impact.models import SDG, FieldOfAction
from initiatives.exchange.imports import read_dataset, run_import, validate_upload
from initiatives.exchange.resources import InitiativeResource, OrganisationResource, PersonResource
from initiatives.factories import DepartmentFactory, InitiativeFactory, PersonFactory, UserFactory
from initiatives.models import Department, Initiative, Person, Sector
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import Organisation

pytestmark = pytest.mark.django_db

HEADER = "slug,title_it,start_date,end_date,budget,external_funding,participants,departments,sectors,sdgs\n"


def dataset(text: str, name: str = "file.csv"):
    return read_dataset(data=text.encode("utf-8"), filename=name)


def import_text(text: str, *, dry_run: bool = False, resource_class=InitiativeResource):
    return run_import(resource_class=resource_class, dataset=dataset(text), dry_run=dry_run)


def snapshot(*, other_roles: bool = True, workflow: bool = True) -> list[tuple]:
    """Every column an initiative import writes (each field of
    InitiativeResource, so a new column is compared as soon as it exists), for
    every original initiative, in a comparable form; with `other_roles`, also
    the partnerships in roles other than partner, which imports leave alone;
    without `workflow`, leaving out the id and the state (which initiatives
    imported again do not get back: they are new, and arrive submitted)."""
    from stakeholders.models import Partnership

    names = [field.attribute for field in InitiativeResource().get_import_fields()]
    if not workflow:
        names = [name for name in names if name not in ("id", "state")]
    rows = []
    initiatives = (
        Initiative.objects.originals()
        .order_by("slug")
        .prefetch_related(
            "departments", "sectors", "themes", "sdgs", "fields_of_action", "pe_categories", "intervention_areas"
        )
    )
    for initiative in initiatives:
        row = []
        for name in names:
            if name == "partners":
                partners = initiative.partnerships.filter(role=Partnership.Role.PARTNER).order_by("position", "pk")
                value = list(partners.values_list("organisation__name", flat=True))
            else:
                value = getattr(initiative, name)
                if hasattr(value, "all"):
                    value = sorted(item.pk for item in value.all())
            row.append((name, value))
        if other_roles:
            others = initiative.partnerships.exclude(role=Partnership.Role.PARTNER).order_by("role", "pk")
            row.append(("other roles", list(others.values_list("organisation__name", "role"))))
        rows.append(tuple(row))
    return rows


def some_initiatives():
    """Two initiatives with every column of the import format filled in (or
    deliberately empty), partners in the order given, a funder (a role the
    import format leaves alone) and a working copy (never exported)."""
    from actionplan.models import InterventionArea
    from impact.models import PublicEngagementCategory
    from initiatives.models import Theme

    field = FieldOfAction.objects.filter(code="g").order_by("-valid_from").first()
    first = InitiativeFactory(
        published=True,
        title_it='=HYPERLINK("http://evil")',
        title_en="Neighbourhood gardens",
        summary_it="+39 011 090: chiamate",
        summary_en="@everyone\tis welcome",
        keywords="-rischio, @menzione",
        scale="regional",
        website="https://example.org/orti",
        budget=Decimal("1500.50"),
        external_funding=Decimal("1000"),
        participants=120,
        web_accesses=3400,
        publication_copies=250,
        media_audience=80000,
        impact_evaluated=True,
        fields_of_action=[field],
        pe_categories=PublicEngagementCategory.objects.order_by("-valid_from", "code")[:2],
        intervention_areas=InterventionArea.objects.order_by("pk")[:2],
        themes=Theme.objects.order_by("code")[:2],
        sdgs=SDG.objects.filter(number__in=[4, 11]),
    )
    second = InitiativeFactory(
        title_it="Orti condivisi", summary_en=None, budget=None, external_funding=None, end_date=None
    )
    PartnershipFactory(initiative=first, organisation=OrganisationFactory(name="Cooperativa Esempio"), position=0)
    PartnershipFactory(initiative=first, organisation=OrganisationFactory(name="Comune di Torino"), position=1)
    PartnershipFactory(initiative=first, organisation=OrganisationFactory(name="Fondazione"), role="funder")
    InitiativeFactory(title_it="Orti condivisi (modifica)", revision_of=first)
    return first, second


def test_export_then_import_leaves_the_data_identical():
    some_initiatives()
    before = snapshot()
    exported = InitiativeResource().export().export("csv")

    outcome = import_text(exported)

    assert outcome.errors == []
    assert outcome.totals["skip"] == 2  # recognised as unchanged
    assert snapshot() == before


def test_initiatives_deleted_and_imported_again_come_back_the_same_but_not_published():
    some_initiatives()
    before = snapshot(other_roles=False, workflow=False)
    exported = InitiativeResource().export()
    Initiative.objects.all().delete()

    outcome = import_text(exported.export("csv"))

    assert outcome.totals["new"] == 2 and outcome.written
    assert snapshot(other_roles=False, workflow=False) == before
    # An import never publishes: the published one arrives as submitted, and the preview said so;
    # the draft, as the file says, stays a draft.
    states = dict(Initiative.objects.values_list("title_it", "state"))
    assert states == {'=HYPERLINK("http://evil")': "submitted", "Orti condivisi": "draft"}
    [noted] = [row for row in outcome.report.rows if row["notes"]]
    assert noted["title"] == '=HYPERLINK("http://evil")'
    assert str(Initiative.State.PUBLISHED.label) in noted["notes"][0]  # "the file says Published: …"
    again = InitiativeResource().export()
    for name in ("id", "state"):
        del exported[name], again[name]
    assert again.export("csv") == exported.export("csv")


def test_semicolons_a_byte_order_mark_italian_dates_and_labels_in_either_language_are_read():
    text = (
        "\ufefftitle_it;start_date;end_date;budget;departments;sectors;sdgs;scale\n"
        "Orti in città;15/03/2025;2025-12-31;1.500,50;DIST | dad;"
        "Gestione del territorio | Land and territorial management;11;Locale\n"
    )
    outcome = import_text(text)

    assert outcome.errors == []
    initiative = Initiative.objects.get(title_it="Orti in città")
    assert (initiative.start_date, initiative.end_date) == (datetime.date(2025, 3, 15), datetime.date(2025, 12, 31))
    assert initiative.budget == Decimal("1500.50")
    assert initiative.scale == "local"
    assert sorted(d.code for d in initiative.departments.all()) == ["DAD", "DIST"]
    assert [s.code for s in initiative.sectors.all()] == [
        Sector.objects.by_natural_key("Land and territorial management").get().code
    ]
    assert initiative.slug == "orti-in-citta"


def test_xlsx_files_are_read_with_native_dates_and_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["title_it", "start_date", "budget", "participants", "sdgs"])
    sheet.append(["Scuola aperta", datetime.datetime(2025, 2, 1), 2000, 35, 4])
    stream = io.BytesIO()
    workbook.save(stream)

    outcome = run_import(
        resource_class=InitiativeResource,
        dataset=read_dataset(data=stream.getvalue(), filename="x.xlsx"),
        dry_run=False,
    )

    assert outcome.errors == []
    initiative = Initiative.objects.get(title_it="Scuola aperta")
    assert (initiative.start_date, initiative.budget, initiative.participants) == (datetime.date(2025, 2, 1), 2000, 35)
    assert list(initiative.sdgs.values_list("number", flat=True)) == [4]


def test_a_file_mixing_good_and_bad_rows_imports_nothing_and_names_every_bad_row():
    existing = InitiativeFactory(title_it="Già presente", budget=Decimal("100"), external_funding=None, end_date=None)
    before = snapshot()
    text = HEADER + (
        ",Buona riga,2025-01-01,,,,,DIST,,\n"
        ",Dipartimento sconosciuto,2025-01-01,,,,,XYZ,,\n"
        ",Date al contrario,2025-06-01,2025-01-01,,,,,,\n"
        ",Budget non numerico,2025-01-01,,mille euro,,,,,\n"
        ",Partecipanti strani,2025-01-01,,,,tanti,,,\n"
        ",Data sbagliata,31/02/2025,,,,,,,\n"
        ",SDG inesistente,2025-01-01,,,,,,,18\n"
        ",Settore sconosciuto,2025-01-01,,,,,,Astrologia,\n"
        ",Finanziamento eccessivo,2025-01-01,,100,200,,,,\n"
        f"{existing.slug},Già presente aggiornata,2025-01-01,,,,,,,\n"
    )

    with translation.override("en"):  # the messages' English msgids
        outcome = import_text(text)

    assert not outcome.written
    assert snapshot() == before
    found = {(e.row, e.column): e.message for e in outcome.errors}
    assert found == {
        (3, "departments"): found[(3, "departments")],
        (4, "end_date"): "The end date is before the start date.",
        (5, "budget"): '"mille euro" is not a number.',
        (6, "participants"): '"tanti" is not a number.',
        (7, "start_date"): '"31/02/2025" is not a date: that day does not exist (February 2025 has 28 days).',
        (8, "sdgs"): found[(8, "sdgs")],
        (9, "sectors"): found[(9, "sectors")],
        (10, "external_funding"): "The external funding is larger than the total budget.",
    }
    assert '"XYZ"' in found[(3, "departments")] and found[(3, "departments")].startswith("Unknown")
    assert '"18"' in found[(8, "sdgs")]
    assert '"Astrologia"' in found[(9, "sectors")]


def test_a_dry_run_reports_what_would_change_and_writes_nothing():
    existing = InitiativeFactory(title_it="Orti condivisi", start_date=datetime.date(2025, 1, 1), participants=5)
    text = (
        "slug,title_it,start_date,participants\n"
        f"{existing.slug},Orti condivisi,01/01/2025,99\n"
        ",Nuova iniziativa,2025-02-01,\n"
    )

    outcome = import_text(text, dry_run=True)

    assert (outcome.totals["new"], outcome.totals["update"]) == (1, 1)
    assert Initiative.objects.count() == 1
    existing.refresh_from_db()
    assert existing.participants == 5
    [update] = [row for row in outcome.report.rows if row["action"] == "update"]
    assert [(c["column"], c["before"], c["after"]) for c in update["changes"]] == [("participants", "5", "99")]


def test_an_existing_initiative_is_updated_by_its_slug_or_id_not_created_twice():
    existing = InitiativeFactory(title_it="Orti condivisi", start_date=datetime.date(2025, 1, 1), participants=1)
    import_text(f"slug,title_it,participants\n{existing.slug},Orti condivisi,10\n")
    existing.refresh_from_db()
    assert existing.participants == 10
    import_text(f"id,title_it,participants\n{existing.pk},Orti condivisi,20\n")

    assert Initiative.objects.count() == 1
    existing.refresh_from_db()
    assert existing.participants == 20


def test_organisations_and_people_are_imported_by_their_natural_keys():
    OrganisationFactory(name="Comune di Torino", municipality="")
    orgs = "name,type,municipality\nComune di Torino,Pubblica amministrazione,Torino\nNuova APS,no-profit,Ivrea\n"
    assert import_text(orgs, resource_class=OrganisationResource).errors == []
    assert Organisation.objects.get(name="Comune di Torino").municipality == "Torino"
    assert Organisation.objects.get(name="Nuova APS").slug == "nuova-aps"

    # Not a full professor yet, whatever role the factory would draw: the file makes her one.
    PersonFactory(email="giulia@example.org", first_name="Giulia", last_name="Rossi", role=Person.Role.RESEARCHER)
    people = (
        "email,first_name,last_name,department,role\n"
        "giulia@example.org,Giulia,Rossi,DIST,Full professor\n"
        "marco@example.org,Marco,Bianco,NOPE,researcher\n"
    )
    outcome = import_text(people, resource_class=PersonResource)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "department")]
    assert Person.objects.get(email="giulia@example.org").role != "full_professor"  # nothing written

    outcome = import_text(people.replace("NOPE", "DAD"), resource_class=PersonResource)
    assert outcome.errors == []
    assert Person.objects.get(email="giulia@example.org").role == "full_professor"
    assert Person.objects.get(email="marco@example.org").department == Department.objects.get(code="DAD")


def test_people_import_their_email_language_and_an_empty_cell_keeps_the_current_one():
    PersonFactory(email="anna@example.org", language="en")
    PersonFactory(email="luca@example.org", language="en")
    people = (
        "email,first_name,last_name,role,language\n"
        "anna@example.org,Anna,Neri,researcher,\n"
        "luca@example.org,Luca,Verdi,researcher,Italiano\n"
        "sara@example.org,Sara,Blu,researcher,English\n"
        "ugo@example.org,Ugo,Gialli,researcher,\n"
        "eva@example.org,Eva,Rosa,researcher,klingon\n"
    )
    outcome = import_text(people, resource_class=PersonResource)
    assert [(e.row, e.column) for e in outcome.errors] == [(6, "language")]
    assert "klingon" in outcome.errors[0].message and not Person.objects.filter(email="sara@example.org").exists()

    assert import_text(people.replace("klingon", "en"), resource_class=PersonResource).errors == []
    languages = dict(Person.objects.values_list("email", "language"))
    assert [languages[f"{name}@example.org"] for name in ("anna", "luca", "sara", "ugo", "eva")] == [
        "en",
        "it",
        "en",
        "it",
        "en",
    ]


def test_the_command_dry_run_writes_nothing_and_the_real_run_writes(tmp_path):
    path = tmp_path / "iniziative.csv"
    path.write_text("title_it;start_date;sdgs\nOrti;01/03/2025;2 | 11\n", encoding="utf-8-sig")
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_initiatives", str(path), dry_run=True, stdout=out)
    assert "new: 1  updated: 0" in out.getvalue() and not Initiative.objects.exists()

    call_command("import_initiatives", str(path), stdout=io.StringIO())
    assert list(Initiative.objects.get().sdgs.values_list("number", flat=True)) == [2, 11]


def test_the_command_names_the_bad_rows_and_imports_nothing(tmp_path):
    path = tmp_path / "iniziative.csv"
    path.write_text("title_it,start_date,departments\nBuona,2025-01-01,DIST\nCattiva,2025-01-01,XYZ\n")
    out = io.StringIO()

    with translation.override("en"), pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_initiatives", str(path), stdout=out)

    assert "Row 3, column “departments”" in out.getvalue()
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.pdf", b"%PDF-1.4", "Only CSV and XLSX files can be imported"),
        ("data.xlsx", b"not a zip", "This is not a real XLSX file."),
        ("data.csv", b"title_it\n" + b"x" * 2048, "The file is too large"),
    ],
)
def test_the_command_checks_the_type_and_size_before_reading_the_file(
    tmp_path, settings, monkeypatch, name, content, message
):
    from pathlib import Path

    from initiatives.management.commands import import_initiatives

    settings.POPS_IMPORT_MAX_BYTES = 1024
    path = tmp_path / name
    path.write_bytes(content)

    def never(*args, **kwargs):
        raise AssertionError("the file was read before it was checked")

    monkeypatch.setattr(Path, "read_bytes", never)
    monkeypatch.setattr(import_initiatives, "read_dataset", never)
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("import_initiatives", str(path), stdout=io.StringIO())


def test_the_commands_write_every_message_through_gettext(tmp_path, monkeypatch):
    """Italian is the default language: every message of import_initiatives
    and export_anvur is a msgid (here marked, to see that none is left out)."""
    from impact.management.commands import export_anvur
    from initiatives.management.commands import import_initiatives

    def marked(message):
        return f"«{message}»"

    monkeypatch.setattr(import_initiatives, "_", marked)
    monkeypatch.setattr(export_anvur, "_", marked)
    path = tmp_path / "iniziative.csv"
    path.write_text("title_it,start_date,departments\nBuona,2025-01-01,DIST\nCattiva,2025-01-01,XYZ\n")

    out = io.StringIO()
    with pytest.raises(CommandError, match="^«Nothing was imported: fix the rows above and try again.»$"):
        call_command("import_initiatives", str(path), stdout=out)
    assert out.getvalue().startswith("«new: 1  updated: 0  unchanged: 0  bad rows: 1»\n")
    path.write_text("title_it\nBuona\n")
    for dry_run, last in ((True, "«Dry run: nothing was written.»"), (False, "«Imported.»")):
        out = io.StringIO()
        call_command("import_initiatives", str(path), dry_run=dry_run, stdout=out)
        assert out.getvalue().splitlines()[-1] == last
    with pytest.raises(CommandError, match="^«No such file: .*nowhere.csv»$"):
        call_command("import_initiatives", str(tmp_path / "nowhere.csv"))
    parser = import_initiatives.Command().create_parser("manage.py", "import_initiatives")
    assert parser.description.startswith("«Import initiatives") and "«Check the file" in parser.format_help()

    with pytest.raises(CommandError, match="^«XLSX needs --output FILE.»$"):
        call_command("export_anvur", year=2025, fmt="xlsx")
    err = io.StringIO()
    call_command("export_anvur", year=2025, output=str(tmp_path / "anvur.csv"), stderr=err)
    assert err.getvalue() == f"«Wrote {tmp_path / 'anvur.csv'}»\n"
    parser = export_anvur.Command().create_parser("manage.py", "export_anvur")
    assert parser.description.startswith("«Export the initiatives") and "«Reporting year.»" in parser.format_help()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("data.pdf", b"%PDF-1.4", "file_type"),
        ("data.xlsx", b"not a zip", "file_type"),
        ("data.csv", b"a,b\x00\x00", "file_type"),
        ("data.csv", b"x" * 2048, "file_size"),
    ],
)
def test_uploads_are_checked_by_type_and_size_before_they_are_read(name, content, code):
    with pytest.raises(ValidationError) as error:
        validate_upload(SimpleUploadedFile(name, content), max_bytes=1024)
    assert error.value.code == code


def test_staff_download_an_import_template_with_an_example_row_that_imports_cleanly(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:initiatives_initiative_import_template"))
    body = b"".join(response.streaming_content).decode()

    assert body.splitlines()[0].startswith("slug,title_it,title_en")
    outcome = import_text(body, dry_run=True)
    assert outcome.errors == [] and outcome.totals["new"] == 1


def test_the_admin_import_previews_errors_then_imports_a_fixed_file_on_confirmation(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with translation.override("en"):  # the admin in English: /en/admin/...
        url = reverse("admin:initiatives_initiative_import")
    bad = SimpleUploadedFile("i.csv", b"title_it,start_date,departments\nUna,2025-01-01,XYZ\n")

    response = client.post(url, {"resource": 0, "format": 0, "import_file": bad})

    body = response.content.decode()
    assert 'Unknown department "XYZ".' in html.unescape(body)
    # No way to confirm a file with errors: neither the form nor its button.
    assert "confirm_form" not in response.context and 'name="confirm"' not in body
    assert not Initiative.objects.exists()

    good = SimpleUploadedFile("i.csv", b"title_it,start_date,departments\nUna,2025-01-01,DIST\n")
    preview = client.post(url, {"resource": 0, "format": 0, "import_file": good})
    assert 'name="confirm"' in preview.content.decode()
    assert not Initiative.objects.exists()  # the preview writes nothing
    confirm = preview.context["confirm_form"]
    response = client.post(reverse("admin:initiatives_initiative_process_import"), confirm.initial)

    assert response.status_code == 302
    assert Initiative.objects.get().departments.get().code == "DIST"


def test_a_confirmed_import_is_all_or_nothing_when_a_row_no_longer_validates(client):
    """Between the preview and the confirmation a department named by one row
    is deleted: confirming writes nothing at all (not the other rows), and the
    import page shows the problem again instead of a success message."""
    from django.contrib.admin.models import LogEntry

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    existing = InitiativeFactory(title_it="Già presente", participants=5)
    DepartmentFactory(code="XTEST")  # after: no one the factory made may work in it (it is deleted below)
    before = snapshot()
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_import")
        confirm_url = reverse("admin:initiatives_initiative_process_import")
    text = (
        "slug,title_it,start_date,participants,departments\n"
        ",Prima,2025-01-01,,DIST\n"
        ",Seconda,2025-01-01,,XTEST\n"
        f"{existing.slug},Già presente,,50,\n"
    )
    preview = client.post(url, {"resource": 0, "format": 0, "import_file": SimpleUploadedFile("i.csv", text.encode())})
    confirm = preview.context["confirm_form"]  # the preview found nothing wrong
    Department.objects.filter(code="XTEST").delete()

    with translation.override("en"):
        response = client.post(confirm_url, confirm.initial)

    assert response.status_code == 200  # not the redirect to the changelist
    assert snapshot() == before and Initiative.objects.count() == 1
    assert not LogEntry.objects.filter(user=staff).exists()
    body = response.content.decode()
    cells = VisibleCells()
    cells.feed(body)
    [[row, column, message]] = [row for row in cells.rows if row]
    assert (row, column) == ("3", "departments") and message.startswith('Unknown department "XTEST".')
    assert "the data changed in the meantime" in body and 'type="file"' in body  # upload again
    assert not [m for m in response.context["messages"] if m.level_tag == "success"]

    # The same file, once the department exists again, is imported whole.
    DepartmentFactory(code="XTEST")
    preview = client.post(url, {"resource": 0, "format": 0, "import_file": SimpleUploadedFile("i.csv", text.encode())})
    with translation.override("en"):
        assert client.post(confirm_url, preview.context["confirm_form"].initial).status_code == 302
    assert Initiative.objects.count() == 3
    existing.refresh_from_db()
    assert existing.participants == 50
    assert LogEntry.objects.filter(user=staff).count() == 3


# --- The admin's Export button -----------------------------------------------------

EXPORT_FORMATS = {"csv": 0, "xlsx": 1}  # DataImportExportMixin.export_formats
IMPORT_FORMATS = {"csv": 0, "xlsx": 1}  # exchange.imports.IMPORT_FORMATS


def admin_export(client, fmt: str, query: str = "") -> bytes:
    """The admin's Export of initiatives, every column chosen."""
    columns = {f"initiativeresource_{name}": "on" for name in InitiativeResource._meta.fields}
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_export")
    response = client.post(f"{url}?{query}", {"format": EXPORT_FORMATS[fmt], "resource": 0, **columns})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    return response.content


def exported_rows(content: bytes, fmt: str) -> list[dict]:
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content)).active
        header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        return [dict(zip(header, row, strict=True)) for row in rows]
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def admin_import(client, content: bytes, fmt: str):
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_import")
        confirm_url = reverse("admin:initiatives_initiative_process_import")
    upload = SimpleUploadedFile(f"initiatives.{fmt}", content)
    preview = client.post(url, {"resource": 0, "format": IMPORT_FORMATS[fmt], "import_file": upload})
    assert "confirm_form" in preview.context, preview.context.get("row_problems")
    return client.post(confirm_url, preview.context["confirm_form"].initial)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_admin_export_imported_again_gives_back_the_same_data(client, fmt):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    first, _second = some_initiatives()
    working_copy = first.revisions.get()
    before = snapshot(other_roles=False, workflow=False)

    content = admin_export(client, fmt)

    rows = exported_rows(content, fmt)
    assert sorted(row["slug"] for row in rows) == sorted(Initiative.objects.originals().values_list("slug", flat=True))
    assert working_copy.slug not in {row["slug"] for row in rows}
    Initiative.objects.all().delete()
    assert admin_import(client, content, fmt).status_code == 302
    after = snapshot(other_roles=False, workflow=False)
    assert after == before
    compared = {name for name, _value in after[0]}
    assert {"summary_en", "web_accesses", "publication_copies", "media_audience"} <= compared


def test_the_admin_export_exports_the_changelist_selection_and_records_its_rows(client):
    from impact.models import ExportRecord

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    first, second = some_initiatives()

    rows = exported_rows(admin_export(client, "csv", query="state__exact=published"), "csv")

    assert [row["slug"] for row in rows] == [first.slug]  # the changelist's filter applies
    record = ExportRecord.objects.get()
    assert (record.kind, record.format, record.row_count, record.user) == ("resource", "csv", 1, staff)
    assert record.filters == {"model": "initiatives.Initiative", "query": "state__exact=published"}


def test_the_admin_export_runs_as_many_queries_for_30_initiatives_as_for_3(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actionplan.models import InterventionArea

    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    def add(count):
        for _ in range(count):
            initiative = InitiativeFactory(intervention_areas=InterventionArea.objects.order_by("pk")[:2])
            PartnershipFactory(initiative=initiative)

    counts = []
    for count in (3, 27):
        add(count)
        with CaptureQueriesContext(connection) as queries:
            rows = exported_rows(admin_export(client, "xlsx"), "xlsx")
        counts.append(len(queries))
        assert len(rows) == Initiative.objects.originals().count()
        # The initiatives are read a page at a time (and counted), never all at once.
        reads = [q["sql"] for q in queries if 'FROM "initiatives_initiative" ' in q["sql"]]
        assert reads and all("COUNT(" in sql or " LIMIT " in sql for sql in reads), reads
    assert len(rows) == 30 and counts[0] == counts[1]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_injection_strings_are_neutralised_in_the_admin_export(client, fmt):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    first, _second = some_initiatives()
    PartnershipFactory(initiative=first, organisation=OrganisationFactory(name="=Evil S.p.A."), position=2)
    Initiative.objects.filter(pk=first.pk).update(website="\rhttps://example.org", keywords="\t-rischio")

    [row] = [row for row in exported_rows(admin_export(client, fmt), fmt) if row["slug"] == first.slug]

    assert row["title_it"] == '\'=HYPERLINK("http://evil")'
    assert row["summary_it"] == "'+39 011 090: chiamate"
    assert row["summary_en"] == "'@everyone\tis welcome"
    assert row["keywords"] == "'\t-rischio"
    # (XML, and so XLSX, reads a carriage return back as a line feed.)
    assert row["website"][0] == "'" and row["website"][1] in "\r\n" and row["website"][2:] == "https://example.org"
    assert row["partners"] == "Cooperativa Esempio | Comune di Torino | =Evil S.p.A."  # not at the start: harmless
    Partnership = first.partnerships.model
    Partnership.objects.filter(initiative=first).exclude(organisation__name="=Evil S.p.A.").delete()
    [row] = [row for row in exported_rows(admin_export(client, fmt), fmt) if row["slug"] == first.slug]
    assert row["partners"] == "'=Evil S.p.A."


class VisibleCells(HTMLParser):
    """The text of each row of the problems table, skipping anything hidden
    (a `hidden` attribute, an inline style, the library's hover container)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.stack: list[bool] = []  # per open element: is it hidden?
        self.in_table = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = "hidden" in attrs or "style" in attrs or "validation-error-container" in (attrs.get("class") or "")
        if tag == "table" and "import-problems" in (attrs.get("class") or ""):
            self.in_table = True
        if self.in_table and tag == "tr":
            self.rows.append([])
        if self.in_table and tag == "td":
            self.rows[-1].append("")
        self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.in_table and self.rows and self.rows[-1] and not (self.stack and self.stack[-1]):
            self.rows[-1][-1] += data.strip()


def test_the_preview_writes_out_the_column_and_reason_of_every_bad_row(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_import")
    text = "title_it,start_date,end_date,budget,departments\nBuona,2025-01-01,,,DIST\nUna,2025-01-01,,mille,XYZ\n"
    text += "Due,2025-06-01,2025-01-01,,\n"
    upload = SimpleUploadedFile("i.csv", text.encode())

    body = client.post(url, {"resource": 0, "format": 0, "import_file": upload}).content.decode()

    cells = VisibleCells()
    cells.feed(body)
    rows = [row for row in cells.rows if row]
    assert [row[:2] for row in rows] == [["3", "budget"], ["3", "departments"], ["4", "end_date"]]
    assert rows[0][2] == '"mille" is not a number.'
    assert rows[1][2].startswith('Unknown department "XYZ". Write one of: DAD, DAUIN,')
    assert rows[2][2] == "The end date is before the start date."
    assert "Nothing has been imported: 2 rows have errors." in body
    assert "validation-error-container" not in body and 'name="confirm"' not in body
    assert not Initiative.objects.exists()
