"""Census campaigns: invitations, reminders and response figures."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from initiatives.factories import CensusCampaignFactory, InitiativeFactory, PersonFactory
from initiatives.models import CampaignInvitation, Department, Initiative
from initiatives.services.campaigns import campaign_figures, campaign_invite, campaign_remind

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    today = timezone.localdate()
    campaign = CensusCampaignFactory(
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=20),
        reminder_every_days=7,
    )
    campaign.target_departments.set([Department.objects.get(code="DIST")])
    return campaign


def test_invitations_reach_the_target_population_once_with_a_personal_link(
    campaign, django_capture_on_commit_callbacks
):
    dist = Department.objects.get(code="DIST")
    in_dist = PersonFactory.create_batch(3, department=dist)
    outsider = PersonFactory(department=Department.objects.get(code="DAUIN"))
    listed = PersonFactory(department=None)
    campaign.target_people.add(listed)
    expected = {p.email for p in in_dist + [listed]} | set(
        dist.people.exclude(email="").values_list("email", flat=True)
    )

    with django_capture_on_commit_callbacks(execute=True):
        sent = campaign_invite(campaign=campaign)
    assert sent == len(expected)
    assert {m.to[0] for m in mail.outbox} == expected
    assert outsider.email not in {m.to[0] for m in mail.outbox}
    token = CampaignInvitation.objects.get(person=listed).link_token
    assert any(token in m.body for m in mail.outbox)
    assert campaign_invite(campaign=campaign) == 0  # nobody twice


def test_the_personal_link_lets_a_person_without_a_password_choose_one(client, campaign):
    person = PersonFactory(department=Department.objects.get(code="DIST"))
    campaign_invite(campaign=campaign)
    invitation = CampaignInvitation.objects.get(person=person)
    response = client.get(reverse("census:campaign-link", args=[invitation.link_token]))
    assert "/accounts/reset/" in response["Location"]
    invitation.refresh_from_db()
    assert invitation.opened_at is not None


def test_reminders_go_every_n_days_to_who_has_not_answered(campaign, django_capture_on_commit_callbacks):
    quiet, answered = PersonFactory.create_batch(2, department=Department.objects.get(code="DIST"))
    campaign_invite(campaign=campaign)
    CampaignInvitation.objects.filter(campaign=campaign).update(invited_at=timezone.now() - datetime.timedelta(days=8))
    CampaignInvitation.objects.filter(person=answered).update(responded_at=timezone.now())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reminded = campaign_remind(campaign=campaign)
    recipients = {m.to[0] for m in mail.outbox}
    assert quiet.email in recipients and answered.email not in recipients
    assert reminded == len(recipients)
    assert campaign_remind(campaign=campaign) == 0  # not again before 7 days


def test_figures_count_invited_started_submitted_and_published_by_department(campaign, django_assert_num_queries):
    dist = Department.objects.get(code="DIST")
    people = PersonFactory.create_batch(3, department=dist)
    campaign_invite(campaign=campaign)
    starter, submitter = people[0], people[1]
    starter.refresh_from_db()  # the invitation gave them a login
    submitter.refresh_from_db()
    InitiativeFactory(created_by=starter.user, campaign=campaign, state=Initiative.State.DRAFT)
    InitiativeFactory(created_by=submitter.user, campaign=campaign, submitted=True)

    with django_assert_num_queries(2):
        figures = campaign_figures(campaign)
    invited = CampaignInvitation.objects.filter(campaign=campaign).count()
    assert (figures.total.invited, figures.total.started, figures.total.submitted, figures.total.published) == (
        invited,
        2,
        1,
        0,
    )
    assert figures.by_department["DIST"].invited == invited


# --- Response rates and who has not answered ----------------------------------------


def _answered_and_quiet(campaign):
    """Four invited in DIST: one submitted, one answered by the invitation's
    record, one only started, one silent."""
    from initiatives.services.campaigns import campaign_invite

    dist = Department.objects.get(code="DIST")
    people = PersonFactory.create_batch(4, department=dist)
    campaign.target_departments.clear()
    campaign.target_people.set(people)
    campaign_invite(campaign=campaign)
    for person in people:
        person.refresh_from_db()
    submitter, recorded, starter, _silent = people
    InitiativeFactory(created_by=submitter.user, campaign=campaign, submitted=True)
    CampaignInvitation.objects.filter(person=recorded).update(responded_at=timezone.now())
    InitiativeFactory(created_by=starter.user, campaign=campaign, state=Initiative.State.DRAFT)
    return people


def test_figures_give_the_response_rate_overall_and_by_department(campaign, django_assert_num_queries):
    _answered_and_quiet(campaign)
    with django_assert_num_queries(2):
        figures = campaign_figures(campaign)
    assert (figures.total.invited, figures.total.responded, figures.total.not_responded) == (4, 2, 2)
    assert figures.total.response_rate == 0.5
    assert figures.by_department["DIST"].response_rate == 0.5


def test_nobody_invited_has_no_rate():
    from initiatives.services.campaigns import Figures

    assert Figures().response_rate is None


def test_the_list_of_who_has_not_answered(campaign, django_assert_num_queries):
    from initiatives.services.campaigns import campaign_non_respondents

    _submitter, _recorded, starter, silent = _answered_and_quiet(campaign)
    with django_assert_num_queries(1):
        quiet = campaign_non_respondents(campaign)
    assert {invitation.person for invitation in quiet} == {starter, silent}


@pytest.fixture
def campaign_manager(client):
    from initiatives.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_figures_page_shows_rates_with_the_same_headers_in_every_table(client, campaign, campaign_manager):
    from django.utils import translation

    _answered_and_quiet(campaign)
    with translation.override("en"):
        page = client.get(reverse("admin:initiatives_censuscampaign_figures", args=[campaign.pk])).content.decode()
    assert page.count(">Response rate</th>") == 3
    assert "<td>50%</td>" in page
    headers = ["Invited", "Answered", "Response rate", "Not answered", "Started", "Submitted", "Published"]
    for table in page.split('<table class="pops-figures">')[1:4]:
        found = [h for h in headers if f">{h}</th>" in table]
        assert found == headers
    assert 'id="non-respondents"' in page


def test_who_has_not_answered_downloads_as_csv(client, campaign, campaign_manager):
    from django.utils import translation

    _submitter, _recorded, starter, silent = _answered_and_quiet(campaign)
    with translation.override("en"):
        url = reverse("admin:initiatives_censuscampaign_non_respondents", args=[campaign.pk])
        response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-not-answered.csv"')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("last name,first name,e-mail,department")
    assert len(lines) == 3
    assert starter.email in body and silent.email in body
    assert client.get(url, {"format": "pdf"}).status_code == 404


def test_the_list_of_addresses_needs_the_right_to_invite(client, campaign):
    from django.contrib.auth.models import Permission

    from initiatives.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(viewer)
    _answered_and_quiet(campaign)
    page = client.get(reverse("admin:initiatives_censuscampaign_figures", args=[campaign.pk]))
    assert page.status_code == 200 and 'id="non-respondents"' not in page.content.decode()
    url = reverse("admin:initiatives_censuscampaign_non_respondents", args=[campaign.pk])
    assert client.get(url).status_code == 403
