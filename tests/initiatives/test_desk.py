"""The admin home page is the POPS desk: the review queue, the open campaign,
the links staff start from, and the internal records read-only, apart."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from initiatives.admin_desk import split_app_list
from initiatives.factories import CampaignInvitationFactory, CensusCampaignFactory, InitiativeFactory, UserFactory
from initiatives.models import Initiative, StateTransition
from initiatives.services.review import review_queue_figures
from pops.admin import InternalRecordAdmin

pytestmark = pytest.mark.django_db
S = Initiative.State

# Every table the portal writes for itself: read-only on the desk.
INTERNAL = {
    "initiatives.StateTransition",
    "initiatives.OutboundEmail",
    "initiatives.ContactMessage",
    "initiatives.FormDraft",
    "initiatives.CoauthorInvitation",
    "initiatives.LeadNomination",
    "initiatives.CampaignInvitation",
    "impact.ExportRecord",
    "impact.ImportJob",
}


@pytest.fixture
def superuser(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _ago(days: int):
    return timezone.now() - datetime.timedelta(days=days)


def _open_campaign():
    today = timezone.localdate()
    return CensusCampaignFactory(
        opens_on=today - datetime.timedelta(days=3), closes_on=today + datetime.timedelta(days=30)
    )


def test_the_queue_figures_separate_what_waits_on_staff_from_what_waits_on_the_researchers():
    waiting_long, recent = InitiativeFactory.create_batch(2, submitted=True)
    Initiative.objects.filter(pk=waiting_long.pk).update(submitted_at=_ago(9))
    Initiative.objects.filter(pk=recent.pk).update(submitted_at=_ago(1))
    sent_back = InitiativeFactory(submitted=True)
    Initiative.objects.filter(pk=sent_back.pk).update(state=S.CHANGES_REQUESTED)
    StateTransition.objects.create(
        initiative=sent_back, from_state=S.SUBMITTED, to_state=S.CHANGES_REQUESTED, at=_ago(4), message="Partner?"
    )
    InitiativeFactory(published=True)

    figures = review_queue_figures()
    assert figures.on_staff.count == 2
    assert figures.on_researchers.count == 1
    assert figures.on_staff.oldest_age.days == 9
    assert figures.on_researchers.oldest_age.days == 4


def test_the_desk_shows_the_queue_the_campaign_and_the_links(client, superuser):
    InitiativeFactory(submitted=True)
    campaign = _open_campaign()
    CampaignInvitationFactory.create_batch(4, campaign=campaign)
    with translation.override("en"):
        page = client.get(reverse("admin:index")).content.decode()
        links = [
            reverse("admin:initiatives_initiative_review_queue"),
            reverse("admin:initiatives_initiative_census_import"),
            reverse("admin:initiatives_initiative_import"),
            reverse("admin:impact_anvur_export"),
            reverse("statistics"),
            reverse("admin:initiatives_censuscampaign_figures", args=[campaign.pk]),
        ]
        changelist = reverse("admin:initiatives_initiative_changelist")
    assert 'id="desk-waiting-on-staff"><strong>1</strong>' in page
    assert 'id="desk-waiting-on-researchers"><strong>0</strong>' in page
    assert campaign.name_en in page and "<strong>4</strong> invited" in page
    for link in links:
        assert f'href="{link}"' in page, link
    # The app list is still there, below the desk.
    assert page.index("desk-queue") < page.index(f'href="{changelist}"', page.index('id="desk-queue"'))


def test_internal_records_are_listed_apart_at_the_bottom(client, superuser):
    page = client.get(reverse("admin:index")).content.decode()
    internal_section = page[page.index('id="internal-records"') :]
    tables = page[page.index('id="desk-tables"') : page.index('id="internal-records"')]
    for label in INTERNAL:
        name = label.replace(".", "_").lower()
        url = reverse(f"admin:{name}_changelist")
        assert f'href="{url}"' in internal_section, label
        assert f'href="{url}"' not in tables, label
        assert reverse(f"admin:{name}_add") not in page, label


def test_every_internal_table_is_read_only_for_a_superuser(rf):
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    found = set()
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, InternalRecordAdmin):
            found.add(model._meta.label)
            assert model_admin.has_view_permission(request), model
            assert not model_admin.has_add_permission(request), model
            assert not model_admin.has_change_permission(request), model
            assert not model_admin.has_delete_permission(request), model
    assert found == INTERNAL


def test_split_app_list_keeps_the_other_tables_in_their_apps():
    app_list = [
        {
            "name": "Initiatives",
            "models": [
                {"model": Initiative, "name": "Initiatives"},
                {"model": StateTransition, "name": "State transitions"},
            ],
        }
    ]
    apps, internal = split_app_list(app_list)
    assert [m["model"] for m in apps[0]["models"]] == [Initiative]
    assert [(m["model"], m["app_name"]) for m in internal] == [(StateTransition, "Initiatives")]


def test_the_desk_asks_the_same_queries_however_long_the_queue(client, superuser, django_assert_num_queries):
    campaign = _open_campaign()

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(queries)

    InitiativeFactory(submitted=True)
    CampaignInvitationFactory(campaign=campaign)
    few = count_queries()
    for _ in range(6):
        sent_back = InitiativeFactory(submitted=True)
        Initiative.objects.filter(pk=sent_back.pk).update(state=S.CHANGES_REQUESTED)
        StateTransition.objects.create(
            initiative=sent_back, from_state=S.SUBMITTED, to_state=S.CHANGES_REQUESTED, at=_ago(1)
        )
    InitiativeFactory.create_batch(5, submitted=True)
    CampaignInvitationFactory.create_batch(10, campaign=campaign)
    assert count_queries() == few
    # The session, its user, the authenticator that verified the session
    # (pops/otp.py), the queue by state, the oldest request for changes, the
    # open campaign, its initiatives' states, its invitations, the recent actions.
    with django_assert_num_queries(9):
        client.get(reverse("admin:index"))


def test_staff_without_review_rights_see_no_queue_and_no_import_links(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_initiative"]))
    client.force_login(user)
    with translation.override("en"):
        page = client.get(reverse("admin:index")).content.decode()
        census_import = reverse("admin:initiatives_initiative_census_import")
    assert "desk-waiting-on-staff" not in page
    assert census_import not in page
