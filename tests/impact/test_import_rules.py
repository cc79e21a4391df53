"""The flat import's rules of identity, vocabulary, empty cells, workflow and
errors (exchange.resources, run through exchange.imports.run_import)."""

import datetime
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.utils import translation

from actionplan.models import InterventionArea
from initiatives.exchange.imports import read_dataset, run_import
from initiatives.exchange.resources import InitiativeResource, OrganisationResource, PersonResource
from initiatives.factories import InitiativeFactory, PersonFactory, UserFactory
from initiatives.models import Department, Initiative, Person, Sector, StateTransition, Theme
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import Organisation, OrganisationType
from tests.impact.test_imports import snapshot

pytestmark = pytest.mark.django_db


def run(text: str, *, resource_class=InitiativeResource, name: str = "iniziative.csv", **options):
    dataset = read_dataset(data=text.encode("utf-8"), filename=name)
    return run_import(resource_class=resource_class, dataset=dataset, dry_run=options.pop("dry_run", False), **options)


def errors_of(outcome) -> dict:
    return {(e.row, e.column): e.message for e in outcome.errors}


# --- Identity: stable keys, and nothing renamed ------------------------------------------


def test_a_sheet_without_slugs_imported_again_changes_nothing_and_every_row_is_unchanged():
    text = "title_it,start_date,summary_it,departments,sectors\n" + "".join(
        f"Iniziativa numero {n},2025-01-{n % 28 + 1:02d},Sintesi {n},DIST | DAD,Gestione del territorio\n"
        for n in range(30)
    )
    first = run(text)
    assert first.written and first.totals["new"] == 30
    before = snapshot()
    stamps = list(Initiative.objects.order_by("pk").values_list("slug", "updated_at"))

    again = run(text)

    assert again.errors == []
    assert (again.totals["new"], again.totals["update"], again.totals["skip"], again.totals["duplicate"]) == (
        0,
        0,
        30,
        0,
    )
    assert snapshot() == before
    assert list(Initiative.objects.order_by("pk").values_list("slug", "updated_at")) == stamps  # no slug renamed


def test_an_import_never_renames_the_slug_of_an_existing_initiative():
    existing = InitiativeFactory(slug="orti-urbani", title_it="Orti urbani", participants=3)
    outcome = run(f"id,slug,title_it,participants\n{existing.pk},,Orti urbani,4\n")
    assert outcome.errors == [] and outcome.totals["update"] == 1
    existing.refresh_from_db()
    assert (existing.slug, existing.participants) == ("orti-urbani", 4)

    with translation.override("en"):
        outcome = run(f"id,slug,title_it\n{existing.pk},altro-slug,Orti urbani\n")
    assert errors_of(outcome) == {
        (2, "slug"): f'"altro-slug" is not the slug of the initiative with id {existing.pk} (it is "orti-urbani").'
    }


def test_an_id_from_another_portal_is_not_a_key_and_a_malformed_one_is_an_error():
    existing = InitiativeFactory(slug="mostra", title_it="Mostra")
    outcome = run(f"id,slug,title_it\n{existing.pk + 1000},mostra,Mostra\n")
    assert outcome.errors == [] and outcome.totals["skip"] == 1  # matched by its slug, unchanged

    with translation.override("en"):
        outcome = run("id,title_it\nventi,Mostra\n")
    assert errors_of(outcome) == {(2, "id"): '"venti" is not an id: an id is a whole number.'}


def a_rich_initiative():
    """What the issue's copy lost: a department, a sector, a partner, both summaries."""
    initiative = InitiativeFactory(
        title_it="Orti condivisi",
        start_date=datetime.date(2025, 1, 1),
        summary_it="Orti nei cortili delle scuole.",
        summary_en="School gardens.",
        departments=Department.objects.filter(code__in=["DIST", "DAD"]),
        sectors=Sector.objects.order_by("code")[:2],
    )
    PartnershipFactory(initiative=initiative, organisation=OrganisationFactory(name="Comune di Torino"))
    return initiative


def test_a_row_that_only_shares_a_title_is_a_possible_duplicate_never_a_silent_overwrite():
    existing = a_rich_initiative()
    before = snapshot()
    text = (
        "title_it,start_date,summary_it,summary_en,departments,sectors,partners\n"
        "ORTI CONDIVISI,01/01/2025,Un'altra sintesi.,Another summary.,DIST,,\n"
    )

    preview = run(text, dry_run=True)

    assert preview.errors == [] and preview.totals["duplicate"] == 1
    [entry] = preview.report.duplicates
    assert entry["row"] == 2 and entry["action"] == "duplicate"
    [candidate] = entry["candidates"]
    assert (candidate["id"], candidate["slug"]) == (existing.pk, existing.slug)
    lines = {line["column"]: line for line in candidate["comparison"]}
    assert lines["summary_it"]["differs"] and lines["summary_it"]["existing"] == "Orti nei cortili delle scuole."
    assert lines["summary_it"]["file"] == "Un'altra sintesi."
    assert lines["departments"]["differs"] and lines["departments"]["file"] == "DIST"
    assert lines["departments"]["existing"] == "DAD, DIST"
    assert not lines["sectors"]["given"] and not lines["sectors"]["differs"]  # empty: kept
    assert lines["title_it"]["differs"] and lines["title_it"]["file"] == "ORTI CONDIVISI"  # matched all the same

    # Confirmed without a choice: not written, and said so.
    outcome = run(text)
    assert outcome.written and outcome.totals["duplicate"] == 1 and outcome.totals["update"] == 0
    assert snapshot() == before
    assert list(outcome.report.left_out) == [2]

    # Staff chose to update it: only what the file gives changes.
    outcome = run(text, duplicate_choices={2: f"update-{existing.pk}"})
    assert outcome.totals["update"] == 1
    existing.refresh_from_db()
    assert (existing.summary_it, existing.summary_en) == ("Un'altra sintesi.", "Another summary.")
    assert list(existing.departments.values_list("code", flat=True)) == ["DIST"]
    assert existing.sectors.count() == 2 and existing.partnerships.count() == 1  # not given: kept
    assert Initiative.objects.count() == 1


def test_staff_may_create_a_new_initiative_for_a_possible_duplicate_and_a_choice_of_another_is_ignored():
    existing = a_rich_initiative()
    other = InitiativeFactory(title_it="Altro")
    text = "title_it,start_date,summary_it\nOrti condivisi,,Nuova edizione.\n"

    ignored = run(text, duplicate_choices={2: f"update-{other.pk}"})  # not one of its candidates
    assert ignored.totals["duplicate"] == 1 and Initiative.objects.count() == 2

    created = run(text, duplicate_choices={"2": "new"})
    assert created.totals["new"] == 1
    new = Initiative.objects.exclude(pk__in=[existing.pk, other.pk]).get()
    assert new.title_it == "Orti condivisi" and new.slug != existing.slug
    existing.refresh_from_db()
    assert existing.summary_it == "Orti nei cortili delle scuole."


def test_updating_a_possible_duplicate_keeps_its_slug_whatever_the_file_says():
    existing = a_rich_initiative()
    slug = existing.slug
    text = "slug,title_it,start_date,summary_it\norti-2025,Orti condivisi,,Nuova sintesi.\n"

    outcome = run(text, duplicate_choices={2: f"update-{existing.pk}"})

    assert outcome.totals["update"] == 1
    existing.refresh_from_db()
    assert (existing.slug, existing.summary_it) == (slug, "Nuova sintesi.")  # its public URL stays
    run(text.replace("Nuova", "Terza"), duplicate_choices={2: "new"})  # a new one takes the file's slug
    assert Initiative.objects.filter(slug="orti-2025", title_it="Orti condivisi").exists()


def test_the_same_title_with_another_start_date_is_another_initiative():
    a_rich_initiative()
    outcome = run("title_it,start_date\nOrti condivisi,01/01/2026\n")
    assert outcome.totals["new"] == 1 and outcome.totals["duplicate"] == 0


# --- Empty cells ---------------------------------------------------------------------------


def test_empty_cells_are_not_given_an_existing_initiative_keeps_its_values():
    existing = a_rich_initiative()
    header = "slug,title_it,summary_it,summary_en,departments,sectors,partners,state,scale,keywords,participants\n"

    outcome = run(f"{header}{existing.slug},,,,,,,,,,\n")

    assert outcome.errors == [] and outcome.totals["skip"] == 1

    # A row that changes one cell changes that one only.
    outcome = run(f"{header}{existing.slug},,,,,,,,,,77\n")

    assert outcome.errors == [] and outcome.totals["update"] == 1
    existing.refresh_from_db()
    assert existing.participants == 77
    assert existing.title_it == "Orti condivisi" and existing.summary_en == "School gardens."
    assert existing.summary_it == "Orti nei cortili delle scuole." and existing.keywords
    assert existing.departments.count() == 2 and existing.sectors.count() == 2
    assert existing.partnerships.count() == 1 and existing.scale


def test_an_empty_state_is_never_an_error_and_a_new_initiative_arrives_as_chosen():
    staff = UserFactory(is_staff=True)
    text = "title_it,state\nSenza stato,\nBozza,bozza\nInviata,Submitted\nPubblicata,pubblicata\n"

    outcome = run(text, user=staff, arrival_state="draft", file_name="lista.csv")

    assert outcome.errors == []
    states = dict(Initiative.objects.values_list("title_it", "state"))
    assert states == {"Senza stato": "draft", "Bozza": "draft", "Inviata": "submitted", "Pubblicata": "draft"}
    [noted] = [row for row in outcome.report.rows if row["notes"]]
    assert noted["title"] == "Pubblicata"
    submitted = Initiative.objects.get(title_it="Inviata")
    assert submitted.submitted_at is not None and submitted.published_at is None
    # Each arrival is a transition by the importing user, naming the file.
    transitions = StateTransition.objects.order_by("initiative__title_it")
    assert [(t.initiative.title_it, t.from_state, t.to_state, t.by) for t in transitions] == [
        ("Bozza", "draft", "draft", staff),
        ("Inviata", "draft", "submitted", staff),
        ("Pubblicata", "draft", "draft", staff),
        ("Senza stato", "draft", "draft", staff),
    ]
    assert all("lista.csv" in t.message for t in transitions)


def test_new_initiatives_arrive_submitted_by_default_and_a_dry_run_records_nothing():
    run("title_it\nUna\n", dry_run=True)
    assert not StateTransition.objects.exists()
    run("title_it\nUna\n")
    assert Initiative.objects.get().state == "submitted"
    assert StateTransition.objects.get().to_state == "submitted"


def test_an_import_does_not_move_an_existing_initiative_through_the_review():
    existing = InitiativeFactory(published=True, slug="mostra", title_it="Mostra", participants=1)
    outcome = run("slug,title_it,state,participants\nmostra,Mostra,draft,1\n")
    assert outcome.errors == [] and outcome.totals["skip"] == 1
    existing.refresh_from_db()
    assert existing.state == "published"
    [row] = outcome.report.rows
    with translation.override("en"):
        outcome = run("slug,title_it,state,participants\nmostra,Mostra,draft,1\n")
    assert outcome.report.rows[0]["notes"] == [
        'The file says "Draft": an import does not move an initiative through the review, it stays "Published".'
    ]


# --- Matching what people write ------------------------------------------------------------


def test_values_are_matched_by_code_label_or_synonym_ignoring_case_accents_and_apostrophes():
    area = InterventionArea.objects.filter(name_it__contains="'").first()
    theme = Theme.objects.order_by("code").first()
    theme.synonyms = "laboratori di comunità"
    theme.save()
    typographic = area.name_it.replace("'", "\u2019")
    text = (
        "title_it;departments;sectors;themes;intervention_areas;scale\n"
        f"Una;dist | Dad;GESTIONE DEL TERRITORIO;Laboratori di Comunita;{typographic};LOCALE\n"
    )
    outcome = run(text)
    assert outcome.errors == []
    initiative = Initiative.objects.get()
    assert sorted(initiative.departments.values_list("code", flat=True)) == ["DAD", "DIST"]
    assert list(initiative.sectors.values_list("code", flat=True)) == ["gestione-territorio"]
    assert list(initiative.themes.all()) == [theme]
    assert list(initiative.intervention_areas.all()) == [area]
    assert initiative.scale == "local"


def test_an_unknown_value_of_a_short_list_names_every_allowed_value_in_the_users_language():
    text = "title_it,sectors,scale\nUna,Astrologia,globale\n"
    with translation.override("en"):
        english = errors_of(run(text))
    with translation.override("it"):
        italian = errors_of(run(text))

    assert english[(2, "sectors")].startswith('Unknown sector "Astrologia". Write one of: ')
    land = Sector.objects.get(code="gestione-territorio")
    assert land.name_en in english[(2, "sectors")] and land.name_it not in english[(2, "sectors")]
    assert land.name_it in italian[(2, "sectors")]
    assert english[(2, "scale")] == 'Unknown scale "globale". Write one of: Local, Regional, National, International.'
    assert "Locale, Regionale, Nazionale, Internazionale" in italian[(2, "scale")]


def test_an_unknown_value_of_a_long_list_names_the_closest_three():
    area = InterventionArea.objects.get(code="sostenibilita")
    with translation.override("en"):
        message = errors_of(run("title_it,intervention_areas\nUna,Sostenibilta\n"))[(2, "intervention_areas")]
    assert message.startswith('Unknown intervention area "Sostenibilta". Did you mean ')
    assert f'"{area.name_en}"' in message or f'"{area.name_it}"' in message
    assert message.count('"') <= 2 + 6  # the value and at most three suggestions


def test_unknown_values_of_several_kinds_are_each_reported_under_their_column():
    with translation.override("en"):
        found = errors_of(run("title_it,departments,sdgs\nUna,DIST | XYZ | QQQ,4 | 18\n"))
    assert found[(2, "departments")] == (
        'Unknown department "XYZ", "QQQ". Write one of: DAD, DAUIN, DENERG, DET, DIATI, DIGEP, DIMEAS, DISAT, '
        "DISEG, DISMA, DIST."
    )
    assert found[(2, "sdgs")] == 'Unknown Sustainable Development Goal "18". Write the goal\'s number, from 1 to 17.'


def test_organisations_and_people_match_their_vocabularies_the_same_way():
    outcome = run(
        "name,type,country\nAPS Esempio,No Profit,\nImpresa Esempio,impresa prfit,IT\n",
        resource_class=OrganisationResource,
    )
    with translation.override("en"):
        [problem] = run(
            "name,type\nImpresa Esempio,impresa prfit\n", resource_class=OrganisationResource, dry_run=True
        ).errors
    assert (problem.row, problem.column) == (2, "type")
    assert "Write one of:" in problem.message  # six types: all named
    assert not outcome.written

    assert run("name,type,country\nAPS Esempio,No Profit,\n", resource_class=OrganisationResource).written
    organisation = Organisation.objects.get(name="APS Esempio")
    assert organisation.type == OrganisationType.objects.get(code="no-profit")
    assert organisation.country == ""  # not given: not assumed Italian

    PersonFactory(email="anna@example.org", role=Person.Role.RESEARCHER)
    people = (
        "email,first_name,last_name,role,language,department\n"
        "anna@example.org,Anna,Neri,Professoressa associata,Italiano,dist\n"
        "ugo@example.org,Ugo,Blu,dottorando,,\n"
    )
    assert run(people, resource_class=PersonResource).errors == []
    roles = dict(Person.objects.values_list("email", "role"))
    assert roles == {"anna@example.org": "associate_professor", "ugo@example.org": "phd_student"}
    with translation.override("en"):
        [problem] = run(
            "email,first_name,last_name,role\nx@example.org,X,Y,astronauta\n", resource_class=PersonResource
        ).errors
    assert problem.message.startswith('Unknown role "astronauta". Write one of: Full professor, Associate professor')


# --- Dates and errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("31/02/2024", '"31/02/2024" is not a date: that day does not exist (February 2024 has 29 days).'),
        ("29/02/2025", '"29/02/2025" is not a date: that day does not exist (February 2025 has 28 days).'),
        ("2025-04-31", '"2025-04-31" is not a date: that day does not exist (April 2025 has 30 days).'),
        ("15/13/2025", '"15/13/2025" is not a date: there is no month 13.'),
        ("ieri", '"ieri" is not a date: write it as dd/mm/yyyy or yyyy-mm-dd.'),
    ],
)
def test_a_date_that_does_not_exist_is_named_as_such(written, message):
    with translation.override("en"):
        assert errors_of(run(f"title_it,start_date\nUna,{written}\n")) == {(2, "start_date"): message}


def test_a_date_that_exists_is_read_in_either_form():
    run("title_it,start_date,end_date\nUna,29/02/2024,2024-12-31\n")
    initiative = Initiative.objects.get()
    assert (initiative.start_date, initiative.end_date) == (datetime.date(2024, 2, 29), datetime.date(2024, 12, 31))


def test_a_missing_title_is_reported_once_under_the_files_column():
    with translation.override("en"):
        assert errors_of(run("title_it,start_date\n,2025-01-01\n")) == {(2, "title_it"): "This field cannot be blank."}
        # A file without the column: once, for the row, naming the column it lacks.
        assert errors_of(run("summary_it\nSintesi\n")) == {
            (2, ""): 'The file has no column "title_it": This field cannot be blank.'
        }


# --- Valid rows only and the command ----------------------------------------------------------


def test_the_valid_rows_only_are_imported_when_asked_the_bad_ones_are_left_out():
    text = "title_it,departments\nBuona,DIST\nCattiva,XYZ\nAltra buona,\n"
    assert not run(text).written and not Initiative.objects.exists()

    outcome = run(text, valid_rows_only=True)

    assert outcome.written
    assert sorted(Initiative.objects.values_list("title_it", flat=True)) == ["Altra buona", "Buona"]
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "departments")]
    assert StateTransition.objects.count() == 2  # the written ones only


def test_the_command_imports_the_valid_rows_only_and_decides_duplicates_when_told(tmp_path):
    existing = a_rich_initiative()
    path = tmp_path / "iniziative.csv"
    path.write_text("title_it;start_date;summary_it;departments\nOrti condivisi;;Nuova;\nNuova;;;XYZ\nTerza;;;DIST\n")

    out = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_initiatives", str(path), stdout=out)
    assert Initiative.objects.count() == 1

    out = io.StringIO()
    with translation.override("en"):
        call_command("import_initiatives", str(path), valid_rows_only=True, arrive_as="draft", stdout=out)
    assert "Row 2: possible duplicate of" in out.getvalue() and "Imported, except the rows above." in out.getvalue()
    assert Initiative.objects.get(title_it="Terza").state == "draft"
    existing.refresh_from_db()
    assert existing.summary_it == "Orti nei cortili delle scuole."

    path.write_text("title_it;start_date;summary_it\nOrti condivisi;;Nuova\n")
    call_command("import_initiatives", str(path), duplicates="update", stdout=io.StringIO())
    existing.refresh_from_db()
    assert existing.summary_it == "Nuova"
    assert not LogEntry.objects.exists()  # the command writes no admin history (as before)


def test_partners_are_matched_as_written_and_an_unknown_one_gets_the_closest_names_not_the_register():
    torino = OrganisationFactory(name="Comune di Torino")
    OrganisationFactory(name="Società Cooperativa L’Orto")
    assert run("title_it,partners\nUna,comune di torino | societa cooperativa l'orto\n").errors == []
    assert Initiative.objects.get().partnerships.order_by("position").first().organisation == torino

    with translation.override("en"):
        message = errors_of(run("title_it,partners\nDue,Comune di Torno\n"))[(2, "partners")]
    assert message.startswith('Unknown organisation "Comune di Torno". Did you mean "Comune di Torino"')
    assert message.endswith("Organisations must exist before an import names them: import them first.")
    assert "Cooperativa" not in message
