"""The census form as a researcher reads it: errors they can find, choices
with meaningful names, and a review page that shows everything they entered."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from actionplan.models import InterventionArea, StrategicObjective
from impact.factories import ImpactFactory, ProductFactory
from impact.models import SDG, FieldOfAction, PublicEngagementCategory
from initiatives.census import forms as census_forms
from initiatives.census.steps import SECTIONS, STEPS
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, PlaceFactory, UserFactory
from initiatives.models import Department, FormDraft, Initiative, Participation, Priority, Sector, SupportKind, Theme
from initiatives.services.initiatives import initiative_start_update
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import OrganisationType, TargetGroup

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def researcher():
    return UserFactory(username="ricercatrice", email="ricercatrice@polito.it")


@pytest.fixture
def draft(researcher):
    initiative = InitiativeFactory(created_by=researcher, state=S.DRAFT, lead=False)
    ParticipationFactory(initiative=initiative, person=PersonFactory(user=researcher), role=Participation.Role.LEAD)
    return initiative


def step_url(initiative, step, language="en"):
    with translation.override(language):
        return reverse("census:step", args=[initiative.pk, step])


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def what_with_errors():
    """A "what" step with a problem of each kind: a field, a list of boxes, a place row."""
    return {
        "main-start_date": "2025-05-01",
        "main-end_date": "2025-04-01",
        "main-sectors": [str(Sector.objects.get(is_other=True).pk)],
        **management("places", 1),
        "places-0-municipality": "",
        "places-0-province": "TO",
        "places-0-latitude": "45.07",
    }


def summary_links(content: str) -> list[str]:
    summary = re.search(r'<div class="census-error-summary".*?</div>', content, re.S)
    assert summary, "no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def element(content: str, element_id: str) -> str:
    match = re.search(rf'<[^>]*\bid="{re.escape(element_id)}"[^>]*>', content)
    assert match, f"no element with id {element_id}"
    return match.group(0)


# --- Errors -----------------------------------------------------------------------


def test_the_error_summary_links_to_every_field_in_error(client, researcher, draft):
    client.force_login(researcher)
    response = client.post(step_url(draft, "what"), what_with_errors())
    assert response.status_code == 400
    content = response.content.decode()
    assert 'role="alert"' in content and "There is a problem" in content
    assert "<title>Error:" in content
    links = summary_links(content)
    assert links == ["id_main-sector_other", "id_main-end_date", "id_places-0-municipality", "id_places-0-longitude"]
    for target in links:
        tag = element(content, target)
        assert 'aria-invalid="true"' in tag
        assert f"{target}_error" in tag  # aria-describedby names the message beside the field
        assert f'id="{target}_error"' in content


def test_the_summary_reaches_a_list_of_boxes_at_its_first_box(client, researcher, draft):
    client.force_login(researcher)
    # The model requires nothing on "impact"; the "future" priorities accept any box, so use
    # a value that does not exist in a list of boxes.
    response = client.post(step_url(draft, "future"), {"main-priorities": ["999999"]})
    content = response.content.decode()
    first_box = "id_main-priorities_0"
    assert summary_links(content) == [first_box]
    assert 'aria-invalid="true"' in element(content, first_box)
    group = element(content, "id_main-priorities_group")
    assert "id_main-priorities_error" in group  # the fieldset describes itself with the message


def test_errors_of_a_list_and_of_a_row_link_to_their_own_message(client, researcher, draft):
    client.force_login(researcher)
    data = {
        "main-title_it": "Orti condivisi",
        **management("people", 1),
        "people-0-first_name": "Giulia",
        "people-0-last_name": "Ferrero",
        "people-0-role": "member",  # nobody is the lead contact
        **management("partners", 1),
        "partners-0-name": "Un'associazione che il registro non conosce",
        "partners-0-role": "partner",
    }
    content = client.post(step_url(draft, "who"), data).content.decode()
    links = summary_links(content)
    assert "id_partners-0-type" in links  # a new organisation needs its type
    data["partners-TOTAL_FORMS"] = "0"
    content = client.post(step_url(draft, "who"), data).content.decode()
    assert summary_links(content) == ["people-errors"]
    assert 'tabindex="-1"' in element(content, "people-errors")


def test_a_step_that_failed_validation_keeps_what_was_typed_when_the_researcher_comes_back(client, researcher, draft):
    client.force_login(researcher)
    data = {**what_with_errors(), "main-keywords": "orti, quartiere, comunità"}
    assert client.post(step_url(draft, "what"), data).status_code == 400
    kept = FormDraft.objects.get(user=researcher, initiative=draft, step="what").data
    assert kept["main-keywords"] == ["orti, quartiere, comunità"]
    assert "csrfmiddlewaretoken" not in kept
    content = client.get(step_url(draft, "what")).content.decode()
    assert 'value="orti, quartiere, comunità"' in content and 'value="2025-04-01"' in content
    # Shown as typed, judged again only when saved.
    assert "census-error-summary" not in content and 'aria-invalid="true"' not in content
    draft.refresh_from_db()
    assert draft.keywords != "orti, quartiere, comunità"


def test_a_new_initiative_that_failed_validation_is_kept_too(client, researcher):
    client.force_login(researcher)
    with translation.override("en"):
        url = reverse("census:new")
    data = {"main-summary_it": "Un riassunto senza titolo", **management("people", 0)}
    assert client.post(url, data).status_code == 400
    assert "Un riassunto senza titolo" in client.get(url).content.decode()


# --- Choices and labels --------------------------------------------------------------


def test_single_choices_offer_a_meaningful_empty_choice(client, researcher, draft):
    ProductFactory(initiative=draft)
    client.force_login(researcher)
    for step in ("what", "impact", "who"):
        content = client.get(step_url(draft, step)).content.decode()
        assert "---------" not in content
    assert "— choose —" in client.get(step_url(draft, "what")).content.decode()
    who = client.get(step_url(draft, "who")).content.decode()
    assert "— none —" in who and "— only for a new organisation —" in who  # the forms' own words stay


def test_the_impact_values_have_translatable_meaningful_labels():
    labels = census_forms.ImpactForm.base_fields
    for name in ("baseline", "target", "value"):
        assert isinstance(census_forms.ImpactForm._meta.labels[name], Promise)  # through gettext
    with translation.override("en"):
        assert str(labels["baseline"].label) == "Starting value (baseline)"
        assert str(labels["target"].label) == "Value aimed for (target)"


def test_departments_show_their_acronym_and_full_name(client, researcher, draft):
    department = Department.objects.get(code="DIST")
    draft.departments.set([department])
    client.force_login(researcher)
    with translation.override("en"):
        expected = html.escape(f"DIST — {department.name}")
    assert expected in client.get(step_url(draft, "who")).content.decode()
    with translation.override("en"):
        review = client.get(reverse("census:review", args=[draft.pk])).content.decode()
    assert expected in review


def test_the_action_plan_and_strategic_plan_are_boxes_grouped_by_vision_and_pillar(client, researcher, draft):
    client.force_login(researcher)
    content = client.get(step_url(draft, "what")).content.decode()
    assert "<select" not in content.split('id="id_main-intervention_areas_group"')[1].split("</fieldset>")[0]
    for area in InterventionArea.objects.with_vision()[:3]:
        assert f'<legend class="checkbox-group-legend">{html.escape(area.vision.name)}</legend>' in content
    pillar = StrategicObjective.objects.select_related("pillar").first().pillar
    assert f'<legend class="checkbox-group-legend">{html.escape(pillar.name)}</legend>' in content
    assert content.count('name="main-intervention_areas"') == InterventionArea.objects.count()


def test_ticked_areas_and_objectives_are_saved(client, researcher, draft):
    client.force_login(researcher)
    area = InterventionArea.objects.last()
    objective = StrategicObjective.objects.last()
    response = client.post(
        step_url(draft, "what"),
        {
            "main-intervention_areas": [str(area.pk)],
            "main-strategic_objectives": [str(objective.pk)],
            **management("places", 0),
        },
    )
    assert response.status_code == 302
    assert list(draft.intervention_areas.all()) == [area]
    assert list(draft.strategic_objectives.all()) == [objective]
    content = client.get(step_url(draft, "what")).content.decode()
    assert re.search(rf'value="{area.pk}"[^>]*checked|checked[^>]*value="{area.pk}"', content)


def test_a_row_has_a_labelled_remove_control(client, researcher, draft):
    client.force_login(researcher)
    content = client.get(step_url(draft, "who")).content.decode()
    assert "Remove Person 1 when saving" in content
    assert 'data-remove-label="Remove Person 1"' in content


# --- Saving a proposed update of a public initiative ------------------------------------


def test_saving_a_proposed_update_does_not_claim_nothing_is_public(client, researcher, draft):
    draft.state = S.PUBLISHED
    draft.save()
    copy = initiative_start_update(initiative=draft, by=researcher)
    client.force_login(researcher)
    data = {
        "main-intervention_areas": [],
        **management("places", copy.places.count(), copy.places.count()),
    }
    for index, place in enumerate(copy.places.all()):
        data.update({f"places-{index}-id": str(place.pk), f"places-{index}-municipality": place.municipality})
    response = client.post(step_url(copy, "what"), data, follow=True)
    content = response.content.decode()
    assert "Nothing is public" not in content
    assert "The public keeps seeing the published version until you submit the update" in content


def test_saving_a_draft_says_nothing_is_public(client, researcher, draft):
    client.force_login(researcher)
    response = client.post(step_url(draft, "future"), {"main-needs": "Spazi"}, follow=True)
    assert "Nothing is public until POPS staff publish the initiative." in response.content.decode()


# --- The review page: every field the form records -----------------------------------------


def fill_everything(initiative):
    for name, model in (
        ("target_groups", TargetGroup),
        ("sectors", Sector),
        ("themes", Theme),
        ("support_kinds", SupportKind),
        ("pe_categories", PublicEngagementCategory),
        ("fields_of_action", FieldOfAction),
        ("intervention_areas", InterventionArea),
        ("strategic_objectives", StrategicObjective),
        ("sdgs", SDG),
        ("priorities", Priority),
    ):
        getattr(initiative, name).set(model.objects.all()[:1])
    initiative.departments.set([Department.objects.get(code="DIST")])
    Initiative.objects.filter(pk=initiative.pk).update(
        title_en="Shared gardens",
        objectives_it="Obiettivo specifico unico",
        budget=Decimal("12000"),
        external_funding=Decimal("2000"),
        website="https://orti.example.org/",
        keywords="orti, quartiere",
        participants=321,
        media_audience=4567,
        needs="Bisogno di spazi",
        wishes="Desiderio di crescere",
        impact_evaluated=True,
    )
    person = initiative.participations.first()
    person.contribution = "Coordinamento"
    person.can_edit = True
    person.save()
    person.person.department = Department.objects.get(code="DIST")
    person.person.email = "lead@polito.it"
    person.person.save()
    PartnershipFactory(initiative=initiative, organisation=OrganisationFactory(type=OrganisationType.objects.first()))
    PlaceFactory(initiative=initiative, province="TO", region="Piemonte", latitude=45, longitude=7)
    ProductFactory(initiative=initiative, description="Una mappa", url="https://mappa.example.org/", year=2025)
    ImpactFactory(
        initiative=initiative,
        indicator="orti",
        unit="orti",
        baseline=1,
        target=10,
        value=5,
        measured_on=datetime.date(2025, 6, 1),
        people_reached=40,
        evidence_url="https://prova.example.org/",
    )


def test_the_review_page_shows_every_field_of_every_step(client, researcher, draft):
    fill_everything(draft)
    client.force_login(researcher)
    translation.activate("en")  # the labels below are compared in English, as the page is
    content = client.get(reverse("census:review", args=[draft.pk])).content.decode()
    summary = content.split('id="summary-title"')[1]
    for step in STEPS:
        assert html.escape(str(step.title)) in summary
        for name in step.form_class._meta.fields:
            label = step.form_class.base_fields[name].label
            assert f">{html.escape(str(label))}</dt>" in summary, f"{step.slug}: {name} is not on the review page"
        for name, formset_class in step.formsets.items():
            assert f">{html.escape(str(SECTIONS[name].title))}</dt>" in summary
            for field_name, form_field in formset_class.form.base_fields.items():
                if field_name in ("DELETE", "id", "initiative"):
                    continue
                assert f"{html.escape(str(form_field.label))}:</span>" in summary, f"{name}: {field_name} is missing"
    for value in (
        "Shared gardens",
        "Obiettivo specifico unico",
        "12,000",
        "https://orti.example.org/",
        "orti, quartiere",
        "321",
        "4,567",
        "Bisogno di spazi",
        "Desiderio di crescere",
        html.escape(str(InterventionArea.objects.first())),
        html.escape(str(StrategicObjective.objects.first())),
        "Coordinamento",
    ):
        assert value in summary, value


def test_the_review_page_reads_the_summary_in_a_fixed_number_of_queries(
    client, researcher, draft, django_assert_max_num_queries
):
    fill_everything(draft)
    client.force_login(researcher)
    # session, user, the initiative for the permission check, the initiative with its
    # relations (12 classifications, places, products and categories, impacts, people and
    # departments, partners and types, transitions), the permission's participations,
    # the missing-for-submission checks, revisions, possible duplicates.
    with django_assert_max_num_queries(45):
        client.get(reverse("census:review", args=[draft.pk]))
    ProductFactory.create_batch(5, initiative=draft)
    ImpactFactory.create_batch(5, initiative=draft)
    with django_assert_max_num_queries(45):
        client.get(reverse("census:review", args=[draft.pk]))
