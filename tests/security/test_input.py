"""A NUL byte in any parameter answers 400 before a view or the database sees
it (PostgreSQL refuses NUL in text: these URLs used to answer 500 there)."""

import pytest

from initiatives.factories import UserFactory

pytestmark = pytest.mark.django_db

GET_URLS = [
    "/it/persone/?department=%00",
    "/it/iniziative/?q=a%00b",
    "/it/iniziative/?sector=%00",
    "/it/mappa/?q=%00",
    "/it/mappa/iniziative.geojson?department=%00",
    "/it/statistiche/?year=%00",
    "/api/initiatives/?search=%00",
    "/opendata/?format=%00",
    "/it/accounts/login/?next=%00",
    "/it/iniziative/?%00=1",
]
SIGNED_IN_GET_URLS = [
    "/it/census/organisations/suggestions/?q=ab%00",
    "/it/census/people/suggestions/?q=ab%00",
]


@pytest.mark.parametrize("url", GET_URLS)
def test_a_nul_byte_in_a_query_parameter_answers_400(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", SIGNED_IN_GET_URLS)
def test_a_nul_byte_in_a_suggestion_query_answers_400(client, url):
    client.force_login(UserFactory())
    assert client.get(url).status_code == 400


def test_a_nul_byte_in_a_form_field_answers_400(client):
    response = client.post("/it/accounts/login/", {"username": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400
    response = client.post("/it/accounts/password_reset/", {"email": "a@example.org\x00"})
    assert response.status_code == 400


def test_the_same_urls_without_the_nul_byte_answer(client):
    for url in GET_URLS[:3]:
        assert client.get(url.replace("%00", "x")).status_code == 200


def test_the_api_refuses_a_nul_byte_in_json(client):
    response = client.get("/api/initiatives/?search=a%00")
    assert response.status_code == 400 and "detail" in response.json()


def test_the_api_schema_says_parameters_hold_no_nul_byte(client):
    schema = client.get("/api/schema/?format=json").json()
    search = next(p for p in schema["paths"]["/api/initiatives/"]["get"]["parameters"] if p["name"] == "search")
    assert search["schema"]["pattern"] == "^[^\\x00]*$"
