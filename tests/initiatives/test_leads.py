"""The lead contact confirms first: a researcher who names someone else as
lead only nominates them (`services.leads`); the person named gets nothing
from it until they accept, by the e-mailed link or from "My initiatives"."""

import datetime
import json
import logging

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import Initiative, LeadNomination, Participation, Person
from initiatives.services import permissions
from initiatives.services.leads import (
    NOMINATION_ANSWERED,
    NOMINATION_NOT_FOR_YOU,
    lead_accept,
    lead_decline,
)
from tests.initiatives.test_census import who_data

pytestmark = pytest.mark.django_db
S = Initiative.State
N = LeadNomination.Status


@pytest.fixture
def people():
    """A researcher (Giulia, who fills in the census) and a colleague with an account."""
    researcher = UserFactory(username="giulia", email="giulia@polito.it", first_name="Giulia", last_name="Ferrero")
    PersonFactory(user=researcher, first_name="Giulia", last_name="Ferrero", email="giulia@polito.it")
    colleague = UserFactory(username="marco", email="marco@polito.it")
    PersonFactory(user=colleague, first_name="Marco", last_name="Bianchi", email="marco@polito.it")
    return researcher, colleague


def naming(email="marco@polito.it", first="Marco", last="Bianchi", **overrides):
    """The first step with Giulia as a member and someone else as the lead."""
    return who_data(
        **{
            "people-0-first_name": "Giulia",
            "people-0-last_name": "Ferrero",
            "people-0-email": "giulia@polito.it",
            "people-0-role": "member",
            "people-1-first_name": first,
            "people-1-last_name": last,
            "people-1-email": email,
            "people-1-role": "lead",
            **overrides,
        }
    )


def name_colleague(client, researcher, django_capture_on_commit_callbacks, **kwargs) -> Initiative:
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("census:new"), naming(**kwargs))
    assert response.status_code == 302
    return Initiative.objects.get(title_it="Orti condivisi a Mirafiori")


def link_of(nomination) -> str:
    return reverse("census:lead-nomination", args=[nomination.link_token])


def test_naming_a_colleague_grants_them_nothing_until_they_accept(client, people, django_capture_on_commit_callbacks):
    researcher, colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)

    nomination = LeadNomination.objects.get()
    assert (nomination.person.user, nomination.status, nomination.nominated_by) == (colleague, N.PENDING, researcher)
    # Not among the people; the researcher who named them stays the lead contact.
    assert [(p.person.email, p.role) for p in initiative.participations.select_related("person")] == [
        ("giulia@polito.it", "lead")
    ]
    assert initiative.lead().user == researcher
    assert not permissions.is_author(colleague, initiative)
    assert initiative not in Initiative.objects.editable_by(colleague)
    # The e-mail carries the link; the outbox sent it to the colleague.
    assert mail.outbox[-1].to == ["marco@polito.it"] and nomination.link_token in mail.outbox[-1].body

    client.force_login(colleague)
    dashboard = client.get(reverse("census:dashboard"))
    assert initiative not in dashboard.context["initiatives"]
    assert [n.pk for n in dashboard.context["nominations"]] == [nomination.pk]
    assert client.get(reverse("census:step", args=[initiative.pk, "who"])).status_code == 404
    assert client.get(reverse("census:review", args=[initiative.pk])).status_code == 404


def test_accepting_by_the_link_makes_the_colleague_lead_once(client, people, django_capture_on_commit_callbacks):
    researcher, colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    nomination = LeadNomination.objects.get()

    client.force_login(colleague)
    page = client.get(link_of(nomination)).content.decode()
    assert "Orti condivisi a Mirafiori" in page and 'value="accept"' in page
    response = client.post(link_of(nomination), {"answer": "accept"})
    assert response["Location"] == reverse("census:review", args=[initiative.pk])

    assert [(p.person.email, p.role) for p in initiative.participations.select_related("person")] == [
        ("giulia@polito.it", "member"),
        ("marco@polito.it", "lead"),
    ]
    assert initiative.lead().user == colleague
    nomination.refresh_from_db()
    assert (nomination.status, nomination.answered_by) == (N.ACCEPTED, colleague)
    assert initiative in client.get(reverse("census:dashboard")).context["initiatives"]
    assert client.get(reverse("census:step", args=[initiative.pk, "who"])).status_code == 200

    # Single use: the link opens nothing more, and a second answer changes nothing.
    assert 'value="accept"' not in client.get(link_of(nomination)).content.decode()
    response = client.post(link_of(nomination), {"answer": "decline"}, follow=True)
    assert response.redirect_chain == [(reverse("census:dashboard"), 302)]
    with translation.override("it"):
        assert str(NOMINATION_ANSWERED) in [str(m) for m in response.context["messages"]]
    nomination.refresh_from_db()
    assert nomination.status == N.ACCEPTED
    assert initiative.lead().user == colleague


def test_declining_leaves_the_colleague_out_and_tells_the_researcher(
    client, people, django_capture_on_commit_callbacks
):
    researcher, colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    nomination = LeadNomination.objects.get()
    client.force_login(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link_of(nomination), {"answer": "decline"})
    assert response["Location"] == reverse("census:dashboard")

    nomination.refresh_from_db()
    assert nomination.status == N.DECLINED
    assert not initiative.participations.filter(person__user=colleague).exists()
    assert initiative.lead().user == researcher
    assert client.get(reverse("census:step", args=[initiative.pk, "who"])).status_code == 404
    assert mail.outbox[-1].to == ["giulia@polito.it"]
    assert "Orti condivisi a Mirafiori" in mail.outbox[-1].subject
    assert not client.get(reverse("census:dashboard")).context["nominations"]


def test_the_link_expires(client, people, settings, django_capture_on_commit_callbacks):
    settings.POPS_LEAD_NOMINATION_DAYS = 14
    researcher, colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    nomination = LeadNomination.objects.get()
    LeadNomination.objects.filter(pk=nomination.pk).update(created_at=timezone.now() - datetime.timedelta(days=15))

    client.force_login(colleague)
    assert client.get(link_of(nomination)).status_code == 410
    assert client.post(link_of(nomination), {"answer": "accept"}).status_code == 410
    # Nor from the dashboard, where it is no longer offered.
    assert not client.get(reverse("census:dashboard")).context["nominations"]
    answer = reverse("census:lead-nomination-answer", args=[nomination.pk])
    assert client.post(answer, {"answer": "accept"}).status_code == 404
    assert not initiative.participations.filter(person__user=colleague).exists()

    # The researcher is told, and saving the step again sends a new link.
    client.force_login(researcher)
    with translation.override("en"):
        page = client.get(reverse("census:step", args=[initiative.pk, "who"])).content.decode()
    assert "did not answer in time" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:step", args=[initiative.pk, "who"]), naming())
    assert list(LeadNomination.objects.order_by("pk").values_list("status", flat=True)) == [N.WITHDRAWN, N.PENDING]
    assert LeadNomination.objects.get(status=N.PENDING).link_token in mail.outbox[-1].body


def test_another_signed_in_user_cannot_use_the_link(client, people, django_capture_on_commit_callbacks):
    researcher, _colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    nomination = LeadNomination.objects.get()
    intruder = UserFactory(email="altro@polito.it")
    client.force_login(intruder)

    page = client.get(link_of(nomination)).content.decode()
    main = page.split("<main")[-1].split("</main>")[0]
    assert "Orti condivisi" not in main and "<form" not in main
    response = client.post(link_of(nomination), {"answer": "accept"}, follow=True)
    assert response.redirect_chain == [(reverse("census:dashboard"), 302)]
    with translation.override("it"):
        assert str(NOMINATION_NOT_FOR_YOU) in [str(m) for m in response.context["messages"]]
    answer = reverse("census:lead-nomination-answer", args=[nomination.pk])
    assert client.post(answer, {"answer": "accept"}).status_code == 404
    # The researcher who named them cannot answer in their place either.
    client.force_login(researcher)
    assert client.post(answer, {"answer": "accept"}).status_code == 404
    nomination.refresh_from_db()
    assert nomination.status == N.PENDING
    assert initiative.lead().user == researcher
    assert client.get(link_of(nomination)).status_code == 200  # a page that says it is not theirs


def test_the_link_needs_a_sign_in(client, people, django_capture_on_commit_callbacks):
    researcher, _colleague = people
    name_colleague(client, researcher, django_capture_on_commit_callbacks)
    client.logout()
    response = client.post(link_of(LeadNomination.objects.get()), {"answer": "accept"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert LeadNomination.objects.get().status == N.PENDING


def test_a_code_for_another_row_or_the_secret_opens_nothing(client, people, django_capture_on_commit_callbacks):
    researcher, colleague = people
    name_colleague(client, researcher, django_capture_on_commit_callbacks)
    nomination = LeadNomination.objects.get()
    client.force_login(colleague)
    code = nomination.link_token.split("-")[1]
    for token in (nomination.secret, f"{nomination.pk}-{nomination.secret}", f"{nomination.pk + 1}-{code}"):
        assert client.get(reverse("census:lead-nomination", args=[token])).status_code == 404


def test_accepting_from_the_dashboard(client, people, django_capture_on_commit_callbacks):
    researcher, colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    nomination = LeadNomination.objects.get()
    client.force_login(colleague)
    client.post(reverse("census:lead-nomination-answer", args=[nomination.pk]), {"answer": "accept"})
    assert initiative.lead().user == colleague
    assert initiative in client.get(reverse("census:dashboard")).context["initiatives"]


def test_naming_yourself_needs_no_confirmation(client, people, django_capture_on_commit_callbacks):
    researcher, _colleague = people
    client.force_login(researcher)
    data = naming(**{"people-0-role": "lead", "people-1-role": "member"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:new"), data)
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert initiative.lead().user == researcher
    assert not LeadNomination.objects.exists()
    assert mail.outbox == []


def test_naming_yourself_by_the_address_of_your_account_needs_no_confirmation(client):
    # A person in the register with the account's address, not linked to it yet.
    researcher = UserFactory(email="nuova@polito.it")
    client.force_login(researcher)
    client.post(
        reverse("census:new"),
        naming(email="nuova@polito.it", first="Anna", last="Nuova", **{"people-0-email": ""}),
    )
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert initiative.lead().email == "nuova@polito.it"
    assert not LeadNomination.objects.exists()


def test_the_submitter_sees_the_pending_nomination_and_the_form_keeps_it(
    client, people, django_capture_on_commit_callbacks
):
    researcher, _colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    with translation.override("en"):
        dashboard = client.get(reverse("census:dashboard")).content.decode()
        step = client.get(reverse("census:step", args=[initiative.pk, "who"]))
        review = client.get(reverse("census:review", args=[initiative.pk])).content.decode()
    for page in (dashboard, step.content.decode(), review):
        assert "Marco Bianchi was asked on" in page
    # The form shows the lead as chosen, the researcher as a member.
    formset = step.context["forms"].formsets["people"]
    assert [(row["email"], row["role"]) for row in formset.initial] == [
        ("giulia@polito.it", "member"),
        ("marco@polito.it", "lead"),
    ]
    # Saving the step again keeps the same nomination, without a second e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:step", args=[initiative.pk, "who"]), naming())
    assert LeadNomination.objects.get().status == N.PENDING
    assert len(mail.outbox) == sent


def test_the_submitter_can_change_the_nomination(client, people, django_capture_on_commit_callbacks):
    researcher, colleague = people
    initiative = name_colleague(client, researcher, django_capture_on_commit_callbacks)
    first = LeadNomination.objects.get()
    url = reverse("census:step", args=[initiative.pk, "who"])

    # Someone else: the first nomination is withdrawn, its link answers nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, naming(email="laura@polito.it", first="Laura", last="Neri"))
    first.refresh_from_db()
    second = LeadNomination.objects.get(status=N.PENDING)
    assert first.status == N.WITHDRAWN and second.person.email == "laura@polito.it"
    assert mail.outbox[-1].to == ["laura@polito.it"]
    client.force_login(colleague)
    client.post(link_of(first), {"answer": "accept"})
    assert initiative.lead().user == researcher

    # Back to themselves: no nomination is left, the researcher is the lead.
    client.force_login(researcher)
    client.post(url, naming(**{"people-0-role": "lead", "people-1-role": "member"}))
    second.refresh_from_db()
    assert second.status == N.WITHDRAWN
    assert initiative.lead().user == researcher
    assert not LeadNomination.objects.filter(status=N.PENDING).exists()


def test_a_coauthor_naming_a_new_lead_keeps_the_confirmed_one_until_they_accept(
    client, people, django_capture_on_commit_callbacks
):
    researcher, colleague = people
    confirmed = UserFactory(email="anna@polito.it")
    anna = PersonFactory(user=confirmed, first_name="Anna", last_name="Rossi", email="anna@polito.it")
    initiative = InitiativeFactory(created_by=confirmed, state=S.DRAFT, lead=False, title_it="Orti")
    ParticipationFactory(initiative=initiative, person=anna, role=Participation.Role.LEAD)
    ParticipationFactory(initiative=initiative, person=researcher.person, can_edit=True)
    client.force_login(researcher)
    data = naming(
        **{
            "people-TOTAL_FORMS": "3",
            "people-2-first_name": "Anna",
            "people-2-last_name": "Rossi",
            "people-2-email": "anna@polito.it",
            "people-2-role": "member",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:step", args=[initiative.pk, "who"]), data)
    assert initiative.lead() == anna
    assert LeadNomination.objects.get().person.user == colleague
    lead_accept(nomination=LeadNomination.objects.get(), user=colleague)
    roles = dict(initiative.participations.values_list("person__email", "role"))
    assert roles == {"anna@polito.it": "member", "giulia@polito.it": "member", "marco@polito.it": "lead"}


def test_someone_without_a_linked_account_accepts_with_the_account_of_that_address(
    client, people, django_capture_on_commit_callbacks
):
    researcher, _colleague = people
    initiative = name_colleague(
        client, researcher, django_capture_on_commit_callbacks, email="laura@polito.it", first="Laura", last="Neri"
    )
    nomination = LeadNomination.objects.get()
    assert nomination.person.user is None
    laura = UserFactory(email="Laura@polito.it")
    client.force_login(laura)
    client.post(link_of(nomination), {"answer": "accept"})
    assert initiative.lead().user == laura
    assert Person.objects.get(email="laura@polito.it").user == laura
    assert permissions.can_edit(laura, initiative)


def test_answers_are_security_events(people, caplog):
    researcher, colleague = people
    initiative = InitiativeFactory(created_by=researcher, lead=False)
    first = LeadNomination.objects.create(initiative=initiative, person=colleague.person, nominated_by=researcher)
    with caplog.at_level(logging.INFO, logger="pops.security"):
        lead_decline(nomination=first, user=colleague)
        second = LeadNomination.objects.create(initiative=initiative, person=colleague.person, nominated_by=researcher)
        lead_accept(nomination=second, user=colleague)
    events = [(r.getMessage(), r.security) for r in caplog.records if r.name == "pops.security"]
    assert events == [
        (
            "lead_nomination_declined",
            {"user_id": colleague.pk, "initiative_id": initiative.pk, "nomination_id": first.pk},
        ),
        (
            "lead_nomination_accepted",
            {"user_id": colleague.pk, "initiative_id": initiative.pk, "nomination_id": second.pk},
        ),
    ]
    json.dumps(events)  # ids only


def test_the_e_mail_to_the_person_named_is_in_their_language(people, django_capture_on_commit_callbacks, client):
    researcher, colleague = people
    Person.objects.filter(user=colleague).update(language="en")
    name_colleague(client, researcher, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].subject.startswith("[POPS] Are you the lead contact of")


def test_a_team_member_named_lead_stays_a_member_until_they_accept(client, people, django_capture_on_commit_callbacks):
    researcher, colleague = people
    initiative = InitiativeFactory(created_by=researcher, state=S.DRAFT, lead=False, title_it="Orti")
    ParticipationFactory(initiative=initiative, person=researcher.person, role=Participation.Role.LEAD)
    ParticipationFactory(initiative=initiative, person=colleague.person, contribution="Orti", can_edit=False)
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("census:step", args=[initiative.pk, "who"]), naming(**{"people-1-contribution": "Guida"}))
    membership = initiative.participations.get(person=colleague.person)
    assert (membership.role, membership.contribution, membership.can_edit) == ("member", "Orti", False)
    assert not permissions.can_edit(colleague, initiative)
    lead_accept(nomination=LeadNomination.objects.get(), user=colleague)
    membership.refresh_from_db()
    assert (membership.role, membership.contribution) == ("lead", "Guida")
    assert permissions.can_edit(colleague, initiative)


def test_a_lead_without_an_e_mail_address_is_not_asked_and_the_researcher_is_told(client, people):
    researcher, _colleague = people
    client.force_login(researcher)
    with translation.override("en"):
        response = client.post(reverse("census:new"), naming(email="", first="Piero", last="Senzamail"), follow=True)
    assert "Piero Senzamail has no e-mail address" in " ".join(str(m) for m in response.context["messages"])
    assert "Piero Senzamail has no e-mail address" in response.content.decode()
    assert mail.outbox == []
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert initiative.lead().user == researcher


def test_staff_reviewing_see_that_the_lead_has_not_confirmed(admin_client, people):
    researcher, colleague = people
    initiative = InitiativeFactory(created_by=researcher, submitted=True)
    LeadNomination.objects.create(initiative=initiative, person=colleague.person, nominated_by=researcher)
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    page = admin_client.get(url).content.decode()
    assert "The researchers named Marco Bianchi lead contact on" in page


# --- Co-authors named on a people row: invited, not granted ---------------------


def coauthor_data(**overrides):
    """Giulia leads; Marco is a member she marks co-author."""
    return naming(**{"people-0-role": "lead", "people-1-role": "member", "people-1-can_edit": "on", **overrides})


def test_marking_a_colleague_co_author_invites_them_and_grants_nothing_until_they_accept(
    client, people, django_capture_on_commit_callbacks
):
    from initiatives.models import CoauthorInvitation

    researcher, colleague = people
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        response = client.post(reverse("census:new"), coauthor_data(), follow=True)
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    marco = initiative.participations.get(person__email="marco@polito.it")
    assert (marco.role, marco.can_edit) == ("member", False)
    assert not permissions.is_author(colleague, initiative)
    invitation = CoauthorInvitation.objects.get()
    assert (invitation.email, invitation.initiative, invitation.accepted_at) == ("marco@polito.it", initiative, None)
    assert mail.outbox[-1].to == ["marco@polito.it"]
    assert "An invitation to edit this initiative was sent to marco@polito.it" in response.content.decode()

    # Saving the step again does not write to him a second time.
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        again = client.post(reverse("census:step", args=[initiative.pk, "who"]), coauthor_data(), follow=True)
    assert len(mail.outbox) == sent
    assert "marco@polito.it already received an invitation" in again.content.decode()
    assert CoauthorInvitation.objects.count() == 1

    # He accepts by the link: now he edits.
    client.force_login(colleague)
    client.post(reverse("census:accept-invitation", args=[invitation.link_token]))
    assert initiative.participations.get(person__email="marco@polito.it").can_edit
    assert permissions.is_author(colleague, initiative)


def test_a_co_author_already_keeps_the_right_and_taking_it_away_needs_no_consent(
    client, people, django_capture_on_commit_callbacks
):
    from initiatives.models import CoauthorInvitation

    researcher, colleague = people
    initiative = InitiativeFactory(lead=Person.objects.get(user=researcher), title_it="Orti condivisi a Mirafiori")
    ParticipationFactory(initiative=initiative, person=Person.objects.get(user=colleague), can_edit=True)
    client.force_login(researcher)
    url = reverse("census:step", args=[initiative.pk, "who"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, coauthor_data())
    assert initiative.participations.get(person__email="marco@polito.it").can_edit
    assert not CoauthorInvitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, coauthor_data(**{"people-1-can_edit": ""}))
    assert not initiative.participations.get(person__email="marco@polito.it").can_edit


def test_a_co_author_without_an_address_is_not_invited_and_the_researcher_is_told(
    client, people, django_capture_on_commit_callbacks
):
    researcher, _colleague = people
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        response = client.post(
            reverse("census:new"),
            coauthor_data(**{"people-1-email": "", "people-1-last_name": "Senzamail"}),
            follow=True,
        )
    initiative = Initiative.objects.get(title_it="Orti condivisi a Mirafiori")
    assert not initiative.participations.get(person__last_name="Senzamail").can_edit
    assert "Marco Senzamail has no e-mail address, so they cannot be invited" in response.content.decode()
