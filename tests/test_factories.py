"""The factories build valid objects on top of the reference data, and
`seed_demo` builds a realistic, repeatable demo data set."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from impact.factories import ImpactFactory, ProductFactory
from impact.models import FieldOfAction, Impact, Product, PublicEngagementCategory
from initiatives.factories import (
    DEMO_PASSWORD,
    InitiativeFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)
from initiatives.models import (
    CensusCampaign,
    Department,
    Initiative,
    Participation,
    Person,
    Place,
    Sector,
    StateTransition,
)
from stakeholders.factories import PartnershipFactory, TerritorialDemandFactory
from stakeholders.models import Organisation, TerritorialDemand

pytestmark = pytest.mark.django_db

S = Initiative.State


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """What two runs of seed_demo must agree on."""
    return {
        "initiatives": list(
            Initiative.objects.order_by("slug").values_list(
                "slug", "title_it", "title_en", "state", "start_date", "budget", "created_at"
            )
        ),
        "people": list(Person.objects.order_by("slug").values_list("slug", "role", "department__code", "orcid")),
        "organisations": list(Organisation.objects.order_by("slug").values_list("slug", "type__code")),
        "places": list(
            Place.objects.order_by("initiative__slug", "id").values_list(
                "initiative__slug", "municipality", "latitude", "longitude"
            )
        ),
    }


# --- Factories -----------------------------------------------------------------------------


def test_initiative_factory_builds_a_valid_published_initiative():
    initiative = InitiativeFactory(published=True, review_rounds=1)

    initiative.full_clean()
    assert initiative.state == S.PUBLISHED
    assert initiative.title_it
    assert initiative.created_at < initiative.submitted_at < initiative.published_at
    steps = list(initiative.transitions.order_by("at").values_list("from_state", "to_state"))
    assert steps == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.CHANGES_REQUESTED),
        (S.CHANGES_REQUESTED, S.SUBMITTED),
        (S.SUBMITTED, S.PUBLISHED),
    ]
    assert initiative.participations.filter(role=Participation.Role.LEAD).count() == 1
    assert initiative.departments.exists() and initiative.sectors.exists() and initiative.sdgs.exists()


def test_a_draft_from_the_factory_has_no_workflow_history():
    initiative = InitiativeFactory()

    assert initiative.state == S.DRAFT
    assert initiative.submitted_at is None and initiative.published_at is None
    assert not StateTransition.objects.filter(initiative=initiative).exists()


def test_factories_reuse_the_reference_vocabularies():
    departments = Department.objects.count()
    sectors = Sector.objects.count()

    person = PersonFactory()
    initiative = InitiativeFactory(lead=person)

    assert Department.objects.count() == departments
    assert Sector.objects.count() == sectors
    assert list(initiative.departments.all()) == [person.department]


def test_a_minimal_vocabulary_row_is_created_only_when_none_exists():
    Sector.objects.all().delete()

    initiative = InitiativeFactory()

    assert Sector.objects.count() == 1
    assert list(initiative.sectors.all()) == list(Sector.objects.all())


def test_generated_slugs_and_emails_are_made_unique_but_explicit_ones_are_not():
    first = PersonFactory(first_name="Giulia", last_name="Rossi")
    second = PersonFactory(first_name="Giulia", last_name="Rossi")

    assert (first.slug, second.slug) == ("giulia-rossi", "giulia-rossi-2")
    assert (first.email, second.email) == ("giulia.rossi@polito.it", "giulia.rossi2@polito.it")
    assert InitiativeFactory(title_it="Orti in città").slug != InitiativeFactory(title_it="Orti in città").slug


def test_the_other_factories_respect_the_constraints():
    initiative = InitiativeFactory(published=True, budget=Decimal("10000"))
    place = PlaceFactory(initiative=initiative)
    impact = ImpactFactory(initiative=initiative, achieved=True)
    objects = [
        place,
        impact,
        ProductFactory(initiative=initiative),
        PartnershipFactory(initiative=initiative),
        TerritorialDemandFactory(),
    ]

    for obj in objects:
        obj.full_clean()
    assert initiative.external_funding is None or initiative.external_funding <= initiative.budget
    assert place.region == "Piemonte" and place.has_coordinates
    assert impact.kind == Impact.Kind.ACHIEVED and impact.value is not None and impact.people_reached


def test_user_factory_hashes_the_demo_password():
    user = UserFactory()

    assert user.password != DEMO_PASSWORD
    assert user.check_password(DEMO_PASSWORD)


# --- seed_demo ------------------------------------------------------------------------------


def test_seed_demo_creates_at_least_60_initiatives_across_states_and_departments():
    output = seed()

    initiatives = Initiative.objects.all()
    published = initiatives.filter(state=S.PUBLISHED)
    assert initiatives.count() >= 60
    assert set(initiatives.values_list("state", flat=True)) == set(S.values)
    assert 0.6 <= published.count() / initiatives.count() <= 0.8
    assert set(Department.objects.filter(initiatives__state=S.PUBLISHED).values_list("code", flat=True)) == set(
        Department.objects.values_list("code", flat=True)
    )
    for vocabulary in (FieldOfAction, PublicEngagementCategory):
        in_force = vocabulary.objects.for_year(2025)
        assert not in_force.exclude(initiatives__state=S.PUBLISHED).exists()
    assert set(published.values_list("scale", flat=True)) == set(Initiative.Scale.values)
    for initiative in initiatives.prefetch_related("participations", "places", "partnerships"):
        participations = list(initiative.participations.all())
        assert 2 <= len(participations) <= 5
        assert sum(p.role == Participation.Role.LEAD for p in participations) == 1
        assert 1 <= len(initiative.places.all()) <= 3
        assert initiative.partnerships.all()
        if initiative.state != S.DRAFT:
            assert initiative.transitions.order_by("-at").first().to_state == initiative.state
    assert 140 <= Person.objects.count() <= 160
    assert Place.objects.exclude(region="Piemonte").count() == 0
    for model in (Initiative, Person, Organisation, Place, Product, Impact, CensusCampaign, TerritorialDemand):
        for obj in model.objects.all():
            obj.full_clean()

    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    curator = users.get(username="curatore")
    assert curator.is_staff and curator.has_perm("initiatives.change_initiative")
    assert curator.has_perm("stakeholders.add_organisation") and curator.has_perm("impact.delete_impact")
    researcher = Person.objects.get(user__username="ricercatrice")
    led = set(researcher.participations.filter(role="lead").values_list("initiative__state", flat=True))
    assert {S.DRAFT, S.CHANGES_REQUESTED, S.PUBLISHED} <= led
    assert all(users.get(username=name).check_password(DEMO_PASSWORD) for name in ("admin", "curatore", "ricercatrice"))
    assert "pops-demo-2026" in output


def test_seed_demo_is_deterministic():
    seed()
    first = snapshot()

    seed("--reset")

    assert snapshot() == first


def test_seed_demo_twice_does_not_duplicate():
    seed()
    counts = (Initiative.objects.count(), Person.objects.count(), Organisation.objects.count())

    output = seed()

    assert "already" in output
    assert (Initiative.objects.count(), Person.objects.count(), Organisation.objects.count()) == counts


def test_seed_demo_reset_leaves_data_it_did_not_create():
    own = InitiativeFactory(title_it="Un'iniziativa vera")
    seed()

    seed("--reset")

    assert Initiative.objects.filter(pk=own.pk).exists()
    assert Person.objects.filter(pk=own.lead().pk).exists()
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_seed_demo_refuses_to_run_in_production_and_creates_nothing(settings):
    # On an empty production database it would create "admin" with the
    # password the README publishes.
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="POPS_ENV=production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.exists()
    assert not Initiative.objects.exists()
