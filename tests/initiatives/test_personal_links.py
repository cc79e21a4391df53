"""Personal links (campaign and co-author invitations): nothing stored opens
them, they expire, and a co-author invitation shows its initiative only to
the account it was sent to (ASVS: tokens are secrets, not data)."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from initiatives.factories import CensusCampaignFactory, InitiativeFactory, PersonFactory, UserFactory
from initiatives.models import CampaignInvitation, CoauthorInvitation, Department, LeadNomination, OutboundEmail
from initiatives.services.campaigns import campaign_invite, campaign_remind
from pops.links import link_pk

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    today = timezone.localdate()
    campaign = CensusCampaignFactory(
        opens_on=today - datetime.timedelta(days=10), closes_on=today + datetime.timedelta(days=20)
    )
    campaign.target_departments.set([Department.objects.get(code="DIST")])
    return campaign


@pytest.fixture
def invited(campaign, django_capture_on_commit_callbacks):
    person = PersonFactory(department=Department.objects.get(code="DIST"))
    with django_capture_on_commit_callbacks(execute=True):
        campaign_invite(campaign=campaign)
    return CampaignInvitation.objects.get(person=person)


def test_the_database_holds_nothing_that_opens_a_link(client, invited):
    token = invited.link_token
    assert invited.secret not in token and str(invited.secret) != token
    # What a curator could read (the secret, any stored column) is not a link.
    for value in (invited.secret, f"{invited.pk}-{invited.secret}"):
        assert client.get(reverse("census:campaign-link", args=[value])).status_code == 404
    # A code made for another row, or for the other kind of link, opens nothing.
    assert (
        client.get(reverse("census:campaign-link", args=[f"{invited.pk + 1}-{token.split('-')[1]}"])).status_code == 404
    )
    assert link_pk(token) == invited.pk
    assert client.get(reverse("census:campaign-link", args=[token])).status_code == 302


def test_a_reminder_carries_the_same_link_as_the_invitation(campaign, invited, django_capture_on_commit_callbacks):
    CampaignInvitation.objects.filter(pk=invited.pk).update(invited_at=timezone.now() - datetime.timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_remind(campaign=campaign) == 1
    assert invited.link_token in mail.outbox[0].body and invited.link_token in mail.outbox[-1].body


def test_a_campaign_link_stops_opening_after_the_campaign_and_its_grace(client, campaign, invited, settings):
    settings.POPS_CAMPAIGN_LINK_GRACE_DAYS = 30
    url = reverse("census:campaign-link", args=[invited.link_token])
    today = timezone.localdate()
    campaign.opens_on, campaign.closes_on = today - datetime.timedelta(days=60), today - datetime.timedelta(days=29)
    campaign.save()
    assert client.get(url).status_code == 302  # a late answer is still welcome
    campaign.closes_on = today - datetime.timedelta(days=31)
    campaign.save()
    response = client.get(url)
    assert response.status_code == 410
    assert "/accounts/reset/" not in response.content.decode()


def test_the_link_sets_a_password_once_then_only_leads_to_the_sign_in(client, invited):
    url = reverse("census:campaign-link", args=[invited.link_token])
    reset = client.get(url)["Location"]
    assert "/accounts/reset/" in reset
    form = client.get(reset, follow=True)
    set_password = form.redirect_chain[-1][0]
    client.post(set_password, {"new_password1": "un-Segreto-lungo-2026", "new_password2": "un-Segreto-lungo-2026"})
    invited.person.user.refresh_from_db()
    assert invited.person.user.has_usable_password()
    client.logout()
    assert reverse("login") in client.get(url)["Location"]
    # The reset address the link gave is spent too.
    assert client.get(reset, follow=True).context["validlink"] is False


def test_coauthor_invitations_expire(client, settings):
    settings.POPS_COAUTHOR_INVITATION_DAYS = 30
    user = UserFactory(email="collega@polito.it")
    invitation = CoauthorInvitation.objects.create(initiative=InitiativeFactory(), email=user.email)
    client.force_login(user)
    url = reverse("census:accept-invitation", args=[invitation.link_token])
    assert client.get(url).status_code == 200
    CoauthorInvitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    assert client.get(url).status_code == 410
    assert client.post(url).status_code == 410
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_only_the_invited_account_sees_which_initiative_an_invitation_is_about(client):
    initiative = InitiativeFactory(title_it="Orti segreti di quartiere")
    invitation = CoauthorInvitation.objects.create(initiative=initiative, email="invitata@polito.it")
    url = reverse("census:accept-invitation", args=[invitation.link_token])
    client.force_login(UserFactory(email="altra@polito.it"))
    page = client.get(url).content.decode()
    assert "Orti segreti" not in page and "<form" not in page.split("<main")[-1].split("</main>")[0]
    client.force_login(UserFactory(email="INVITATA@polito.it"))
    assert "Orti segreti" in client.get(url).content.decode()


def test_the_admin_shows_no_link_secret_and_no_e_mail_body(admin_client, admin_user, rf, invited):
    assert OutboundEmail.objects.exists()
    request = rf.get("/")
    request.user = admin_user
    for model in (CampaignInvitation, CoauthorInvitation, LeadNomination, OutboundEmail):
        fields = str(site._registry[model].get_fields(request))
        assert "secret" not in fields and "token" not in fields and "body" not in fields
    body = OutboundEmail.objects.first().body
    page = admin_client.get(reverse("admin:initiatives_outboundemail_change", args=[OutboundEmail.objects.first().pk]))
    assert invited.link_token in body and invited.link_token not in page.content.decode()
    page = admin_client.get(reverse("admin:initiatives_campaigninvitation_change", args=[invited.pk]))
    assert invited.secret not in page.content.decode()


def test_a_staff_reader_of_the_outbox_cannot_get_a_link_either(client, invited):
    curator = UserFactory(is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_outboundemail", "change_outboundemail"])
    )
    client.force_login(curator)
    email = OutboundEmail.objects.first()
    page = client.get(reverse("admin:initiatives_outboundemail_change", args=[email.pk])).content.decode()
    assert invited.link_token not in page
