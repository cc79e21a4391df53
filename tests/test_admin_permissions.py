"""No admin action and no admin page writes anything for an account that may
only look: a staff account with nothing but the *view* rights of every model,
or a signed-in account that is not staff.

The actions and pages are read from the admin's registry, not listed by
hand: an action added without `permissions=`, or a page added without its
own check, makes these tests fail. A page that a view-only account may read
is named in `VIEW_ONLY_MAY`; any other page must refuse it.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.signals import request_finished
from django.db import close_old_connections
from django.db.models import DateTimeField, Max
from django.test import RequestFactory
from django.urls import URLPattern, reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from impact.anvur import export_record
from impact.factories import ImpactFactory, ProductFactory
from impact.models import ExportRecord, ImportJob
from initiatives.exchange.imports import import_job_create
from initiatives.factories import (
    CampaignInvitationFactory,
    CensusCampaignFactory,
    InitiativeFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)
from initiatives.models import (
    CampaignInvitation,
    CensusCampaign,
    CoauthorInvitation,
    ContactMessage,
    FormDraft,
    Initiative,
    LeadNomination,
    OutboundEmail,
)
from initiatives.tasks import run_import_job
from stakeholders.factories import PartnershipFactory, TerritorialDemandFactory

pytestmark = pytest.mark.django_db

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


# --- What the registry holds ---------------------------------------------------------


def _actions(model_admin) -> dict:
    """Every action the ModelAdmin may offer, whoever asks: its own
    (`actions`) and the site's (`delete_selected`), by name."""
    found = {name: func for func, name, _description in model_admin._get_base_actions()}
    for action in model_admin.actions or ():
        func = action if callable(action) else getattr(model_admin, action)
        found.setdefault(getattr(func, "__name__", str(action)), func)
    return found


ACTIONS = [
    pytest.param(model, name, func, id=f"{model._meta.label}-{name}")
    for model, model_admin in MODEL_ADMINS
    for name, func in sorted(_actions(model_admin).items())
]

# The URLs every ModelAdmin has (changelist, add, history, delete, change and
# the old change URL): Django checks their permissions itself.
STANDARD_PATTERNS = {str(url.pattern) for url in admin.ModelAdmin(MODEL_ADMINS[0][0], admin.site).get_urls()}


def _custom_urls(model_admin) -> list[URLPattern]:
    return [url for url in model_admin.get_urls() if str(url.pattern) not in STANDARD_PATTERNS]


PAGES = [
    pytest.param(model, url.name, id=url.name or str(url.pattern))
    for model, model_admin in MODEL_ADMINS
    for url in _custom_urls(model_admin)
]

# Pages that only read, and the methods a view-only account may use on them;
# every other page refuses it (403, or 405 for a method the page never takes).
VIEW_ONLY_MAY = {
    "initiatives_censuscampaign_figures": {"GET"},
    "impact_anvur_export": {"GET"},  # the form; the download itself only reads (and is recorded)
    "impact_importjob_status": {"GET"},
    "impact_importjob_progress": {"GET"},
    "impact_importjob_file": {"GET"},
}
# By the end of their names: every model's export page (its form is posted:
# exporting is reading) and the django-simple-history page of a past version
# (a post there is a revert).
VIEW_ONLY_MAY_BY_SUFFIX = {"_export": {"GET", "POST"}, "_simple_history": {"GET"}}


def view_only_may(name: str) -> set[str]:
    if name in VIEW_ONLY_MAY:
        return VIEW_ONLY_MAY[name]
    return next((methods for suffix, methods in VIEW_ONLY_MAY_BY_SUFFIX.items() if name.endswith(suffix)), set())


# --- The accounts and the rows -------------------------------------------------------

VIEW_ONLY_STAFF = "view-only staff"
NOT_STAFF = "not staff"


@pytest.fixture
def world():
    """At least one row of every model the admin shows (the reference data
    fills the vocabularies), an initiative waiting for review, a campaign
    with someone still to invite, and a checked import waiting to be confirmed."""
    lead = PersonFactory()
    submitted = InitiativeFactory(submitted=True, lead=lead, title_it="Orti alti a Torino")
    published = InitiativeFactory(published=True, title_it="Orti Alti Torino")
    for initiative in (submitted, published):
        PlaceFactory(initiative=initiative)
        ProductFactory(initiative=initiative)
        ImpactFactory(initiative=initiative)
        PartnershipFactory(initiative=initiative)
    TerritorialDemandFactory()
    Group.objects.create(name="Curatori")
    campaign = CensusCampaignFactory()
    campaign.target_people.add(PersonFactory())
    CampaignInvitationFactory(campaign=campaign, person=lead)
    CoauthorInvitation.objects.create(initiative=submitted, email="coautrice@example.org")
    LeadNomination.objects.create(initiative=submitted, person=PersonFactory())
    FormDraft.objects.create(user=UserFactory(), initiative=submitted, step="who")
    OutboundEmail.objects.create(to="someone@example.org", subject="Oggetto", body="Testo")
    ContactMessage.objects.create(
        recipient=lead, initiative=published, sender_name="Visitatore", sender_email="v@example.org", message="Ciao"
    )
    AccessAttempt.objects.create(username="someone@example.org", ip_address="10.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="someone@example.org", ip_address="10.0.0.1")
    TOTPDevice.objects.create(user=UserFactory(is_staff=True), name="authenticator", confirmed=True)
    StaticDevice.objects.create(user=UserFactory(is_staff=True), name="recovery codes", confirmed=True)
    export_record(kind=ExportRecord.Kind.RESOURCE, fmt="csv", filters={}, row_count=1)
    job = import_job_create(
        kind="initiatives",
        data="title_it;start_date\nMostra;2025-02-01\n".encode("utf-8-sig"),
        filename="iniziative.csv",
        total_rows=1,
        user=UserFactory(is_staff=True, is_superuser=True),
        dry_run=True,
    )
    run_import_job.delay(job.pk)
    job.refresh_from_db()
    assert job.can_be_confirmed
    for model, _model_admin in MODEL_ADMINS:
        assert model._default_manager.exists(), f"the test needs a {model._meta.label} row: add one to `world`"
    mail.outbox.clear()
    return {"submitted": submitted}


def _account(kind: str):
    if kind == NOT_STAFF:
        return UserFactory()
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture(params=[VIEW_ONLY_STAFF, NOT_STAFF])
def account(request, client):
    user = _account(request.param)
    client.force_login(user)
    return request.param, user


def snapshot(focus) -> dict:
    """Every table's size, the latest of each table's "last changed" stamps,
    every row of the model in question, and the e-mails sent."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model is Session:
            continue
        manager = model._base_manager
        state[model._meta.label] = manager.count()
        stamps = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, DateTimeField) and (field.auto_now or field.name == "updated_at")
        ]
        if stamps:
            state[f"{model._meta.label} stamps"] = manager.aggregate(*(Max(name) for name in stamps))
    state["rows"] = list(focus._base_manager.order_by("pk").values())
    state["sent"] = len(mail.outbox)
    return state


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def refused_as_not_staff(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def close_without_ending_the_test_transaction(response) -> None:
    """Close a response (a file download's open file) as the test client does:
    without `close_old_connections`, which on PostgreSQL would close the
    connection that holds the test's transaction."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


# --- Actions -----------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "name", "func"), ACTIONS)
def test_every_admin_action_declares_the_permissions_it_needs(model, name, func):
    permissions = getattr(func, "allowed_permissions", None)
    assert permissions, f"{model._meta.label}: the action {name!r} needs @admin.action(permissions=[...])"
    model_admin = admin.site._registry[model]
    for permission in permissions:
        assert callable(getattr(model_admin, f"has_{permission}_permission", None)), (name, permission)


def test_the_registry_offers_no_action_that_the_tests_do_not_see(rf):
    """Actions a library adds in `get_actions` (django-import-export's export
    action, for one) are checked too."""
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True, is_active=True)
    for model, model_admin in MODEL_ADMINS:
        assert set(model_admin.get_actions(request)) <= set(_actions(model_admin)), model._meta.label


@pytest.mark.parametrize(("model", "name", "func"), ACTIONS)
def test_no_admin_action_runs_for_an_account_that_may_only_look(
    client, world, account, model, name, func, django_capture_on_commit_callbacks
):
    kind, user = account
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    assert name not in model_admin.get_actions(request), f"{kind} is offered {name!r}"

    selected = [str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:2]]
    # The changelist's own form, then a confirmation page's answer (merge
    # asks for "confirm", deletion for "post").
    posts = [
        {"action": name, "index": "0", admin.helpers.ACTION_CHECKBOX_NAME: selected},
        {"action": name, admin.helpers.ACTION_CHECKBOX_NAME: selected, "confirm": "yes", "post": "yes"},
    ]
    before = snapshot(model)
    for data in posts:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(admin_url(model, "changelist"), data)
        assert callbacks == [], f"{name!r} queued work for {kind}"
        if kind == NOT_STAFF:
            assert refused_as_not_staff(response), response.status_code
            continue
        assert response.status_code in (200, 302, 403), response.status_code
        # With no action at all to offer, the changelist ignores the post;
        # with others, it says that none was chosen.
        if response.status_code != 403 and model_admin.get_actions(request):
            with translation.override(response.get("Content-Language") or translation.get_language()):
                said = [(m.level, str(m)) for m in get_messages(response.wsgi_request)]
                assert (messages.WARNING, gettext("No action selected.")) in said, said
    assert snapshot(model) == before


# --- Pages the admin adds ------------------------------------------------------------


def page_url(model, name: str, world) -> str:
    """The page's URL, about a real row of its model."""
    url = next(url for url in _custom_urls(admin.site._registry[model]) if url.name == name)
    if name.endswith("_simple_history"):
        obj = model._default_manager.order_by("pk").first()
        version = obj.history.order_by("-history_id").first()
        return reverse(f"admin:{name}", args=[obj.pk, version.history_id])
    parameters = list(getattr(url.pattern, "converters", {}))
    if not parameters:
        return reverse(f"admin:{name}")
    if model is Initiative:
        obj = world["submitted"]  # one that waits for review
    elif model is ImportJob:
        obj = ImportJob.objects.get(state=ImportJob.State.CHECKED)  # one that waits for confirmation
    else:
        obj = model._default_manager.order_by("pk").first()
    assert len(parameters) == 1, f"teach page_url how to reach {name} ({url.pattern})"
    return reverse(f"admin:{name}", args=[obj.pk])


def test_every_admin_page_has_a_name_to_be_checked_by():
    unnamed = [
        str(url.pattern) for _model, model_admin in MODEL_ADMINS for url in _custom_urls(model_admin) if not url.name
    ]
    assert unnamed == []


@pytest.mark.parametrize(("model", "name"), PAGES)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_admin_page_writes_for_an_account_that_may_only_look(
    client, world, account, model, name, method, django_capture_on_commit_callbacks
):
    kind, _user = account
    url = page_url(model, name, world)
    # Whatever a page's form would ask: a review's decision, a confirmation,
    # an import's resource and format.
    data = {"to": "published", "message": "Va bene.", "confirm": "yes", "post": "yes", "resource": "0", "format": "0"}
    before = snapshot(model)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(url) if method == "GET" else client.post(url, data)
    close_without_ending_the_test_transaction(response)
    assert callbacks == [], f"{name} queued work for {kind}"
    if kind == NOT_STAFF:
        assert refused_as_not_staff(response), response.status_code
    elif method in view_only_may(name):
        assert response.status_code == 200, response.status_code
    else:
        assert response.status_code in (403, 405), f"{name} answered {response.status_code} to {kind}"
    assert snapshot(model) == before


# --- The checks above see a write when there is one ------------------------------------


def test_a_curator_with_the_rights_does_send_the_invitations(client, world, django_capture_on_commit_callbacks):
    curator = UserFactory(is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_censuscampaign", "change_censuscampaign", "add_campaigninvitation"]
        )
    )
    client.force_login(curator)
    campaign = CensusCampaign.objects.get()
    before = snapshot(CampaignInvitation)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            admin_url(CensusCampaign, "changelist"),
            {"action": "send_invitations", "index": "0", admin.helpers.ACTION_CHECKBOX_NAME: [campaign.pk]},
        )
    assert snapshot(CampaignInvitation) != before
    assert campaign.invitations.count() > 1


def test_a_curator_with_the_right_does_publish_the_selected(client, world, django_capture_on_commit_callbacks):
    """The bulk publication the walk refuses to view-only accounts writes for
    a reviewer: the walk would see it."""
    curator = UserFactory(is_staff=True)
    curator.user_permissions.add(*Permission.objects.filter(codename__in=["view_initiative", "change_initiative"]))
    client.force_login(curator)
    submitted = world["submitted"]
    before = snapshot(Initiative)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            admin_url(Initiative, "changelist"),
            {"action": "publish_submitted", admin.helpers.ACTION_CHECKBOX_NAME: [submitted.pk], "confirm": "yes"},
        )
    assert snapshot(Initiative) != before
    submitted.refresh_from_db()
    assert submitted.state == Initiative.State.PUBLISHED
    assert submitted.transitions.filter(to_state=Initiative.State.PUBLISHED, by=curator).exists()
