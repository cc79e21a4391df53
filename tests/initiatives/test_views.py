"""The interim public pages show published initiatives only."""

import pytest
from django.urls import reverse

from initiatives.factories import InitiativeFactory
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def test_the_root_redirects_to_the_italian_home():
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/it/"


def test_the_home_lists_published_initiatives_and_hides_drafts(client):
    published = InitiativeFactory(published=True, title_it="Orti condivisi a Mirafiori")
    draft = InitiativeFactory(state=Initiative.State.DRAFT, title_it="Bozza riservata")
    content = client.get("/it/").content.decode()
    assert published.title_it in content
    assert draft.title_it not in content


def test_the_home_runs_the_same_queries_with_few_or_many_initiatives(client, django_assert_num_queries):
    InitiativeFactory.create_batch(2, published=True)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/it/")
    InitiativeFactory.create_batch(10, published=True)
    with CaptureQueriesContext(connection) as many:
        client.get("/it/")
    assert len(few.captured_queries) == len(many.captured_queries)


def test_an_unpublished_initiative_answers_404(client):
    for state in set(Initiative.State) - {Initiative.State.PUBLISHED}:
        initiative = InitiativeFactory(state=state)
        assert client.get(reverse("initiative-detail", kwargs={"slug": initiative.slug})).status_code == 404


def test_the_detail_page_shows_the_english_title_or_falls_back_to_italian(client):
    both = InitiativeFactory(published=True, title_it="Energia di comunità", title_en="Community energy")
    italian_only = InitiativeFactory(published=True, title_it="Laboratorio di quartiere", title_en="")
    with_translation = client.get(f"/en/initiatives/{both.slug}/")
    assert "Community energy" in with_translation.content.decode()
    fallback = client.get(f"/en/initiatives/{italian_only.slug}/")
    assert "Laboratorio di quartiere" in fallback.content.decode()


def test_the_detail_page_queries_do_not_grow_with_people_and_partners(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from initiatives.factories import ParticipationFactory
    from stakeholders.factories import PartnershipFactory

    # Each relation non-empty in both, so that only the number of rows differs.
    small = InitiativeFactory(published=True)
    large = InitiativeFactory(published=True)
    for initiative, rows in ((small, 1), (large, 8)):
        ParticipationFactory.create_batch(rows, initiative=initiative)
        PartnershipFactory.create_batch(rows, initiative=initiative)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("initiative-detail", kwargs={"slug": small.slug}))
    with CaptureQueriesContext(connection) as other:
        client.get(reverse("initiative-detail", kwargs={"slug": large.slug}))
    assert len(one.captured_queries) == len(other.captured_queries)


def test_the_health_check_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}
