"""Ideas the code names once, on the model, and the modules that use them."""

import datetime

import pytest

from initiatives.factories import CensusCampaignFactory, InitiativeFactory, UserFactory
from initiatives.models import Initiative
from initiatives.services.initiatives import initiative_apply_update, initiative_start_update
from initiatives.services.review import snapshot
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import Partnership

pytestmark = pytest.mark.django_db


# --- Identity, workflow and census bookkeeping -------------------------------------------


def test_the_bookkeeping_fields_are_fields_of_the_initiative():
    names = {field.name for field in Initiative._meta.concrete_fields}
    assert names >= Initiative.BOOKKEEPING_FIELDS


def test_an_approved_update_keeps_the_original_bookkeeping():
    original = InitiativeFactory(published=True, featured=True, campaign=CensusCampaignFactory())
    before = {name: getattr(original, name) for name in ("slug", "state", "featured", "campaign_id", "created_at")}
    copy = initiative_start_update(initiative=original, by=UserFactory())
    copy.summary_it = "Un nuovo riassunto"
    copy.save()
    applied = initiative_apply_update(copy=copy)
    assert {name: getattr(applied, name) for name in before} == before
    assert applied.summary_it == "Un nuovo riassunto"


def test_the_review_compares_the_content_and_not_the_bookkeeping():
    initiative = InitiativeFactory(published=True)
    labels = set(snapshot(initiative, relations=False))
    for field in Initiative._meta.concrete_fields:
        shown = str(field.verbose_name) in labels
        assert shown == (
            field.name not in Initiative.BOOKKEEPING_FIELDS and not hasattr(initiative, f"{field.name}_it")
        )


# --- Who counts as a partner, output by output -----------------------------------------------


def test_each_meaning_of_partners_is_named_once():
    roles = Partnership.Role
    assert set(Partnership.ALL_ROLES) == set(roles.values)
    assert Partnership.IMPORT_ROLE == roles.PARTNER
    assert set(Partnership.ANVUR_PARTNER_ROLES) == {roles.PARTNER, roles.CO_DESIGNER}


@pytest.fixture
def one_partner_per_role():
    initiative = InitiativeFactory(published=True, start_date=datetime.date(2025, 1, 1), end_date=None)
    for position, role in enumerate(Partnership.Role.values):
        PartnershipFactory(
            initiative=initiative, organisation=OrganisationFactory(name=f"Ente {role}"), role=role, position=position
        )
    return initiative


def names(roles) -> list[str]:
    return [f"Ente {role}" for role in Partnership.Role.values if role in roles]


def test_every_output_lists_the_partners_its_constant_names(one_partner_per_role):
    from impact.anvur import HEADER, anvur_queryset
    from impact.anvur import Report as AnvurReport
    from initiatives.api.serializers import InitiativeSerializer
    from initiatives.exchange import opendata
    from initiatives.exchange.resources import JOIN, InitiativeResource

    initiative = one_partner_per_role
    (row,) = opendata.public_rows()
    assert row[opendata.HEADER.index("partners")] == JOIN.join(names(Partnership.ALL_ROLES))
    assert InitiativeSerializer(initiative).data["partners"] == names(Partnership.ALL_ROLES)
    exported = InitiativeResource().export(queryset=Initiative.objects.filter(pk=initiative.pk))
    assert exported.dict[0]["partners"] == JOIN.join(names((Partnership.IMPORT_ROLE,)))
    (anvur_row,) = AnvurReport(anvur_queryset(year=2025), year=2025)
    assert anvur_row[HEADER.index("partner")] == JOIN.join(names(Partnership.ANVUR_PARTNER_ROLES))


# --- The classifications ---------------------------------------------------------------------


def test_the_classifications_are_every_plain_many_to_many_field_in_model_order():
    plain = [field.name for field in Initiative._meta.many_to_many if field.remote_field.through._meta.auto_created]
    assert list(Initiative.CLASSIFICATIONS) == plain
    assert [field.name for field in Initiative.plain_m2m_fields()] == plain


def test_the_census_asks_for_every_classification_but_the_piao_objectives():
    from initiatives.census.steps import CLASSIFICATIONS

    assert set(Initiative.CLASSIFICATIONS) - set(CLASSIFICATIONS) == {"performance_objectives"}


def test_the_admin_offers_every_classification():
    from django.contrib import admin

    assert set(Initiative.CLASSIFICATIONS) <= set(admin.site._registry[Initiative].autocomplete_fields)


def test_the_subsets_other_modules_show_are_classifications():
    from initiatives.api.serializers import InitiativeSerializer
    from initiatives.exchange.resources import InitiativeResource
    from initiatives.showcase.facet_index import VOCABULARIES
    from initiatives.showcase.filters import InitiativeFilter

    classifications = set(Initiative.CLASSIFICATIONS)
    many = {"departments", "sectors", "themes", "sdgs", "fields_of_action", "pe_categories", "intervention_areas"}
    assert set(Initiative.EXCHANGED_CLASSIFICATIONS) == many
    assert many <= classifications
    assert {name for name in InitiativeSerializer.Meta.fields if name in many} == many
    assert {field.attribute for field in InitiativeResource().get_export_fields()} >= many
    facets = {vocabulary.field for vocabulary in VOCABULARIES.values() if vocabulary.field}
    assert facets <= classifications
    # The showcase's filters are built from the facets' declaration.
    for name, vocabulary in VOCABULARIES.items():
        if vocabulary.field:
            assert InitiativeFilter.base_filters[name].queryset.model is vocabulary.model
