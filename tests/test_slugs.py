"""New slugs have one rule (pops.slugs), used by the census, its services and
the import: unique, within the model's slug field, never empty."""

import pytest

from initiatives.factories import InitiativeFactory, PersonFactory
from initiatives.models import Initiative, Person
from pops.slugs import unique_slug
from stakeholders.factories import OrganisationFactory
from stakeholders.models import Organisation

pytestmark = pytest.mark.django_db


def test_a_slug_is_the_slugified_text_with_a_number_once_taken():
    assert unique_slug(Initiative, "Orti in città!") == "orti-in-citta"
    InitiativeFactory(slug="orti-in-citta")
    assert unique_slug(Initiative, "Orti in città!") == "orti-in-citta-2"
    InitiativeFactory(slug="orti-in-citta-2")
    assert unique_slug(Initiative, "Orti in città") == "orti-in-citta-3"


@pytest.mark.parametrize("model", [Initiative, Person, Organisation])
def test_a_slug_fits_the_model_field_even_with_its_number(model):
    max_length = model._meta.get_field("slug").max_length
    text = "parola " * 100
    first = unique_slug(model, text)
    assert len(first) <= max_length and not first.endswith("-")
    factory = {Initiative: InitiativeFactory, Person: PersonFactory, Organisation: OrganisationFactory}[model]
    factory(slug=first)
    second = unique_slug(model, text)
    assert len(second) <= max_length and second.endswith("-2") and second != first


def test_a_text_without_letters_gets_the_model_name():
    assert unique_slug(Person, "!!! ???") == "person"
    assert unique_slug(Organisation, "") == "organisation"


def test_the_census_services_and_the_import_use_the_one_rule():
    from initiatives.census import steps
    from initiatives.exchange import resources
    from initiatives.services import initiatives

    assert steps.unique_slug is resources.unique_slug is initiatives.unique_slug is unique_slug


def test_a_bulk_import_asks_a_set_of_taken_slugs_instead_of_the_database(django_assert_num_queries):
    from initiatives.models import Initiative
    from pops.slugs import unique_slug

    taken = {"orti", "orti-2"}
    with django_assert_num_queries(0):
        assert unique_slug(Initiative, "Orti", taken=taken) == "orti-3"
        assert unique_slug(Initiative, "Orti", taken=taken) == "orti-4"
    assert {"orti-3", "orti-4"} <= taken
