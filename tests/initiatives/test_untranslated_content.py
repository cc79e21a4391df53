"""Content without an English translation, on English pages: shown in
Italian, marked `lang="it"` so that screen readers read it as Italian, and said
to be available in Italian only; the English home prefers translated
initiatives among its featured cards."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory
from initiatives.showcase import reads as showcase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def page(client, name: str, language: str, **kwargs) -> str:
    with translation.override(language):
        response = client.get(reverse(name, kwargs=kwargs or None))
    assert response.status_code == 200
    return response.content.decode()


def untranslated(**kwargs):
    return InitiativeFactory(
        published=True,
        english=False,
        title_it="Orti di quartiere",
        summary_it="Coltivare insieme.",
        description_it="Un orto per tutti.",
        **kwargs,
    )


def test_an_untranslated_initiative_reads_in_italian_marked_as_italian_on_the_english_page(client):
    initiative = untranslated()
    html = page(client, "initiative-detail", "en", slug=initiative.slug)
    assert '<html lang="en">' in html
    assert '<h1 lang="it">Orti di quartiere</h1>' in html
    assert '<p class="lead" lang="it">Coltivare insieme.</p>' in html
    assert '<div class="pops-prose" lang="it"><p>Un orto per tutti.</p></div>' in html
    assert "Available in Italian only: this initiative has no English translation yet." in html


def test_a_partly_translated_initiative_marks_only_what_is_in_italian(client):
    initiative = untranslated(title_en="Neighbourhood gardens", summary_en="Growing together.")
    html = page(client, "initiative-detail", "en", slug=initiative.slug)
    assert "<h1>Neighbourhood gardens</h1>" in html
    assert '<p class="lead">Growing together.</p>' in html
    assert '<div class="pops-prose" lang="it"><p>Un orto per tutti.</p></div>' in html
    assert "Parts of this page are available in Italian only." in html
    assert "no English translation yet" not in html


def test_a_translated_initiative_and_the_italian_page_carry_no_mark(client):
    initiative = InitiativeFactory(
        published=True,
        title_it="Energia di comunità",
        title_en="Community energy",
        summary_en="Sharing the sun.",
        description_en="Solar panels.",
        objectives_it="",
    )
    english = page(client, "initiative-detail", "en", slug=initiative.slug)
    italian = page(client, "initiative-detail", "it", slug=untranslated().slug)
    for html in (english, italian):
        assert not re.search(r'<(h1|p|div)[^>]* lang="it"', html)
        assert "pops-lang-callout" not in html


def test_the_cards_of_the_english_list_mark_an_untranslated_title_and_summary(client):
    untranslated()
    InitiativeFactory(published=True, title_en="Community energy", summary_en="Sharing the sun.")
    html = page(client, "initiative-list", "en")
    assert re.search(r'<a href="[^"]+" lang="it">Orti di quartiere</a>', html)
    assert '<p class="card-text" lang="it">Coltivare insieme.</p>' in html
    assert html.count("Available in Italian only") == 1
    assert re.search(r'<a href="[^"]+">Community energy</a>', html)
    assert "Available in Italian only" not in page(client, "initiative-list", "it")


def test_the_english_home_features_translated_initiatives_first():
    translated = [InitiativeFactory(published=True, english=True, title_en=f"Translated {n}") for n in range(2)]
    featured_untranslated = [InitiativeFactory(published=True, english=False, featured=True) for _ in range(3)]
    with translation.override("en"):
        english = [card.slug for card in showcase.featured_initiatives(limit=3)]
    with translation.override("it"):
        italian = [card.slug for card in showcase.featured_initiatives(limit=3)]
    assert set(english[:2]) == {i.slug for i in translated}
    assert english[2] in {i.slug for i in featured_untranslated}
    assert set(italian) == {i.slug for i in featured_untranslated}
