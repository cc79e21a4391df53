"""The researchers' front door: signing in and out from the header, the call
to submit an initiative, and what "My initiatives" lets them do (open the
public page, delete a draft, withdraw a submission)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import FormDraft, Initiative, LeadNomination, OutboundEmail, Participation, StateTransition
from initiatives.services.conversation import message_post
from initiatives.services.initiatives import initiative_delete_draft, initiative_start_update
from initiatives.services.permissions import can_delete
from initiatives.services.workflow import initiative_transition

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def cast():
    """A draft with its creator (the lead), a co-author, a mere member, an
    outsider and a staff reviewer."""
    users = {
        name: UserFactory(username=name, first_name=name.capitalize(), last_name="Rossi", email=f"{name}@polito.it")
        for name in ("lead", "coauthor", "member", "other")
    }
    users["staff"] = UserFactory(username="staff", is_staff=True, email="curator@polito.it")
    users["staff"].user_permissions.add(Permission.objects.get(codename="change_initiative"))
    initiative = InitiativeFactory(created_by=users["lead"], state=S.DRAFT, lead=False, title_it="Orti in città")
    for name, role, can_edit in (
        ("lead", Participation.Role.LEAD, False),
        ("coauthor", Participation.Role.MEMBER, True),
        ("member", Participation.Role.MEMBER, False),
    ):
        ParticipationFactory(
            initiative=initiative, person=PersonFactory(user=users[name]), role=role, can_edit=can_edit
        )
    return initiative, users


def header(response) -> str:
    html = response.content.decode()
    return html[html.index("<header") : html.index("</header>")]


# --- The header -----------------------------------------------------------------------


def test_an_anonymous_visitor_sees_sign_in_leading_back_to_the_page(client):
    response = client.get("/it/iniziative/?q=orti")
    assert response.status_code == 200
    top = header(response)
    assert 'href="/it/accounts/login/?next=/it/iniziative/%3Fq%3Dorti"' in top
    assert "Accedi" in top
    assert "data-user-menu" not in top


def test_signing_in_from_the_header_comes_back_to_the_page(client, cast):
    _initiative, users = cast
    response = client.post(
        "/it/accounts/login/", {"username": "lead", "password": "pops-demo-2026", "next": "/it/iniziative/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/it/iniziative/"


def test_a_signed_in_researcher_sees_their_name_and_the_menu(client, cast):
    _initiative, users = cast
    client.force_login(users["lead"])
    with translation.override("en"):
        top = header(client.get("/en/"))
    assert "data-user-menu" in top
    assert "Lead Rossi" in top
    assert f'href="{reverse("census:dashboard")}"'.replace("/it/", "/en/") in top
    assert "My initiatives" in top
    # Signing out is a POST with its CSRF token, never a link.
    form = re.search(r'<form method="post" action="/en/accounts/logout/">(.*?)</form>', top, re.S)
    assert form and "csrfmiddlewaretoken" in form.group(1) and "Sign out" in form.group(1)
    assert "/admin/" not in top  # not staff
    assert "?next=" not in top  # no "Sign in"


def test_staff_also_find_the_staff_area_in_the_menu(client, cast):
    _initiative, users = cast
    client.force_login(users["staff"])
    assert 'href="/it/admin/"' in header(client.get("/it/"))


def test_the_sign_in_page_does_not_offer_to_sign_in_again(client):
    assert "?next=" not in header(client.get("/it/accounts/login/"))


# --- Signing out -------------------------------------------------------------------------


def test_sign_out_by_get_asks_to_confirm_instead_of_405(client, cast):
    _initiative, users = cast
    client.force_login(users["lead"])
    with translation.override("en"):
        response = client.get("/en/accounts/logout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "registration/logout_confirm.html" in [t.name for t in response.templates]
    main = html[html.index("<main") :]
    assert re.search(r'<form method="post" action="/en/accounts/logout/"', main)
    assert "csrfmiddlewaretoken" in main
    # Still signed in: a GET changes nothing.
    assert client.get(reverse("census:dashboard")).status_code == 200


def test_sign_out_by_post_lands_on_the_home_page_with_a_message(client, cast):
    _initiative, users = cast
    client.force_login(users["lead"])
    with translation.override("en"):
        response = client.post("/en/accounts/logout/", follow=True)
    assert response.redirect_chain[0] == ("/en/", 302)
    assert "You are signed out" in response.content.decode()
    assert "data-user-menu" not in header(response)
    assert client.get(reverse("census:dashboard")).status_code == 302  # to the sign-in page


def test_sign_out_needs_the_csrf_token(cast):
    from django.test import Client

    _initiative, users = cast
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["lead"])
    assert client.post("/it/accounts/logout/").status_code == 403
    assert client.get(reverse("census:dashboard")).status_code == 200


def test_an_anonymous_get_of_sign_out_goes_home(client):
    response = client.get("/it/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/it/"


# --- The call to submit an initiative -------------------------------------------------------


@pytest.mark.parametrize("url", ["/it/", "/it/iniziative/"])
def test_home_and_list_invite_to_submit_an_initiative_through_sign_in(client, cast, url):
    html = client.get(url).content.decode()
    assert 'href="/it/accounts/login/?next=/it/census/new/" data-submit-initiative' in html
    _initiative, users = cast
    client.force_login(users["lead"])
    html = client.get(url).content.decode()
    assert 'href="/it/census/new/" data-submit-initiative' in html


# --- My initiatives: public pages ---------------------------------------------------------


def test_my_initiatives_link_published_ones_and_updates_to_their_public_page(client, cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.PUBLISHED)
    initiative.refresh_from_db()
    copy = initiative_start_update(initiative=initiative, by=users["lead"])
    draft = InitiativeFactory(created_by=users["lead"], state=S.DRAFT, title_it="Bozza riservata")
    client.force_login(users["lead"])
    html = client.get(reverse("census:dashboard")).content.decode()
    public = initiative.get_absolute_url()
    assert html.count(f'href="{public}"') == 2  # the original, and its proposed update
    assert reverse("census:review", args=[copy.pk]) in html
    assert draft.get_absolute_url() not in html


# --- Deleting a draft ------------------------------------------------------------------------


def test_an_author_deletes_a_draft_after_confirming(client, cast):
    initiative, users = cast
    FormDraft.objects.create(user=users["lead"], initiative=initiative, step="who", data={})
    client.force_login(users["coauthor"])
    url = reverse("census:delete", args=[initiative.pk])
    dashboard = client.get(reverse("census:dashboard")).content.decode()
    assert f'href="{url}"' in dashboard
    page = client.get(url)
    assert page.status_code == 200 and "Orti in città" in page.content.decode()
    assert Initiative.objects.filter(pk=initiative.pk).exists()  # a GET deletes nothing
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("census:dashboard")
    assert not Initiative.objects.filter(pk=initiative.pk).exists()
    assert not FormDraft.objects.filter(initiative_id=initiative.pk).exists()


@pytest.mark.parametrize("state", [S.SUBMITTED, S.CHANGES_REQUESTED, S.PUBLISHED, S.ARCHIVED, S.REJECTED])
def test_only_a_draft_can_be_deleted(client, cast, state):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=state)
    client.force_login(users["lead"])
    url = reverse("census:delete", args=[initiative.pk])
    assert url not in client.get(reverse("census:dashboard")).content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Initiative.objects.filter(pk=initiative.pk).exists()


def test_a_draft_once_published_cannot_be_deleted(cast):
    """A draft with a publication date was public once (history staff keep)."""
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(published_at="2025-01-01T10:00Z")
    initiative.refresh_from_db()
    assert not can_delete(users["lead"], initiative)
    with pytest.raises(PermissionDenied):
        initiative_delete_draft(initiative=initiative, by=users["lead"])
    assert Initiative.objects.filter(pk=initiative.pk).exists()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("other", 404), ("staff", 404)])
def test_nobody_else_may_delete_a_draft(client, cast, who, status):
    initiative, users = cast
    client.force_login(users[who])
    url = reverse("census:delete", args=[initiative.pk])
    assert client.get(url).status_code == status
    assert client.post(url).status_code == status
    assert Initiative.objects.filter(pk=initiative.pk).exists()


def test_deleting_the_draft_of_an_update_keeps_the_published_original(client, cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.PUBLISHED, published_at="2025-01-01T10:00Z")
    initiative.refresh_from_db()
    copy = initiative_start_update(initiative=initiative, by=users["lead"])
    client.force_login(users["lead"])
    assert client.post(reverse("census:delete", args=[copy.pk])).status_code == 302
    assert not Initiative.objects.filter(pk=copy.pk).exists()
    initiative.refresh_from_db()
    assert initiative.state == S.PUBLISHED and initiative.participations.count() == 3


def test_the_delete_page_needs_sign_in(client, cast):
    initiative, _users = cast
    url = reverse("census:delete", args=[initiative.pk])
    assert client.post(url).status_code == 302
    assert Initiative.objects.filter(pk=initiative.pk).exists()


# --- Withdrawing a submission ------------------------------------------------------------------


def test_an_author_withdraws_a_submission_recorded_as_a_move(client, cast, settings):
    settings.POPS_STAFF_EMAILS = ["pops@polito.it"]
    initiative, users = cast
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    OutboundEmail.objects.all().delete()
    client.force_login(users["coauthor"])
    url = reverse("census:withdraw", args=[initiative.pk])
    assert f'action="{url}"' in client.get(reverse("census:dashboard")).content.decode()
    assert client.get(url).status_code == 405  # a POST only
    response = client.post(url)
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.state == S.DRAFT
    move = initiative.transitions.order_by("-at", "-id").first()
    assert (move.from_state, move.to_state, move.by) == (S.SUBMITTED, S.DRAFT, users["coauthor"])
    # Staff learn that it left the queue, with the link to its review page.
    email = OutboundEmail.objects.get()
    assert email.recipients == ["pops@polito.it"]
    assert reverse("admin:initiatives_initiative_review", args=[initiative.pk]) in email.body
    # A draft again: it can be edited and submitted once more.
    assert client.get(reverse("census:step", args=[initiative.pk, "who"])).status_code == 200


@pytest.mark.parametrize("who", ["member", "staff"])
def test_only_an_author_withdraws(client, cast, who):
    initiative, users = cast
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    client.force_login(users[who])
    response = client.post(reverse("census:withdraw", args=[initiative.pk]))
    assert response.status_code in (302, 404)
    initiative.refresh_from_db()
    assert initiative.state == S.SUBMITTED
    assert not StateTransition.objects.filter(initiative=initiative, to_state=S.DRAFT).exists()


def test_staff_cannot_withdraw_even_for_an_initiative_without_authors(cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED, created_by=None)
    initiative.participations.all().delete()
    initiative.refresh_from_db()
    with pytest.raises(PermissionDenied):
        initiative_transition(initiative=initiative, to=S.DRAFT, by=users["staff"])


@pytest.mark.parametrize("state", [S.DRAFT, S.CHANGES_REQUESTED, S.PUBLISHED])
def test_only_a_submission_can_be_withdrawn(client, cast, state):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=state)
    client.force_login(users["lead"])
    url = reverse("census:withdraw", args=[initiative.pk])
    assert url not in client.get(reverse("census:dashboard")).content.decode()
    with translation.override("en"):
        response = client.post(url.replace("/it/", "/en/"), follow=True)
    assert "You cannot move this initiative" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.state == state


# --- The dashboard's queries ------------------------------------------------------------------------


def _dashboard_queries(client, user) -> int:
    client.get(reverse("census:dashboard"))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("census:dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_my_initiatives_queries_do_not_grow_with_the_initiatives(client, cast, django_assert_max_num_queries):
    initiative, users = cast
    lead = users["lead"]
    client.force_login(lead)
    few = _dashboard_queries(client, lead)
    for state in (S.DRAFT, S.SUBMITTED, S.PUBLISHED, S.CHANGES_REQUESTED) * 3:
        other = InitiativeFactory(created_by=users["other"], state=state, lead=False)
        ParticipationFactory(initiative=other, person=lead.person, role=Participation.Role.LEAD)
    # A proposed update, and staff's word on some.
    published = Initiative.objects.filter(created_by=users["other"], state=S.PUBLISHED).first()
    initiative_start_update(initiative=published, by=lead)
    for other in Initiative.objects.filter(state=S.CHANGES_REQUESTED):
        StateTransition.objects.create(
            initiative=other, from_state=S.SUBMITTED, to_state=S.CHANGES_REQUESTED, by=users["staff"], message="Date?"
        )
        message_post(initiative=other, by=users["staff"], body="Ancora una cosa.", from_staff=True)
    # Leads named who have not answered yet, and a nomination the user is to answer.
    for other in Initiative.objects.filter(state=S.DRAFT):
        LeadNomination.objects.create(initiative=other, person=PersonFactory(user=UserFactory()), nominated_by=lead)
    LeadNomination.objects.create(
        initiative=InitiativeFactory(created_by=users["other"]), person=lead.person, nominated_by=users["other"]
    )
    many = _dashboard_queries(client, lead)
    assert Initiative.objects.editable_by(lead).count() == 14
    assert many == few
    # session, user, the initiatives, their transitions with a message,
    # staff's messages, the participations with their people, their pending
    # lead nominations, and the nominations waiting for the user's answer.
    with django_assert_max_num_queries(8):
        client.get(reverse("census:dashboard"))
