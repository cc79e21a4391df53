"""Database constraints reject rows that break the domain's invariants,
whatever path the row takes (form, admin, import, shell)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from actionplan.models import PerformanceObjective, PerformanceObjectiveAssignment, Structure
from impact.models import SDG, FieldOfAction
from initiatives.factories import (
    CensusCampaignFactory,
    InitiativeFactory,
    ParticipationFactory,
    PersonFactory,
    PlaceFactory,
)
from initiatives.models import Initiative, Participation

pytestmark = pytest.mark.django_db


def rejected(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_an_initiative_cannot_end_before_it_starts():
    initiative = InitiativeFactory(start_date=datetime.date(2024, 5, 1), end_date=datetime.date(2024, 6, 1))
    assert rejected(lambda: Initiative.objects.filter(pk=initiative.pk).update(end_date=datetime.date(2024, 4, 30)))


def test_budget_and_external_funding_cannot_be_negative_or_exceed_the_budget():
    initiative = InitiativeFactory(budget=Decimal("1000"), external_funding=Decimal("400"))
    rows = Initiative.objects.filter(pk=initiative.pk)
    assert rejected(lambda: rows.update(budget=Decimal("-1"), external_funding=None))
    assert rejected(lambda: rows.update(external_funding=Decimal("-5")))
    assert rejected(lambda: rows.update(external_funding=Decimal("1000.01")))
    assert not rejected(lambda: rows.update(external_funding=Decimal("1000")))


def test_an_initiative_has_at_most_one_lead_contact():
    initiative = InitiativeFactory()
    initiative.participations.all().delete()
    ParticipationFactory(initiative=initiative, role=Participation.Role.LEAD)
    assert rejected(lambda: ParticipationFactory(initiative=initiative, role=Participation.Role.LEAD))
    assert not rejected(lambda: ParticipationFactory(initiative=initiative, role=Participation.Role.MEMBER))


def test_a_person_takes_part_in_an_initiative_once():
    initiative = InitiativeFactory()
    person = PersonFactory()
    ParticipationFactory(initiative=initiative, person=person, role=Participation.Role.MEMBER)
    assert rejected(lambda: ParticipationFactory(initiative=initiative, person=person, role=Participation.Role.MEMBER))


def test_a_place_has_both_coordinates_or_none_and_they_are_on_earth():
    initiative = InitiativeFactory()
    assert rejected(lambda: PlaceFactory(initiative=initiative, latitude=Decimal("45.07"), longitude=None))
    assert rejected(lambda: PlaceFactory(initiative=initiative, latitude=Decimal("95"), longitude=Decimal("7.6")))
    assert not rejected(lambda: PlaceFactory(initiative=initiative, latitude=None, longitude=None))


def test_slugs_are_unique():
    initiative = InitiativeFactory()
    assert rejected(lambda: InitiativeFactory(slug=initiative.slug))


def test_a_campaign_cannot_close_before_it_opens():
    assert rejected(
        lambda: CensusCampaignFactory(opens_on=datetime.date(2026, 3, 1), closes_on=datetime.date(2026, 2, 1))
    )


def test_the_state_must_be_one_of_the_workflow_states():
    initiative = InitiativeFactory()
    assert rejected(lambda: Initiative.objects.filter(pk=initiative.pk).update(state="limbo"))


def test_weights_are_percentages():
    assignment = PerformanceObjectiveAssignment.objects.first()
    rows = PerformanceObjectiveAssignment.objects.filter(pk=assignment.pk)
    assert rejected(lambda: rows.update(weight=101))
    assert not rejected(lambda: rows.update(weight=100))


def test_vocabulary_codes_are_unique_within_an_edition():
    assert rejected(lambda: SDG.objects.create(number=4, name_it="Doppione", color="#000000"))
    assert rejected(lambda: SDG.objects.create(number=18, name_it="Inesistente", color="#000000"))
    assert rejected(lambda: FieldOfAction.objects.create(code="a", name_it="Doppione", valid_from=2020))
    # A new ANVUR edition may reuse a code.
    assert not rejected(lambda: FieldOfAction.objects.create(code="a", name_it="Nuova edizione", valid_from=2030))


def test_performance_objective_codes_are_unique_within_a_plan():
    objective = PerformanceObjective.objects.first()
    assert rejected(
        lambda: PerformanceObjective.objects.create(
            plan=objective.plan,
            code=objective.code,
            pillar=objective.pillar,
            title_it="Doppione",
            responsible_structure=Structure.objects.first(),
        )
    )


def test_the_lead_is_found_among_prefetched_participations(django_assert_num_queries):
    initiative = InitiativeFactory()
    initiative.participations.all().delete()
    lead = ParticipationFactory(initiative=initiative, role=Participation.Role.LEAD).person
    ParticipationFactory(initiative=initiative, role=Participation.Role.MEMBER)
    fetched = Initiative.objects.prefetch_related("participations__person").get(pk=initiative.pk)
    with django_assert_num_queries(0):
        assert fetched.lead() == lead


def test_keywords_are_split_on_commas():
    assert InitiativeFactory.build(keywords=" inclusione, , periferie ,scuola").keyword_list == [
        "inclusione",
        "periferie",
        "scuola",
    ]
