"""Ideas the code names once, on the model, and the modules that use them."""

import pytest

from initiatives.factories import CensusCampaignFactory, InitiativeFactory, UserFactory
from initiatives.models import Initiative
from initiatives.services.initiatives import initiative_apply_update, initiative_start_update
from initiatives.services.review import snapshot

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
