"""The message thread kept on an initiative: the full history on both sides
(staff's decisions' messages and free messages, oldest first), who may read
and write it, and the e-mails each message sends to the other side."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import Initiative, InitiativeMessage, OutboundEmail, Participation
from initiatives.services.conversation import MESSAGE_EMPTY, message_post, thread
from initiatives.services.initiatives import initiative_start_update
from initiatives.services.workflow import initiative_transition

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def cast(settings):
    settings.POPS_STAFF_EMAILS = ["pops@polito.it"]
    users = {
        name: UserFactory(username=name, first_name=name.capitalize(), last_name="Bianchi", email=f"{name}@polito.it")
        for name in ("lead", "coauthor", "member", "other")
    }
    users["staff"] = UserFactory(
        username="curator", first_name="Carla", last_name="Curatrice", is_staff=True, email="carla@polito.it"
    )
    users["staff"].user_permissions.add(Permission.objects.get(codename="change_initiative"))
    users["viewer"] = UserFactory(username="viewer", is_staff=True, email="viewer@polito.it")
    users["viewer"].user_permissions.add(Permission.objects.get(codename="view_initiative"))
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


def census_url(initiative) -> str:
    return reverse("census:message", args=[initiative.pk])


def admin_url(initiative) -> str:
    return reverse("admin:initiatives_initiative_review_message", args=[initiative.pk])


def a_round_of_review(initiative, users):
    """Submitted, changes requested with a message, a reply, a staff answer."""
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(
        initiative=initiative, to=S.CHANGES_REQUESTED, by=users["staff"], message="Aggiungete le date."
    )
    message_post(initiative=initiative, by=users["lead"], body="Quali date?", from_staff=False)
    message_post(initiative=initiative, by=users["staff"], body="Inizio e fine.", from_staff=True)
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(initiative=initiative, to=S.CHANGES_REQUESTED, by=users["staff"], message="Ancora un dato.")


# --- The thread ----------------------------------------------------------------------------


def test_the_thread_is_the_full_history_oldest_first(cast):
    initiative, users = cast
    a_round_of_review(initiative, users)
    entries = thread(initiative)
    assert [e.body for e in entries] == ["Aggiungete le date.", "Quali date?", "Inizio e fine.", "Ancora un dato."]
    assert [e.from_staff for e in entries] == [True, False, True, True]
    assert [e.decision for e in entries] == [S.CHANGES_REQUESTED.label, "", "", S.CHANGES_REQUESTED.label]
    assert entries[1].author_name == "Lead Bianchi"


def test_an_import_note_is_not_a_message(cast):
    """The workflow's own notes on an author's move (an import's "from file
    x") are history, not something staff said to the researchers."""
    from initiatives.services.workflow import imported_arrivals_record

    initiative, users = cast
    imported_arrivals_record(initiative_ids=[initiative.pk], state=S.SUBMITTED, by=users["staff"], source="a.xlsx")
    assert thread(initiative) == []


def test_the_researcher_reads_the_whole_thread_on_the_census_page(client, cast):
    initiative, users = cast
    a_round_of_review(initiative, users)
    client.force_login(users["coauthor"])
    html = client.get(reverse("census:review", args=[initiative.pk])).content.decode()
    section = html[html.index('id="conversation"') :]
    positions = [section.index(text) for text in ("Aggiungete le date.", "Quali date?", "Inizio e fine.")]
    assert positions == sorted(positions)
    assert "Ancora un dato." in section
    assert f'action="{census_url(initiative)}"' in section


def test_staff_read_the_whole_thread_on_the_review_page(client, cast):
    initiative, users = cast
    a_round_of_review(initiative, users)
    client.force_login(users["staff"])
    response = client.get(reverse("admin:initiatives_initiative_review", args=[initiative.pk]))
    html = response.content.decode()
    section = html[html.index('id="conversation"') :]
    for text in ("Aggiungete le date.", "Quali date?", "Inizio e fine.", "Ancora un dato.", "Lead Bianchi"):
        assert text in section
    assert f'action="{admin_url(initiative)}"' in section


# --- Writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "coauthor"])
def test_an_author_writes_to_staff_who_are_e_mailed_the_review_link(client, cast, who):
    initiative, users = cast
    # Carla already wrote in this thread: she hears the answer too.
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(initiative=initiative, to=S.CHANGES_REQUESTED, by=users["staff"], message="Le date?")
    OutboundEmail.objects.all().delete()
    client.force_login(users[who])
    response = client.post(census_url(initiative), {"body": "Ecco le date:\r\n1 marzo – 30 giugno."})
    assert response.status_code == 302
    assert response["Location"] == reverse("census:review", args=[initiative.pk]) + "#conversation"
    message = InitiativeMessage.objects.get()
    assert (message.author, message.from_staff, message.body) == (
        users[who],
        False,
        "Ecco le date:\n1 marzo – 30 giugno.",
    )
    email = OutboundEmail.objects.get()
    assert sorted(email.recipients) == ["carla@polito.it", "pops@polito.it"]
    assert reverse("admin:initiatives_initiative_review", args=[initiative.pk]) in email.body
    assert "1 marzo – 30 giugno." in email.body and "Orti in città" in email.subject


def test_staff_write_to_the_authors_who_are_e_mailed_the_census_link(client, cast):
    initiative, users = cast
    client.force_login(users["staff"])
    response = client.post(admin_url(initiative), {"body": "Potete aggiungere una foto?"})
    assert response.status_code == 302
    assert response["Location"].endswith("#conversation")
    message = InitiativeMessage.objects.get()
    assert (message.author, message.from_staff) == (users["staff"], True)
    email = OutboundEmail.objects.get()
    # The creator, the lead contact and the co-author; not a mere member.
    assert sorted(email.recipients) == ["coauthor@polito.it", "lead@polito.it"]
    assert f"{reverse('census:review', args=[initiative.pk])}#conversation" in email.body
    assert "Potete aggiungere una foto?" in email.body
    assert "/admin/" not in email.body


def test_each_author_reads_the_e_mail_in_their_language(cast):
    initiative, users = cast
    users["coauthor"].person.language = "en"
    users["coauthor"].person.save()
    message_post(initiative=initiative, by=users["staff"], body="Una foto?", from_staff=True)
    by_language = {tuple(e.recipients): e for e in OutboundEmail.objects.all()}
    assert "/en/census/" in by_language[("coauthor@polito.it",)].body
    assert "/it/census/" in by_language[("lead@polito.it",)].body


def test_an_empty_message_is_refused_with_a_reason(client, cast):
    initiative, users = cast
    with pytest.raises(ValidationError) as refusal:
        message_post(initiative=initiative, by=users["lead"], body=" \r\n ", from_staff=False)
    assert refusal.value.message_dict["body"] == [str(MESSAGE_EMPTY)]
    client.force_login(users["lead"])
    with translation.override("en"):
        response = client.post(census_url(initiative).replace("/it/", "/en/"), {"body": ""}, follow=True)
    assert "Write a message before sending it." in response.content.decode()
    assert not InitiativeMessage.objects.exists() and not OutboundEmail.objects.exists()


def test_a_too_long_message_is_refused(cast):
    initiative, users = cast
    with pytest.raises(ValidationError):
        message_post(initiative=initiative, by=users["lead"], body="x" * 5001, from_staff=False)
    assert not InitiativeMessage.objects.exists()


# --- Who may read and write ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "other", "staff"])
def test_others_get_404_on_the_census_side(client, cast, who):
    initiative, users = cast
    client.force_login(users[who])
    assert client.post(census_url(initiative), {"body": "Ciao"}).status_code == 404
    assert not InitiativeMessage.objects.exists()


def test_a_member_who_may_not_edit_does_not_see_the_thread(client, cast):
    initiative, users = cast
    message_post(initiative=initiative, by=users["staff"], body="Messaggio riservato", from_staff=True)
    client.force_login(users["member"])
    html = client.get(reverse("census:review", args=[initiative.pk])).content.decode()
    assert "Messaggio riservato" not in html and 'id="conversation"' not in html


@pytest.mark.parametrize("who", ["viewer", "lead"])
def test_only_staff_reviewers_write_from_the_admin(client, cast, who):
    initiative, users = cast
    client.force_login(users[who])
    response = client.post(admin_url(initiative), {"body": "Ciao"})
    assert response.status_code in (302, 403)
    if response.status_code == 302:  # not staff: the admin's sign-in page
        assert "/admin/login/" in response["Location"]
    assert not InitiativeMessage.objects.exists()


def test_the_admin_message_url_takes_a_post_only(client, cast):
    initiative, users = cast
    client.force_login(users["staff"])
    assert client.get(admin_url(initiative)).status_code == 405


def test_the_service_checks_the_side_too(cast):
    initiative, users = cast
    with pytest.raises(PermissionDenied):
        message_post(initiative=initiative, by=users["member"], body="Ciao", from_staff=False)
    with pytest.raises(PermissionDenied):
        message_post(initiative=initiative, by=users["lead"], body="Ciao", from_staff=True)
    with pytest.raises(PermissionDenied):
        message_post(initiative=initiative, by=users["viewer"], body="Ciao", from_staff=True)


# --- A proposed update --------------------------------------------------------------------------------


def test_the_thread_of_a_proposed_update_stays_with_the_initiative_once_approved(cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.PUBLISHED, published_at=timezone.now())
    initiative.refresh_from_db()
    copy = initiative_start_update(initiative=initiative, by=users["lead"])
    message_post(initiative=copy, by=users["lead"], body="Ho aggiornato il budget.", from_staff=False)
    initiative_transition(initiative=copy, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(initiative=copy, to=S.PUBLISHED, by=users["staff"])
    assert [e.body for e in thread(initiative)][0] == "Ho aggiornato il budget."


def test_the_review_page_queries_do_not_grow_with_the_thread(client, cast, django_assert_max_num_queries):
    initiative, users = cast
    client.force_login(users["lead"])
    url = reverse("census:review", args=[initiative.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for day in range(6):
        InitiativeMessage.objects.create(
            initiative=initiative,
            author=users["staff" if day % 2 else "lead"],
            body=f"Messaggio {day}",
            from_staff=bool(day % 2),
            created_at=timezone.now() - datetime.timedelta(days=10 - day),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_after_a_publication_my_initiatives_shows_the_publication_not_the_old_request(client, cast):
    initiative, users = cast
    a_round_of_review(initiative, users)
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(initiative=initiative, to=S.PUBLISHED, by=users["staff"])
    client.force_login(users["lead"])
    with translation.override("en"):
        row = client.get("/en/census/").context["initiatives"][0]
    assert row.latest_from_staff.decision == S.PUBLISHED.label and row.latest_from_staff.body == ""
