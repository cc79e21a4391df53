"""A search from the list page sorts by relevance unless the visitor picks
another order (the list's form sends the default order as an empty value)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from initiatives.factories import InitiativeFactory
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def public(title: str, **fields) -> Initiative:
    """A public initiative whose only text is its title (the factory's texts
    would match some of the queries)."""
    texts = {"summary_it": "", "description_it": "", "keywords": "", **fields}
    return InitiativeFactory(published=True, title_it=title, english=False, **texts)


def test_a_search_typed_after_browsing_by_the_newest_is_sorted_by_relevance(client, on_postgres):
    # The form sends the order the visitor did not pick as an empty value.
    page = client.get(reverse("initiative-list")).content.decode()
    assert '<option value="" selected>' in page
    response = client.get(reverse("initiative-list") + "?q=orti&sort=")
    assert response.context["active_sort"] == "relevance"
    assert client.get(reverse("initiative-list") + "?q=orti&sort=newest").context["active_sort"] == "newest"
    cache.clear()
    assert client.get(reverse("initiative-list") + "?sort=").context["active_sort"] == "newest"


def test_the_list_page_ranks_a_search_by_relevance_unless_the_visitor_picks_another_order(client, on_postgres):
    if not on_postgres:
        pytest.skip("ranking needs PostgreSQL")
    best = public("Biciclette per tutti", summary_it="Biciclette e ciclofficina")
    newer = public("Progetto generico", summary_it="Parla anche di biciclette")
    Initiative.objects.filter(pk=best.pk).update(published_at=newer.published_at - timedelta(days=30))
    url = reverse("initiative-list") + "?q=biciclette"
    assert [c.title for c in client.get(url + "&sort=").context["page"].object_list][0] == "Biciclette per tutti"
    assert [c.title for c in client.get(url + "&sort=newest").context["page"].object_list][0] == "Progetto generico"
