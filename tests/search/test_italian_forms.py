"""The search asks for each Italian word in its other forms (singular and
plural, masculine and feminine, the adjective and its abstract noun, with and
without the final accent), and reads the initiatives' products, impacts,
target groups and organisations too."""

import pytest
from django.core.cache import cache

from impact.factories import ImpactFactory, ProductFactory
from initiatives.factories import InitiativeFactory
from initiatives.models import Initiative
from initiatives.showcase import italian
from initiatives.showcase.filters import InitiativeFilter
from initiatives.showcase.search import italian_tsquery
from stakeholders.factories import OrganisationFactory, PartnershipFactory, TargetGroupFactory

# The pairs PostgreSQL's Italian Snowball stemmer splits (issue #15).
SPLIT_PAIRS = [
    ("carriera", "carriere"),
    ("bandiera", "bandiere"),
    ("frontiera", "frontiere"),
    ("sostenibile", "sostenibilità"),
    ("infermiere", "infermieri"),
    ("laboratorio", "laboratori"),
]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def titles(query: str) -> list[str]:
    return [i.title_it for i in InitiativeFilter({"q": query}, queryset=Initiative.objects.public()).qs]


@pytest.mark.parametrize(("one", "other"), SPLIT_PAIRS)
def test_each_form_of_a_split_pair_is_among_the_other_ones_forms(one, other):
    assert other in italian.forms(one)
    assert one in italian.forms(other)


def test_a_word_typed_without_its_final_accent_has_the_accented_form_and_back():
    assert "città" in italian.forms("citta")
    assert "povertà" in italian.forms("poverta")
    assert "citta" in italian.forms("città")
    assert "sostenibile" in italian.forms("sostenibilita")


def test_short_words_and_numbers_have_no_other_form():
    assert italian.forms("di") == ["di"]
    assert italian.forms("2024") == ["2024"]
    assert italian.forms("Orti")[0] == "orti"


def test_a_query_in_the_search_syntax_is_searched_as_typed():
    assert italian_tsquery('"orti urbani"') is None
    assert italian_tsquery("orti -Mirafiori") is None
    assert italian_tsquery("orti or giardini") is None
    assert italian_tsquery("l'orto") == "('l') & ('orto' | 'orta' | 'orte' | 'orti' | 'ortò')"


@pytest.mark.django_db
@pytest.mark.parametrize(("one", "other"), SPLIT_PAIRS)
def test_a_search_for_one_form_finds_the_initiative_written_with_the_other(one, other):
    InitiativeFactory(published=True, title_it=f"Progetto {one} condiviso", summary_it="", description_it="")
    InitiativeFactory(published=True, title_it=f"Progetto {other} condiviso", summary_it="", description_it="")
    InitiativeFactory(published=True, title_it="Orti di quartiere", summary_it="", description_it="")
    assert sorted(titles(one)) == sorted([f"Progetto {one} condiviso", f"Progetto {other} condiviso"])
    assert sorted(titles(other)) == sorted([f"Progetto {one} condiviso", f"Progetto {other} condiviso"])


@pytest.mark.django_db
def test_the_form_typed_ranks_before_the_other_forms(on_postgres):
    if not on_postgres:
        pytest.skip("SQLite has no ranking")
    InitiativeFactory(published=True, title_it="Le carriere tecniche", summary_it="", description_it="")
    InitiativeFactory(published=True, title_it="Una carriera tecnica", summary_it="", description_it="")
    assert titles("carriera") == ["Una carriera tecnica", "Le carriere tecniche"]
    assert titles("carriere") == ["Le carriere tecniche", "Una carriera tecnica"]


@pytest.mark.django_db
def test_the_search_reads_products_impacts_target_groups_and_organisations_of_any_role():
    kit = InitiativeFactory(published=True, title_it="Officina ragazzi", summary_it="", description_it="")
    ProductFactory(initiative=kit, title="Kit didattici per le scuole", description="")
    survey = InitiativeFactory(published=True, title_it="Mappe sonore", summary_it="", description_it="")
    ImpactFactory(initiative=survey, description="Riduzione del rumore percepito", indicator="Decibel medi")
    elderly = InitiativeFactory(published=True, title_it="Nonni in rete", summary_it="", description_it="")
    elderly.target_groups.add(TargetGroupFactory(name_it="Persone anziane sole", name_en="Lonely elderly people"))
    funded = InitiativeFactory(published=True, title_it="Energia comune", summary_it="", description_it="")
    PartnershipFactory(initiative=funded, organisation=OrganisationFactory(name="Città di Moncalieri"), role="funder")
    InitiativeFactory(published=True, title_it="Altro progetto", summary_it="", description_it="")
    draft = InitiativeFactory(title_it="Bozza", summary_it="", description_it="")
    ProductFactory(initiative=draft, title="Kit didattico riservato", description="")

    assert titles("kit didattico") == ["Officina ragazzi"]
    assert titles("rumore") == ["Mappe sonore"]
    assert titles("decibel") == ["Mappe sonore"]
    assert titles("persona anziana") == ["Nonni in rete"]
    assert titles("citta moncalieri") == ["Energia comune"]
