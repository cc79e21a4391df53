"""The researchers' census: permissions, steps, submission, updates, co-authors."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from impact.models import SDG
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import (
    CoauthorInvitation,
    Department,
    FormDraft,
    Initiative,
    Participation,
    Person,
    Sector,
)
from initiatives.services.initiatives import (
    INVITATION_NOT_FOR_YOU,
    INVITATION_USED,
    coauthor_accept,
    initiative_start_update,
    missing_for_submission,
)
from initiatives.services.workflow import initiative_transition
from stakeholders.models import OrganisationType

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def cast():
    users = {
        name: UserFactory(username=name, email=f"{name}@polito.it") for name in ("lead", "coauthor", "member", "other")
    }
    users["staff"] = UserFactory(username="staff", is_staff=True)
    users["staff"].user_permissions.add(Permission.objects.get(codename="change_initiative"))
    initiative = InitiativeFactory(created_by=users["lead"], state=S.DRAFT, lead=False)
    for name, role, can_edit in (
        ("lead", Participation.Role.LEAD, False),
        ("coauthor", Participation.Role.MEMBER, True),
        ("member", Participation.Role.MEMBER, False),
    ):
        ParticipationFactory(
            initiative=initiative, person=PersonFactory(user=users[name]), role=role, can_edit=can_edit
        )
    return initiative, users


def census_urls(initiative):
    pk = initiative.pk
    return {
        "dashboard": reverse("census:dashboard"),
        "new": reverse("census:new"),
        "review": reverse("census:review", args=[pk]),
        "step": reverse("census:step", args=[pk, "who"]),
    }


# What a GET answers, per actor: 200 page, 302 elsewhere (login or read-only review), 404 unseen.
EXPECTED_GET = {
    "anonymous": {"dashboard": 302, "new": 302, "review": 302, "step": 302},
    "lead": {"dashboard": 200, "new": 200, "review": 200, "step": 200},
    "coauthor": {"dashboard": 200, "new": 200, "review": 200, "step": 200},
    "member": {"dashboard": 200, "new": 200, "review": 200, "step": 302},
    "other": {"dashboard": 200, "new": 200, "review": 404, "step": 404},
    "staff": {"dashboard": 200, "new": 200, "review": 404, "step": 404},
}


@pytest.mark.parametrize("actor", list(EXPECTED_GET))
@pytest.mark.parametrize("url_name", ["dashboard", "new", "review", "step"])
def test_the_census_permission_table_for_pages(client, cast, actor, url_name):
    initiative, users = cast
    if actor != "anonymous":
        client.force_login(users[actor])
    response = client.get(census_urls(initiative)[url_name])
    assert response.status_code == EXPECTED_GET[actor][url_name]
    if actor == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("actor", "status"),
    [("other", 404), ("staff", 404), ("member", 403), ("lead", 302), ("coauthor", 302)],
)
def test_submitting_is_for_authors_only_and_others_never_see_the_initiative(client, cast, actor, status):
    initiative, users = cast
    complete(initiative)
    client.force_login(users[actor])
    response = client.post(reverse("census:submit", args=[initiative.pk]))
    initiative.refresh_from_db()
    if status == 403:
        # A team member who is not a co-author is told no, and nothing moves.
        assert response.status_code == 302
        assert initiative.state == S.DRAFT
    else:
        assert response.status_code == status
        assert initiative.state == (S.SUBMITTED if status == 302 else S.DRAFT)


def test_a_step_of_a_submitted_initiative_is_read_only(client, cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED)
    client.force_login(users["lead"])
    assert client.get(census_urls(initiative)["step"])["Location"] == reverse("census:review", args=[initiative.pk])
    assert client.post(census_urls(initiative)["step"], {"main-title_it": "Hacked"}).status_code == 403
    initiative.refresh_from_db()
    assert initiative.title_it != "Hacked"


def who_data(**overrides):
    data = {
        "main-title_it": "Orti condivisi a Mirafiori",
        "main-summary_it": "Un orto di comunità.",
        "main-departments": [str(Department.objects.get(code="DIST").pk)],
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "1",
        "people-MAX_NUM_FORMS": "1000",
        "people-0-first_name": "Giulia",
        "people-0-last_name": "Ferrero",
        "people-0-email": "lead@polito.it",
        "people-0-role": "lead",
        "people-1-first_name": "Marco",
        "people-1-last_name": "Bianchi",
        "people-1-email": "marco.bianchi@polito.it",
        "people-1-role": "member",
        "partners-TOTAL_FORMS": "1",
        "partners-INITIAL_FORMS": "0",
        "partners-MIN_NUM_FORMS": "0",
        "partners-MAX_NUM_FORMS": "1000",
        "partners-0-name": "Associazione Orti Alti",
        "partners-0-type": str(OrganisationType.objects.first().pk),
        "partners-0-role": "partner",
    }
    data.update(overrides)
    return data


def test_a_researcher_creates_an_initiative_with_people_and_a_new_partner(client, cast):
    _initiative, users = cast
    client.force_login(users["lead"])
    response = client.post(reverse("census:new"), who_data(**{"continue": "1"}))
    created = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert response["Location"] == reverse("census:step", args=[created.pk, "what"])
    assert created.created_by == users["lead"]
    assert created.state == S.DRAFT
    assert [(p.person.email, p.role) for p in created.participations.select_related("person")] == [
        ("lead@polito.it", "lead"),
        ("marco.bianchi@polito.it", "member"),
    ]
    assert created.partnerships.get().organisation.name == "Associazione Orti Alti"


def test_invalid_input_is_explained_next_to_the_field_and_nothing_is_saved(client, cast):
    initiative, users = cast
    client.force_login(users["lead"])
    before = (initiative.title_it, initiative.participations.count())
    with translation.override("en"):
        url = census_urls(initiative)["step"]
    response = client.post(
        url,
        who_data(**{"people-1-role": "lead", "partners-0-type": "", "partners-0-name": "Ente mai visto"}),
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Exactly one person must be the lead contact." in content
    assert "“Ente mai visto” is not in the register yet: choose its type so it can be added." in content
    initiative.refresh_from_db()
    assert (initiative.title_it, initiative.participations.count()) == before


def test_dates_and_amounts_are_checked_on_the_what_step(client, cast):
    initiative, users = cast
    client.force_login(users["lead"])
    with translation.override("en"):
        url = reverse("census:step", args=[initiative.pk, "what"])
    response = client.post(
        url,
        {
            "main-start_date": "2025-05-01",
            "main-end_date": "2025-04-01",
            "main-budget": "1000",
            "main-external_funding": "2000",
            "main-keywords": "a, b, c, d, e, f",
            "places-TOTAL_FORMS": "0",
            "places-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    for message in (
        "The end date cannot be before the start date.",
        "External funding cannot be larger than the total budget.",
        "Use at most five keywords.",
    ):
        assert message in content
    initiative.refresh_from_db()
    assert initiative.end_date != datetime.date(2025, 4, 1)


def complete(initiative):
    from impact.factories import ImpactFactory
    from initiatives.factories import PlaceFactory

    Initiative.objects.filter(pk=initiative.pk).update(
        summary_it="Sintesi", start_date="2025-01-01", end_date=None, scale="local"
    )
    initiative.refresh_from_db()
    initiative.departments.set([Department.objects.first()])
    initiative.sectors.set([Sector.objects.filter(is_other=False).first()])
    initiative.sdgs.set([SDG.objects.first()])
    PlaceFactory(initiative=initiative)
    ImpactFactory(initiative=initiative)


def test_submission_lists_exactly_what_is_missing(client, cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(summary_it="", start_date=None, scale="")
    initiative.departments.clear()
    initiative.sectors.clear()
    initiative.sdgs.clear()
    initiative.places.all().delete()
    initiative.impacts.all().delete()
    initiative.refresh_from_db()
    assert len(missing_for_submission(initiative)) == 8
    client.force_login(users["lead"])
    client.post(reverse("census:submit", args=[initiative.pk]))
    initiative.refresh_from_db()
    assert initiative.state == S.DRAFT
    complete(initiative)
    assert missing_for_submission(initiative) == []


def test_an_autosaved_step_comes_back_when_the_researcher_returns(client, cast):
    initiative, users = cast
    client.force_login(users["lead"])
    url = reverse("census:autosave", args=[initiative.pk, "who"])
    assert client.post(url, {"main-title_it": "Titolo non ancora salvato"}).status_code == 200
    assert FormDraft.objects.get(user=users["lead"], initiative=initiative).data["main-title_it"] == [
        "Titolo non ancora salvato"
    ]
    page = client.get(census_urls(initiative)["step"]).content.decode()
    assert "Titolo non ancora salvato" in page
    initiative.refresh_from_db()
    assert initiative.title_it != "Titolo non ancora salvato"


def test_another_researcher_cannot_autosave_into_an_initiative(client, cast):
    initiative, users = cast
    client.force_login(users["other"])
    assert client.post(reverse("census:autosave", args=[initiative.pk, "who"]), {"x": "y"}).status_code == 404
    assert not FormDraft.objects.exists()


def test_a_proposed_update_stays_private_until_staff_publish_it(client, cast):
    initiative, users = cast
    complete(initiative)
    Initiative.objects.filter(pk=initiative.pk).update(state=S.PUBLISHED, title_it="Versione approvata", title_en="")
    initiative.refresh_from_db()

    copy = initiative_start_update(initiative=initiative, by=users["lead"])
    Initiative.objects.filter(pk=copy.pk).update(title_it="Versione proposta", title_en="")
    copy.refresh_from_db()
    assert copy.participations.count() == initiative.participations.count()
    public = client.get(initiative.get_absolute_url()).content.decode()
    assert "Versione approvata" in public and "Versione proposta" not in public

    initiative_transition(initiative=copy, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(initiative=copy, to=S.PUBLISHED, by=users["staff"])

    initiative.refresh_from_db()
    assert initiative.title_it == "Versione proposta"
    assert initiative.state == S.PUBLISHED
    assert not Initiative.objects.filter(pk=copy.pk).exists()
    assert "Versione proposta" in client.get(initiative.get_absolute_url()).content.decode()


def test_a_coauthor_invitation_lets_a_colleague_edit(client, cast, django_capture_on_commit_callbacks):
    from django.core import mail

    initiative, users = cast
    client.force_login(users["lead"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:invite", args=[initiative.pk]), {"email": "other@polito.it"})
    invitation = CoauthorInvitation.objects.get()
    assert invitation.link_token in mail.outbox[0].body

    client.force_login(users["other"])
    assert client.get(census_urls(initiative)["step"]).status_code == 404
    client.post(reverse("census:accept-invitation", args=[invitation.link_token]))
    assert client.get(census_urls(initiative)["step"]).status_code == 200


def test_an_invitation_cannot_be_taken_by_someone_else(client, cast):
    initiative, users = cast
    invitation = CoauthorInvitation.objects.create(initiative=initiative, email="someone@polito.it")
    client.force_login(users["other"])
    response = client.post(reverse("census:accept-invitation", args=[invitation.link_token]), follow=True)
    assert response.redirect_chain == [(reverse("census:dashboard"), 302)]
    with translation.override("it"):
        assert str(INVITATION_NOT_FOR_YOU) in [str(message) for message in response.context["messages"]]
    assert client.get(census_urls(initiative)["step"]).status_code == 404
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_invitation_is_accepted_once(client, cast):
    initiative, users = cast
    invitation = CoauthorInvitation.objects.create(initiative=initiative, email="other@polito.it")
    coauthor_accept(invitation=invitation, user=users["other"])
    with pytest.raises(PermissionDenied, match=str(INVITATION_USED)):
        coauthor_accept(invitation=invitation, user=users["other"])
    client.force_login(users["other"])
    response = client.post(reverse("census:accept-invitation", args=[invitation.link_token]), follow=True)
    assert response.redirect_chain == [(reverse("census:dashboard"), 302)]
    with translation.override("it"):
        assert str(INVITATION_USED) in [str(message) for message in response.context["messages"]]


def test_accepting_someone_elses_invitation_is_a_permission_denied(cast):
    initiative, users = cast
    invitation = CoauthorInvitation.objects.create(initiative=initiative, email="someone@polito.it")
    with pytest.raises(PermissionDenied, match=str(INVITATION_NOT_FOR_YOU)):
        coauthor_accept(invitation=invitation, user=users["other"])
    assert not initiative.participations.filter(person__user=users["other"]).exists()


def test_researchers_sign_in_with_their_email(client, cast):
    _initiative, users = cast
    response = client.post(reverse("login"), {"username": "LEAD@polito.it", "password": "pops-demo-2026"})
    assert response.status_code == 302
    assert response["Location"] == reverse("census:dashboard")


def test_the_researcher_is_told_about_similar_published_initiatives_but_not_others_drafts(client, cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(title_it="Orti condivisi a Mirafiori")
    InitiativeFactory(published=True, title_it="Orti condivisi di Mirafiori")
    InitiativeFactory(state=S.DRAFT, title_it="Orti condivisi a Mirafiori sud")
    client.force_login(users["lead"])
    content = client.get(reverse("census:review", args=[initiative.pk])).content.decode()
    assert "Orti condivisi di Mirafiori" in content
    assert "Orti condivisi a Mirafiori sud" not in content


def test_errors_speak_italian_on_the_italian_site(client, cast):
    initiative, users = cast
    client.force_login(users["lead"])
    response = client.post(
        reverse("census:step", args=[initiative.pk, "what"]),
        {
            "main-start_date": "2025-05-01",
            "main-end_date": "2025-04-01",
            "places-TOTAL_FORMS": "0",
            "places-INITIAL_FORMS": "0",
        },
    )
    content = response.content.decode()
    assert "La data di fine non può essere precedente alla data di inizio." in content
    assert "Non è stato salvato nulla: correggi il problema segnalato qui sotto." in content


# POST actions per actor: what each may do to a draft (200/302 allowed, 403 refused, 404 unseen).
EXPECTED_POST = {
    "anonymous": {"autosave": 302, "invite": 302, "update": 302},
    "lead": {"autosave": 200, "invite": 302, "update": 403},
    "coauthor": {"autosave": 200, "invite": 302, "update": 403},
    "member": {"autosave": 403, "invite": 403, "update": 403},
    "other": {"autosave": 404, "invite": 404, "update": 404},
    "staff": {"autosave": 404, "invite": 404, "update": 404},
}


@pytest.mark.parametrize("actor", list(EXPECTED_POST))
@pytest.mark.parametrize("action", ["autosave", "invite", "update"])
def test_the_census_permission_table_for_actions(client, cast, actor, action):
    initiative, users = cast
    if actor != "anonymous":
        client.force_login(users[actor])
    url = {
        "autosave": reverse("census:autosave", args=[initiative.pk, "who"]),
        "invite": reverse("census:invite", args=[initiative.pk]),
        "update": reverse("census:propose-update", args=[initiative.pk]),
    }[action]
    response = client.post(url, {"email": "collega@polito.it", "main-title_it": "x"})
    assert response.status_code == EXPECTED_POST[actor][action]
    # Nothing happened unless the action was allowed.
    if EXPECTED_POST[actor][action] not in (200, 302) or actor == "anonymous":
        assert not FormDraft.objects.exists()
        assert not CoauthorInvitation.objects.exists()
        assert not Initiative.objects.filter(revision_of=initiative).exists()


def test_only_signed_in_people_get_suggestions_of_people_and_organisations(client, cast):
    _initiative, users = cast
    for name in ("census:person-suggestions", "census:organisation-suggestions"):
        assert client.get(reverse(name), {"q": "le"}).status_code == 302
    client.force_login(users["other"])
    lead = Person.objects.get(user=users["lead"])
    results = client.get(reverse("census:person-suggestions"), {"q": lead.email}).json()["results"]
    assert [(r["first_name"], r["last_name"]) for r in results] == [(lead.first_name, lead.last_name)]
    # Name, department and role: nothing else about the person.
    assert set(results[0]) == {"first_name", "last_name", "department", "department_name", "role"}


def person_suggestions(client, query: str) -> tuple[list[dict], str]:
    response = client.get(reverse("census:person-suggestions"), {"q": query})
    assert response.status_code == 200
    return response.json()["results"], response.content.decode()


@pytest.fixture
def register(client):
    client.force_login(UserFactory())
    department = Department.objects.get(code="DIST")
    return PersonFactory(
        first_name="Maria",
        last_name="Ferraris",
        email="maria.ferraris@polito.it",
        department=department,
        role=Person.Role.RESEARCHER,
    )


def test_people_are_suggested_by_name_with_department_and_role_and_never_their_email(client, register):
    for query in ("ferr", "Maria Ferr", "FERRARIS maria"):
        results, body = person_suggestions(client, query)
        with translation.override("it"):
            expected = {
                "first_name": "Maria",
                "last_name": "Ferraris",
                "department": register.department_id,
                "department_name": register.department.name,
                "role": Person.Role.RESEARCHER.label,
            }
        assert results == [expected], query
        assert "@" not in body and "polito.it" not in body


def test_a_full_email_typed_exactly_finds_its_person_without_showing_the_email(client, register):
    for query in ("maria.ferraris@polito.it", "Maria.Ferraris@POLITO.it", "  maria.ferraris@polito.it "):
        results, body = person_suggestions(client, query)
        assert [(r["first_name"], r["last_name"]) for r in results] == [("Maria", "Ferraris")], query
        assert "@" not in body


def test_part_of_an_email_finds_nobody(client, register):
    for query in ("maria.ferraris@", "maria.ferraris@polito", "ferraris@polito.it", "@polito.it", "polito.it"):
        results, body = person_suggestions(client, query)
        assert results == [], query
        assert "@" not in body
