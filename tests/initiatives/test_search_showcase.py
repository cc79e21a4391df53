"""Full-text search of the public initiatives, on SQLite and PostgreSQL."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory
from initiatives.models import Initiative
from initiatives.showcase.filters import InitiativeFilter
from initiatives.showcase.search import LEXICON_TABLE, matches_sql
from stakeholders.factories import OrganisationFactory, PartnershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def titles(query: str) -> list[str]:
    return [i.title_it for i in InitiativeFilter({"q": query}, queryset=Initiative.objects.public()).qs]


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


def test_postgres_ranks_by_where_the_stemmed_words_are_found(on_postgres, client):
    if not on_postgres:
        pytest.skip("ranking needs PostgreSQL")
    # Newest first in the factory's order, so that the rank alone can put
    # them the other way round.
    for title, keywords, summary, description in (
        ("Progetto di quartiere", "", "", "Tra le attività, uno spazio condiviso nel cortile."),
        ("Sportello per le famiglie", "", "Uno spazio condiviso accanto alla scuola.", ""),
        ("Laboratorio aperto", "spazi condivisi", "", ""),
        ("Spazi condivisi a Mirafiori", "", "", ""),
    ):
        InitiativeFactory(
            published=True,
            title_it=title,
            keywords=keywords,
            summary_it=summary,
            description_it=description,
            english=False,
        )
    # "spazio condiviso" is no substring of any title: stemming finds them all,
    # and the title outranks the keywords, the summary and the description.
    expected = [
        "Spazi condivisi a Mirafiori",
        "Laboratorio aperto",
        "Sportello per le famiglie",
        "Progetto di quartiere",
    ]
    assert titles("spazio condiviso") == expected
    page = client.get(reverse("initiative-list") + "?q=spazio+condiviso").context["page"]
    assert [card.title for card in page.object_list] == expected


def test_postgres_search_tolerates_a_typo_in_each_word_of_a_longer_query(on_postgres):
    if not on_postgres:
        pytest.skip("trigram similarity needs PostgreSQL")
    # Summaries and descriptions of their own: the factory's name Turin's
    # districts, Mirafiori among them.
    plain = {"summary_it": "Coltivare insieme.", "description_it": "Un orto per il quartiere.", "english": False}
    InitiativeFactory(published=True, title_it="Orti urbani condivisi", keywords="orti, Mirafiori", **plain)
    InitiativeFactory(published=True, title_it="Orti sul tetto", keywords="orti, Lingotto", **plain)
    assert titles("orti Mirafori") == ["Orti urbani condivisi"]
    assert titles("Ortti Lingoto") == ["Orti sul tetto"]
    assert titles("Mirafiori") == ["Orti urbani condivisi"]  # spelt right: the stemmed search alone


def test_postgres_forgives_typos_in_titles_and_keywords_only(on_postgres):
    if not on_postgres:
        pytest.skip("trigram similarity needs PostgreSQL")
    InitiativeFactory(published=True, title_it="Orti urbani", keywords="Mirafiori", english=False)
    InitiativeFactory(
        published=True, title_it="Sportello digitale", summary_it="Aperto ogni martedì a Mirafiori", english=False
    )
    assert titles("Mirafori") == ["Orti urbani"]
    assert sorted(titles("Mirafiori")) == ["Orti urbani", "Sportello digitale"]


def lexicon() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT word FROM {LEXICON_TABLE}")
        return {row[0] for row in cursor.fetchall()}


def test_postgres_keeps_the_lexicon_of_titles_and_keywords_whoever_writes_them(on_postgres):
    if not on_postgres:
        pytest.skip("the lexicon exists on PostgreSQL only")
    initiative = InitiativeFactory(title_it="Zanzibar solidale 2031", title_en=None, keywords="")
    assert {"zanzibar", "solidale"} <= lexicon()
    assert "2031" not in lexicon()  # bare numbers are nobody's typo
    Initiative.objects.filter(pk=initiative.pk).update(keywords="Quokka")  # no save(), no signal
    assert "quokka" in lexicon()


def test_postgres_reads_the_lexicon_through_its_trigram_index(on_postgres):
    if not on_postgres:
        pytest.skip("trigram indexes need PostgreSQL")
    InitiativeFactory(published=True, title_it="Orti urbani condivisi", keywords="orti, Mirafiori")
    sql, params = matches_sql("Mirafori")
    with connection.cursor() as cursor:
        # A test lexicon is a few rows: PostgreSQL rightly prefers reading
        # them all (or a whole other index), and the plan would not show
        # whether the trigram index can serve the lookup at all.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on initiative_search_word_trigram" in plan
    assert "initiative_search_italian" in plan and "initiative_search_english" in plan


def test_a_search_reads_its_matches_once_and_keeps_them_for_the_other_queries_of_the_page():
    InitiativeFactory(published=True, title_it="Biblioteca sociale", english=False)
    filterset = InitiativeFilter({"q": "biblioteca"}, queryset=Initiative.objects.public())
    with CaptureQueriesContext(connection) as captured:
        ids = filterset.search_ids("biblioteca")
        assert filterset.search_ids(" biblioteca ") == ids
        assert (
            InitiativeFilter({"q": "biblioteca"}, queryset=Initiative.objects.public()).search_ids("biblioteca") == ids
        )
    assert len(captured.captured_queries) == 1
    assert [i.title_it for i in filterset.qs] == ["Biblioteca sociale"]


def test_a_misspelt_name_of_a_person_or_an_organisation_finds_their_initiatives_on_postgresql(on_postgres):
    if not on_postgres:
        pytest.skip("pg_trgm: SQLite matches words as typed")
    initiative = InitiativeFactory(published=True, title_it="Sportello digitale", summary_it="", description_it="")
    ParticipationFactory(initiative=initiative, person=PersonFactory(first_name="Giulia", last_name="Ferrero"))
    other = InitiativeFactory(published=True, title_it="Fiumi puliti", summary_it="", description_it="")
    PartnershipFactory(initiative=other, organisation=OrganisationFactory(name="Legambiente Piemonte"))
    InitiativeFactory(published=True, title_it="Altro progetto", summary_it="", description_it="")
    assert titles("Ferero") == ["Sportello digitale"]
    assert titles("Legambinte") == ["Fiumi puliti"]
    # Only when nothing else matches: a name spelt right finds only its own.
    assert titles("Ferrero") == ["Sportello digitale"]
