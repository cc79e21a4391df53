"""Rate limits answer 429 with Retry-After and a translated message; open
data downloads do not write a row each."""

import pytest
from django.utils import translation

from impact.models import ExportRecord
from initiatives.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_one_address_signing_in_too_often_is_answered_429_in_its_language(client, settings):
    settings.POPS_RATE_LOGIN = "3/m"
    users = UserFactory.create_batch(4)
    statuses = []
    for user in users:
        client.logout()
        response = client.post(
            "/en/accounts/login/", {"username": user.email, "password": DEMO_PASSWORD}, REMOTE_ADDR="10.2.0.1"
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 302, 429]
    assert 0 < int(response["Retry-After"]) <= 60
    with translation.override("en"):
        assert "Too many attempts" in response.content.decode()
    # Another address is not limited.
    client.logout()
    response = client.post(
        "/it/admin/login/", {"username": users[0].email, "password": DEMO_PASSWORD}, REMOTE_ADDR="10.2.0.2"
    )
    assert response.status_code == 200  # not staff: the admin's own refusal


def test_the_admin_login_is_limited_too(client, settings):
    settings.POPS_RATE_LOGIN = "2/m"
    statuses = [
        client.post("/it/admin/login/", {"username": f"x{n}", "password": "x"}, REMOTE_ADDR="10.2.1.1").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("url", ["/it/census/organisations/suggestions/?q=ab", "/it/census/people/suggestions/?q=ab"])
def test_suggestions_are_limited_per_user(client, settings, url):
    settings.POPS_RATE_SUGGESTIONS = "5/m"
    client.force_login(UserFactory())
    statuses = [client.get(url).status_code for _n in range(6)]
    assert statuses == [200] * 5 + [429]
    response = client.get(url)
    assert response["Content-Type"] == "application/json" and "error" in response.json()
    assert int(response["Retry-After"]) > 0
    client.force_login(UserFactory())
    assert client.get(url).status_code == 200


def test_co_author_invitations_are_limited_per_user(client, settings):
    settings.POPS_RATE_INVITATIONS = "2/h"
    client.force_login(UserFactory())
    statuses = [client.post("/it/census/999999/invite/", {"email": "a@example.org"}).status_code for _n in range(3)]
    assert statuses[:2] == [404, 404] and statuses[2] == 429


def test_the_api_is_throttled_per_address_whatever_x_forwarded_for_says(client, settings):
    settings.POPS_RATE_API = "5/m"
    statuses = [
        client.get("/api/sdgs/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", HTTP_ACCEPT_LANGUAGE="en").status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    response = client.get("/api/sdgs/", HTTP_ACCEPT_LANGUAGE="en")
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"]


def test_thirty_anonymous_downloads_write_one_record_per_format(client):
    for _n in range(30):
        b"".join(client.get("/opendata/initiatives.csv").streaming_content)
        b"".join(client.get("/opendata/initiatives.json").streaming_content)
    assert sorted(ExportRecord.objects.values_list("format", flat=True)) == ["csv", "json"]


def test_the_429_page_says_when_to_try_again(client, settings):
    settings.POPS_RATE_PASSWORD_RESET = "1/h"
    client.post("/en/accounts/password_reset/", {"email": "a@example.org"})
    with translation.override("en"):
        response = client.post("/en/accounts/password_reset/", {"email": "a@example.org"})
        content = response.content.decode()
    assert response.status_code == 429
    minutes = -(-int(response["Retry-After"]) // 60)
    assert f"Please try again in {minutes} minute" in content
    assert '<html lang="en"' in content
