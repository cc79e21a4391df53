"""The initiative page's share links (copy, e-mail, print) and its citation line."""

import datetime
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory
from initiatives.models import Participation
from initiatives.showcase import reads as showcase

pytestmark = pytest.mark.django_db


def people(initiative, *names, lead=None):
    if lead:
        ParticipationFactory(
            initiative=initiative,
            person=PersonFactory(first_name=lead[0], last_name=lead[1]),
            role=Participation.Role.LEAD,
            position=9,
        )
    for position, (first, last) in enumerate(names):
        ParticipationFactory(
            initiative=initiative, person=PersonFactory(first_name=first, last_name=last), position=position
        )


def test_the_citation_names_the_lead_first_then_three_people_at_most():
    initiative = InitiativeFactory(
        published=True, lead=False, title_it="Orti condivisi.", start_date=datetime.date(2024, 3, 1)
    )
    people(initiative, ("Marco", "Rossi"), ("Anna", "Bianchi"), ("Luca", "Verdi"), lead=("Giulia", "Ferrero"))
    with translation.override("it"):
        line = showcase.citation(initiative, "https://pops.example/it/iniziative/orti/")
    assert line == (
        "Ferrero G., Rossi M., Bianchi A. et al. (2024). Orti condivisi. PoliTO per il Sociale,"
        " Politecnico di Torino. https://pops.example/it/iniziative/orti/"
    )


def test_the_citation_of_an_initiative_without_people_or_dates_is_the_title_and_the_address():
    initiative = InitiativeFactory(
        published=True, lead=False, members=[], title_it="Sportello", title_en="Help desk", start_date=None
    )
    initiative.published_at = None
    with translation.override("en"):
        line = showcase.citation(initiative, "https://pops.example/en/initiatives/desk/")
    assert line == "Help desk. PoliTO for Society, Politecnico di Torino. https://pops.example/en/initiatives/desk/"


def test_the_page_offers_the_link_to_copy_an_e_mail_print_and_the_citation(client, settings):
    settings.SITE_URL = "https://pops.example"
    initiative = InitiativeFactory(published=True, title_it="Orti condivisi", title_en="Shared gardens")
    with translation.override("en"):
        path = reverse("initiative-detail", kwargs={"slug": initiative.slug})
        response = client.get(path)
    html = response.content.decode()
    url = f"https://pops.example{path}"
    assert f'id="share-url" class="form-control pops-share-url" type="url" value="{url}" readonly' in html
    assert 'data-copy="share-url" data-copied="Link copied"' in html
    assert "data-print" in html
    mailto = html.split('href="mailto:?', 1)[1].split('"', 1)[0]
    assert unquote(mailto).startswith("subject=Shared gardens&amp;body=")
    assert url in unquote(mailto)
    assert response.context["citation"] in html
    assert response.context["citation"].endswith(url)
    assert f'<p class="pops-print-only">{url}</p>' in html


def test_the_print_stylesheet_hides_the_chrome_and_shows_where_links_lead():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "pops.css").read_text()
    print_rules = css.split("@media print", 1)[1]
    for selector in (".it-header-wrapper", ".it-footer", ".pops-map", ".pops-share-actions"):
        assert selector in print_rules
    assert 'content: " (" attr(href) ")"' in print_rules
