"""Every admin page that staff use renders, within a fixed number of queries."""

import pytest
from django.contrib import admin
from django.urls import reverse

from initiatives.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
IDS = [model._meta.label for model, _ in MODEL_ADMINS]

# Session, user, plus the page's own counts, selects and (for add pages)
# nothing per row; generous enough for the widest page, small enough to catch
# a query per row.
MAX_QUERIES = 20


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def some_initiatives():
    return InitiativeFactory.create_batch(3, published=True)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=IDS)
def test_every_changelist_renders_for_a_superuser(
    superuser_client, some_initiatives, model, model_admin, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = superuser_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=IDS)
def test_every_add_page_renders_for_a_superuser(
    superuser_client, rf, model, model_admin, django_assert_max_num_queries
):
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    if not model_admin.has_add_permission(request):
        # Records made by the system only (export records, import jobs).
        assert superuser_client.get(admin_url(model, "add")).status_code == 403
        return
    with django_assert_max_num_queries(MAX_QUERIES):
        response = superuser_client.get(admin_url(model, "add"))
    assert response.status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=IDS)
def test_every_changelist_search_works(superuser_client, some_initiatives, model, model_admin):
    if not model_admin.search_fields:
        pytest.skip("no search on this model")
    response = superuser_client.get(admin_url(model, "changelist"), {"q": "torino"})
    assert response.status_code == 200


def count_queries(client, url, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_initiative_changelist_does_not_query_per_row(superuser_client, django_assert_max_num_queries):
    from initiatives.models import Initiative

    url = admin_url(Initiative, "changelist")
    InitiativeFactory.create_batch(2)
    few = count_queries(superuser_client, url, django_assert_max_num_queries)
    InitiativeFactory.create_batch(20)
    many = count_queries(superuser_client, url, django_assert_max_num_queries)
    assert few == many


def test_an_initiative_change_page_and_its_history_render(superuser_client, some_initiatives):
    from initiatives.models import Initiative

    initiative = some_initiatives[0]
    assert superuser_client.get(admin_url(Initiative, "change", initiative.pk)).status_code == 200
    response = superuser_client.get(admin_url(Initiative, "history", initiative.pk))
    assert response.status_code == 200
    assert initiative.title in response.content.decode()


def test_staff_without_rights_cannot_open_the_initiatives(client):
    from initiatives.models import Initiative

    client.force_login(UserFactory(is_staff=True))
    assert client.get(admin_url(Initiative, "changelist")).status_code == 403
