"""Full-text search of the public initiatives, on SQLite and PostgreSQL."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory
from initiatives.filters import InitiativeFilter, public_initiatives
from stakeholders.factories import OrganisationFactory, PartnershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def titles(query: str) -> list[str]:
    return [i.title_it for i in InitiativeFilter({"q": query}, queryset=public_initiatives()).qs]


def test_search_finds_words_in_titles_summaries_and_keywords():
    InitiativeFactory(published=True, title_it="Orti condivisi", summary_it="Coltivare insieme a Borgo Zafferano")
    InitiativeFactory(published=True, title_it="Energia di comunità", keywords="girasolare, quartiere")
    assert titles("Zafferano") == ["Orti condivisi"]
    assert titles("girasolare") == ["Energia di comunità"]


def test_search_finds_initiatives_by_partner_and_by_person():
    initiative = InitiativeFactory(published=True, title_it="Laboratorio di quartiere")
    PartnershipFactory(initiative=initiative, organisation=OrganisationFactory(name="Cooperativa Arcobaleno"))
    ParticipationFactory(initiative=initiative, person=PersonFactory(first_name="Ilaria", last_name="Gribaudo"))
    InitiativeFactory(published=True, title_it="Altro progetto")
    assert titles("Arcobaleno") == ["Laboratorio di quartiere"]
    assert titles("Ilaria Gribaudo") == ["Laboratorio di quartiere"]


def test_search_never_returns_unpublished_initiatives():
    InitiativeFactory(title_it="Mappatura riservata")
    assert titles("Mappatura") == []


def test_the_list_page_searches_through_the_q_parameter(client):
    InitiativeFactory(published=True, title_it="Biblioteca sociale", english=False)
    InitiativeFactory(published=True, title_it="Officina mobile", english=False)
    content = client.get(reverse("initiative-list") + "?q=biblioteca").content.decode()
    assert "Biblioteca sociale" in content and "Officina mobile" not in content


def test_postgres_search_stems_italian_and_english_and_tolerates_typos(on_postgres):
    if not on_postgres:
        pytest.skip("stemming and trigram similarity need PostgreSQL")
    InitiativeFactory(
        published=True,
        title_it="Orti urbani condivisi",
        title_en="Shared urban gardens",
        summary_it="Gli abitanti coltivano insieme",
        keywords="orti, Mirafiori",
    )
    InitiativeFactory(published=True, title_it="Sportello digitale", title_en="Digital help desk", keywords="anziani")
    assert titles("condivisa") == ["Orti urbani condivisi"]  # Italian stemming: condivisa ~ condivisi
    assert titles("garden") == ["Orti urbani condivisi"]  # English stemming: garden ~ gardens
    assert titles("Mirafori") == ["Orti urbani condivisi"]  # a typo, caught by trigrams


def test_postgres_search_ranks_title_matches_first(on_postgres):
    if not on_postgres:
        pytest.skip("ranking needs PostgreSQL")
    InitiativeFactory(published=True, title_it="Progetto generico", summary_it="Parla anche di biciclette")
    InitiativeFactory(
        published=True, title_it="Biciclette per tutti", summary_it="Biciclette, ciclofficina, biciclette"
    )
    assert titles("biciclette")[0] == "Biciclette per tutti"
