"""Every URL of the portal, asked by each of seven people: the status each
one gets is written down below, one row per URL name.

The URLs are read from the resolver (pops/urls.py with everything it
includes: the showcase, the census, the API, open data, sign-in, the
second factor, the admin with every ModelAdmin's pages, and SAML's, which
pops/urls.py adds only when it is on). A URL added without a row here, or a
row left for a URL that is gone, fails `test_every_url_has_a_row` or
`test_every_row_names_a_url`.

The people (ROLES):

- anonymous: nobody signed in;
- lead: a researcher who created initiative A (a draft) and is its lead contact;
- other: a researcher with a draft of their own and no link to A;
- coauthor: a co-author of A (a participation that may edit);
- viewer: staff with only the *view* rights of every model;
- curator: staff in the curators' group, which holds every right on the
  four apps of the portal (actionplan, initiatives, stakeholders, impact),
  as `seed_demo` makes it, and none on accounts, sign-in records or devices;
- superuser.

Staff sessions have passed the second factor (tests/conftest.py).

What a cell says: a status code, or `login` (302 to the sign-in page, with
the page asked for as `next`), or `admin` (302 to the admin's sign-in, the
same way); a plain 302 goes anywhere else. Researchers reach only what they
take part in: someone else's initiative answers 404, not 403, so that
nothing says it exists (initiatives/services/permissions.py); an author
asking for what the initiative's state does not allow gets 403. Every page
a person outside A (anonymous, other) is shown is also searched for A's
title.

A row is a URL name, or `name[variant]` for a second look at the same URL
about another object (`census:review[others-draft]`). ARGS says which of
the world's objects a URL is about, QUERIES what it adds to the query; a
URL with no arguments needs neither. Each ModelAdmin's own pages
(changelist, add, change...) have no row of their own: ADMIN_MODEL_PAGES
makes them from the admin's registry, ADMIN_MODEL_EXCEPTIONS says where a
ModelAdmin differs.

GET asks every URL; the URLs that only take POST (405 to a GET) are also
posted to, empty, in POST_MATRIX, where "someone else's initiative answers
404" matters most. Each case runs in its own savepoint: what a request
writes is rolled back before the next. The rows, the people and their
objects are built once for the module.
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver, include, path, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from actionplan.models import InterventionArea
from impact.anvur import export_record
from impact.factories import ImpactFactory, ProductFactory
from impact.models import ExportRecord, FieldOfAction, ImportJob, PublicEngagementCategory
from initiatives.exchange.census_jobs import census_job_create
from initiatives.exchange.imports import REJECTED_DIR, import_job_create
from initiatives.factories import (
    CampaignInvitationFactory,
    CensusCampaignFactory,
    InitiativeFactory,
    ParticipationFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)
from initiatives.management.commands.seed_demo import APPS as CURATED_APPS
from initiatives.management.commands.seed_demo import CURATORS_GROUP
from initiatives.models import (
    CoauthorInvitation,
    FormDraft,
    Initiative,
    LeadNomination,
    OutboundEmail,
    Participation,
)
from initiatives.services import merging
from initiatives.services.contact import contact_relay
from initiatives.showcase import stats
from initiatives.tasks import run_import_job
from pops.storage import private_storage
from stakeholders.factories import PartnershipFactory, TerritorialDemandFactory
from tests.security import saml_idp

# The matrix asks views and the permissions room, which read the same on every
# database: it runs once, in the SQLite run of the suite (2,600 cases, about
# three minutes), not again in the PostgreSQL one.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the permission matrix runs in the SQLite run of the suite",
    ),
]

ROLES = ("anonymous", "lead", "other", "coauthor", "viewer", "curator", "superuser")
OUTSIDERS = ("anonymous", "other")  # nothing they are shown names A
SECRET_TITLE = "Bozza riservata Zafferano"


def table(text: str) -> dict[str, tuple[str, ...]]:
    """A table of the module: a URL name (with `[variant]` for a second
    look at the same URL), then one cell per role; `#` starts a comment."""
    rows: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, *cells = line.split()
        assert len(cells) == len(ROLES), f"{name}: {len(cells)} cells for {len(ROLES)} roles"
        assert name not in rows, f"{name} has two rows"
        rows[name] = tuple(cells)
    return rows


# --- The matrix ------------------------------------------------------------------------

MATRIX = table("""
# URL name                                        anonymous lead      other     coauthor  viewer    curator   superuser
# The showcase: the public's pages. P is published; A, a draft, is nobody's to see here.
home                                              200       200       200       200       200       200       200
initiative-list                                   200       200       200       200       200       200       200
initiative-detail                                 200       200       200       200       200       200       200
initiative-detail[draft]                          404       404       404       404       404       404       404
# Writing to P's lead, who agreed (services.contact); nobody writes to A's.
initiative-contact                                200       200       200       200       200       200       200
initiative-contact[draft]                         404       404       404       404       404       404       404
initiative-contact-sent                           200       200       200       200       200       200       200
initiative-map                                    200       200       200       200       200       200       200
initiative-map-data                               200       200       200       200       200       200       200
people                                            200       200       200       200       200       200       200
person-detail                                     200       200       200       200       200       200       200
person-contact                                    200       200       200       200       200       200       200
person-contact-sent                               200       200       200       200       200       200       200
department-detail                                 200       200       200       200       200       200       200
sector-detail                                     200       200       200       200       200       200       200
statistics                                        200       200       200       200       200       200       200
statistics-csv                                    200       200       200       200       200       200       200
accessibility                                     200       200       200       200       200       200       200
privacy                                           200       200       200       200       200       200       200
legal-notes                                       200       200       200       200       200       200       200
sitemap                                           200       200       200       200       200       200       200
robots-txt                                        200       200       200       200       200       200       200
set_language                                      302       302       302       302       302       302       302
# The census: initiative A. Who takes no part in A gets 404, staff too (they review in the admin).
census:dashboard                                  login     200       200       200       200       200       200
census:new                                        login     200       200       200       200       200       200
census:autosave-new                               login     405       405       405       405       405       405
census:review                                     login     200       404       200       404       404       404
census:review[others-draft]                       login     404       200       404       404       404       404
census:review[published]                          login     200       404       404       404       404       404
census:step                                       login     200       404       200       404       404       404
census:step[published]                            login     302       404       404       404       404       404
census:autosave                                   login     405       405       405       405       405       405
census:delete                                     login     200       404       200       404       404       404
census:submit                                     login     405       405       405       405       405       405
census:withdraw                                   login     405       405       405       405       405       405
census:propose-update                             login     405       405       405       405       405       405
census:invite                                     login     405       405       405       405       405       405
census:message                                    login     405       405       405       405       405       405
# Personal links, by the code they carry: a co-author invitation and a lead nomination on A for someone
# else (the page says it is not for them, and nothing of A), and the lead's campaign invitation.
census:accept-invitation                          login     200       200       200       200       200       200
census:lead-nomination                            login     200       200       200       200       200       200
census:lead-nomination-answer                     login     405       405       405       405       405       405
census:campaign-link                              302       302       302       302       302       302       302
census:organisation-suggestions                   login     200       200       200       200       200       200
census:person-suggestions                         login     200       200       200       200       200       200
# Accounts. The reset link is the lead's: spent once the lead signs in (200: "invalid link"); to
# anyone else it leads to choosing the lead's password, as whoever holds the e-mail may.
login                                             200       200       200       200       200       200       200
logout                                            302       200       200       200       200       200       200
password_change                                   login     200       200       200       200       200       200
password_change_done                              login     200       200       200       200       200       200
password_reset                                    200       200       200       200       200       200       200
password_reset_done                               200       200       200       200       200       200       200
password_reset_confirm                            302       200       302       302       302       302       302
password_reset_complete                           200       200       200       200       200       200       200
# The API, open data and the health checks: public.
api-schema                                        200       200       200       200       200       200       200
api-docs                                          200       200       200       200       200       200       200
api-redoc                                         200       200       200       200       200       200       200
api-initiative-list                               200       200       200       200       200       200       200
api-initiative-detail                             200       200       200       200       200       200       200
api-initiative-detail[draft]                      404       404       404       404       404       404       404
api-organisation-list                             200       200       200       200       200       200       200
api-organisation-detail                           200       200       200       200       200       200       200
api-sdg-list                                      200       200       200       200       200       200       200
api-sdg-detail                                    200       200       200       200       200       200       200
api-department-list                               200       200       200       200       200       200       200
api-department-detail                             200       200       200       200       200       200       200
api-sector-list                                   200       200       200       200       200       200       200
api-sector-detail                                 200       200       200       200       200       200       200
api-theme-list                                    200       200       200       200       200       200       200
api-theme-detail                                  200       200       200       200       200       200       200
api-field-of-action-list                          200       200       200       200       200       200       200
api-field-of-action-detail                        200       200       200       200       200       200       200
api-pe-category-list                              200       200       200       200       200       200       200
api-pe-category-detail                            200       200       200       200       200       200       200
api-intervention-area-list                        200       200       200       200       200       200       200
api-intervention-area-detail                      200       200       200       200       200       200       200
api-organisation-type-list                        200       200       200       200       200       200       200
api-organisation-type-detail                      200       200       200       200       200       200       200
api-root                                          200       200       200       200       200       200       200
opendata-page                                     200       200       200       200       200       200       200
opendata-root                                     302       302       302       302       302       302       302
initiatives-csv                                   200       200       200       200       200       200       200
initiatives-json                                  200       200       200       200       200       200       200
opendata-catalog                                  200       200       200       200       200       200       200
opendata-catalog-rdf                              200       200       200       200       200       200       200
healthz                                           200       200       200       200       200       200       200
health                                            200       200       200       200       200       200       200
# The admin site: staff only (with the second factor passed); the others are sent to its sign-in.
admin:index                                       admin     admin     admin     admin     200       200       200
admin:login                                       200       200       200       200       302       302       302
admin:logout                                      302       302       302       302       405       405       405
admin:otp_verify                                  admin     admin     admin     admin     302       302       302
admin:otp_setup                                   admin     admin     admin     admin     200       200       200
admin:otp_recovery_codes                          admin     admin     admin     admin     200       200       200
admin:password_change                             admin     admin     admin     admin     200       200       200
admin:password_change_done                        admin     admin     admin     admin     200       200       200
admin:jsi18n                                      admin     admin     admin     admin     200       200       200
admin:app_list                                    admin     admin     admin     admin     200       200       200
admin:app_list[auth]                              admin     admin     admin     admin     200       404       200
admin:autocomplete                                admin     admin     admin     admin     200       200       200
admin:autocomplete[users]                         admin     admin     admin     admin     200       403       200
admin:view_on_site                                admin     admin     admin     admin     302       302       302
admin:auth_user_password_change                   admin     admin     admin     admin     403       403       200
# The pages the ModelAdmins add (tests/test_admin_permissions.py checks that none writes for a viewer).
# A census workbook's job is followed by who uploaded it (the curator), not by the superuser.
admin:initiatives_person_import_template          admin     admin     admin     admin     403       200       200
admin:initiatives_person_import_rejected          admin     admin     admin     admin     403       200       200
admin:initiatives_person_process_import           admin     admin     admin     admin     405       405       405
admin:initiatives_person_import                   admin     admin     admin     admin     403       200       200
admin:initiatives_person_export                   admin     admin     admin     admin     200       200       200
admin:initiatives_initiative_review_queue         admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_review_message       admin     admin     admin     admin     405       405       405
admin:initiatives_initiative_review               admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_merges               admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_merge_undo           admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_merge_compare        admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_census_import        admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_census_template      admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_census_download      admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_census_job           admin     admin     admin     admin     403       200       403
admin:initiatives_initiative_census_confirm       admin     admin     admin     admin     405       405       405
admin:initiatives_initiative_census_rejected      admin     admin     admin     admin     403       302       403
admin:initiatives_initiative_import_template      admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_import_rejected      admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_process_import       admin     admin     admin     admin     405       405       405
admin:initiatives_initiative_import               admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_export               admin     admin     admin     admin     200       200       200
admin:initiatives_censuscampaign_figures          admin     admin     admin     admin     200       200       200
admin:initiatives_censuscampaign_non_respondents  admin     admin     admin     admin     403       200       200
admin:stakeholders_organisation_import_template   admin     admin     admin     admin     403       200       200
admin:stakeholders_organisation_import_rejected   admin     admin     admin     admin     403       200       200
admin:stakeholders_organisation_process_import    admin     admin     admin     admin     405       405       405
admin:stakeholders_organisation_import            admin     admin     admin     admin     403       200       200
admin:stakeholders_organisation_export            admin     admin     admin     admin     200       200       200
admin:impact_anvur_export                         admin     admin     admin     admin     200       200       200
admin:impact_importjob_status                     admin     admin     admin     admin     200       200       200
admin:impact_importjob_progress                   admin     admin     admin     admin     200       200       200
admin:impact_importjob_file                       admin     admin     admin     admin     200       200       200
admin:impact_importjob_confirm                    admin     admin     admin     admin     405       405       405
# Single sign-on (when POPS_SAML_* turn it on).
saml2_login                                       302       302       302       302       302       302       302
saml2_acs                                         405       405       405       405       405       405       405
saml2_metadata                                    200       200       200       200       200       200       200
""")

# The URLs that answer 405 to a GET, posted to with nothing in the body.
POST_MATRIX = table("""
# URL name                                        anonymous lead      other     coauthor  viewer    curator   superuser
census:autosave-new                               login     200       200       200       200       200       200
census:autosave                                   login     200       404       200       404       404       404
census:submit                                     login     302       404       302       404       404       404
census:withdraw                                   login     302       404       302       404       404       404
census:propose-update                             login     403       404       403       404       404       404
census:invite                                     login     302       404       302       404       404       404
census:message                                    login     302       404       302       404       404       404
census:lead-nomination-answer                     login     404       404       404       404       404       404
# The admin: empty posts, refused to a viewer before anything is read.
admin:logout                                      302       302       302       302       302       302       302
admin:initiatives_initiative_review_message       admin     admin     admin     admin     403       302       302
admin:initiatives_initiative_census_confirm       admin     admin     admin     admin     403       302       403
admin:impact_importjob_confirm                    admin     admin     admin     admin     403       302       403
admin:initiatives_person_process_import           admin     admin     admin     admin     403       200       200
admin:initiatives_initiative_process_import       admin     admin     admin     admin     403       200       200
admin:stakeholders_organisation_process_import    admin     admin     admin     admin     403       200       200
# Single sign-on: an answer that is no IdP's response.
saml2_acs                                         400       400       400       400       400       400       400
""")


# --- The world -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The people and their objects, in a transaction of the module's that
    is rolled back at its end (each case runs in a savepoint inside it)."""
    folder = tmp_path_factory.mktemp("matrix")
    files = {"MEDIA_ROOT": folder / "media", "PRIVATE_MEDIA_ROOT": folder / "private"}
    with (
        django_db_blocker.unblock(),
        override_settings(
            **files, CELERY_TASK_ALWAYS_EAGER=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        ),
        transaction.atomic(),
    ):
        built = build_world()
        built.files = files
        yield built
        transaction.set_rollback(True)


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    # The people.
    lead_user = UserFactory(username="lead-of-a", email="lead.of.a@example.org")
    other_user = UserFactory(username="other-researcher", email="other.researcher@example.org")
    coauthor_user = UserFactory(username="coauthor-of-a", email="coauthor.of.a@example.org")
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    curator = UserFactory(username="curator", is_staff=True)
    curators = Group.objects.create(name=CURATORS_GROUP)
    curators.permissions.set(Permission.objects.filter(content_type__app_label__in=CURATED_APPS))
    curator.groups.add(curators)
    superuser = UserFactory(username="superuser", superuser=True)
    for user in (viewer, curator, superuser):
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    StaticDevice.objects.create(user=curator, name="recovery codes", confirmed=True)
    w.users = {
        "anonymous": None,
        "lead": lead_user,
        "other": other_user,
        "coauthor": coauthor_user,
        "viewer": viewer,
        "curator": curator,
        "superuser": superuser,
    }
    lead = PersonFactory(user=lead_user, email=lead_user.email, public_profile=True, accepts_messages=True)
    other = PersonFactory(user=other_user, email=other_user.email)
    coauthor = PersonFactory(user=coauthor_user, email=coauthor_user.email)

    # Initiative A, a draft of the lead's with a co-author; the other
    # researcher's own draft; two published ones the public sees.
    w.a = InitiativeFactory(title_it=SECRET_TITLE, title_en=None, english=False, lead=lead, created_by=lead_user)
    ParticipationFactory(initiative=w.a, person=coauthor, role=Participation.Role.MEMBER, can_edit=True)
    PlaceFactory(initiative=w.a)
    w.others_draft = InitiativeFactory(lead=other, created_by=other_user)
    w.published = InitiativeFactory(published=True, lead=lead, created_by=lead_user)
    w.second = InitiativeFactory(published=True)
    for initiative in (w.published, w.second):
        PlaceFactory(initiative=initiative)
        ProductFactory(initiative=initiative)
        ImpactFactory(initiative=initiative)
    w.partnership = PartnershipFactory(initiative=w.published)
    TerritorialDemandFactory()
    # A merge to undo: two published look-alikes, one folded into the other.
    kept, folded = InitiativeFactory(published=True), InitiativeFactory(published=True)
    w.merge = merging.initiatives_merge(survivor=kept, other=folded, fields={}, sets={}, by=curator)

    # Personal links: a co-author invitation and a lead nomination on A for
    # people who are none of the seven, and the lead's campaign invitation.
    today = timezone.localdate()
    w.campaign = CensusCampaignFactory(
        year=today.year, opens_on=today - datetime.timedelta(days=10), closes_on=today + datetime.timedelta(days=60)
    )
    w.campaign.target_people.add(lead)
    w.campaign_invitation = CampaignInvitationFactory(campaign=w.campaign, person=lead)
    w.coauthor_invitation = CoauthorInvitation.objects.create(initiative=w.a, email="ospite@example.org")
    w.nomination = LeadNomination.objects.create(initiative=w.a, person=PersonFactory(), nominated_by=lead_user)
    FormDraft.objects.create(user=lead_user, initiative=w.a, step="who")
    OutboundEmail.objects.create(to="someone@example.org", subject="Oggetto", body="Testo")
    contact_relay(
        recipient=lead, initiative=w.published, sender_name="Visitatore", sender_email="v@example.org", message="Ciao"
    )
    AccessAttempt.objects.create(username="someone@example.org", ip_address="10.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="someone@example.org", ip_address="10.0.0.1")
    export_record(kind=ExportRecord.Kind.RESOURCE, fmt="csv", filters={}, row_count=1)

    # The curator's imports: a checked flat import waiting to be confirmed,
    # a census workbook's job, and a file of rows to correct.
    w.import_job = import_job_create(
        kind="initiatives",
        data="title_it;start_date\nMostra;2025-02-01\n".encode("utf-8-sig"),
        filename="iniziative.csv",
        total_rows=1,
        user=curator,
        dry_run=True,
    )
    run_import_job(w.import_job.pk)
    w.import_job.refresh_from_db()
    assert w.import_job.can_be_confirmed
    w.census_job = census_job_create(
        data=b"not a workbook", filename="censimento.xlsx", user=curator, arrival="submitted", valid_only=False
    )
    w.rejected_name = "0123456789abcdef0123456789abcdef.csv"
    private_storage().save(f"{REJECTED_DIR}/{w.rejected_name}", ContentFile(b"title_it;error\n"))
    w.reset_link = {
        "uidb64": urlsafe_base64_encode(force_bytes(lead_user.pk)),
        "token": default_token_generator.make_token(lead_user),
    }
    for model in admin.site._registry:
        assert model._default_manager.exists(), f"the matrix needs a {model._meta.label} row: add one to the world"
    return w


# --- The URLs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None  # namespace:name
    route: str
    callback: object


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Route(name, prefix + str(pattern.pattern), pattern.callback)


def saml_included() -> bool:
    return bool(settings.POPS_SAML_ENABLED)


def routes() -> list[Route]:
    """Every pattern the portal serves, SAML's too (pops/urls.py includes
    them only when SAML is on)."""
    patterns = list(get_resolver().url_patterns)
    if not saml_included():
        patterns.append(path("saml2/", include("pops.saml.urls")))
    return list(_walk(patterns))


SAML_NAMES = {f"{route.name}" for route in _walk([path("saml2/", include("pops.saml.urls"))])}


# --- The admin's model pages, from its registry --------------------------------------------

MODEL_PAGES = ("changelist", "add", "history", "delete", "change", "simple_history")

# Every registered ModelAdmin's five pages, and a past version's page
# (django-simple-history's, where a POST reverts) for those that keep
# history. The curator's cells hold for the four curated apps; on the others
# (accounts, sign-in records, devices) the curator has no right and gets 403.
# ADMIN_MODEL_EXCEPTIONS says where a ModelAdmin differs.
ADMIN_MODEL_PAGES = table("""
# page                                            anonymous lead      other     coauthor  viewer    curator   superuser
changelist                                        admin     admin     admin     admin     200       200       200
add                                               admin     admin     admin     admin     403       200       200
history                                           admin     admin     admin     admin     200       200       200
delete                                            admin     admin     admin     admin     403       200       200
change                                            admin     admin     admin     admin     200       200       200
simple_history                                    admin     admin     admin     admin     200       200       200
""")

ADMIN_MODEL_EXCEPTIONS = table("""
# URL name                                        anonymous lead      other     coauthor  viewer    curator   superuser
# Records the portal writes itself (sign-in records, devices, the workflow's moves, e-mails, visitors' messages, links,
# drafts, exports, imports): nobody adds them by hand, and most are kept for good.
admin:axes_accessattempt_add                      admin     admin     admin     admin     403       403       403
admin:axes_accesslog_add                          admin     admin     admin     admin     403       403       403
admin:axes_accesslog_delete                       admin     admin     admin     admin     403       403       403
admin:otp_totp_totpdevice_add                     admin     admin     admin     admin     403       403       403
admin:otp_static_staticdevice_add                 admin     admin     admin     admin     403       403       403
admin:initiatives_campaigninvitation_add          admin     admin     admin     admin     403       403       403
admin:initiatives_campaigninvitation_delete       admin     admin     admin     admin     403       403       403
admin:initiatives_statetransition_add             admin     admin     admin     admin     403       403       403
admin:initiatives_statetransition_delete          admin     admin     admin     admin     403       403       403
admin:initiatives_outboundemail_add               admin     admin     admin     admin     403       403       403
admin:initiatives_outboundemail_delete            admin     admin     admin     admin     403       403       403
admin:initiatives_contactmessage_add              admin     admin     admin     admin     403       403       403
admin:initiatives_contactmessage_delete           admin     admin     admin     admin     403       403       403
admin:initiatives_coauthorinvitation_add          admin     admin     admin     admin     403       403       403
admin:initiatives_coauthorinvitation_delete       admin     admin     admin     admin     403       403       403
admin:initiatives_leadnomination_add              admin     admin     admin     admin     403       403       403
admin:initiatives_leadnomination_delete           admin     admin     admin     admin     403       403       403
admin:initiatives_formdraft_add                   admin     admin     admin     admin     403       403       403
admin:initiatives_formdraft_delete                admin     admin     admin     admin     403       403       403
admin:impact_exportrecord_add                     admin     admin     admin     admin     403       403       403
admin:impact_exportrecord_delete                  admin     admin     admin     admin     403       403       403
admin:impact_importjob_add                        admin     admin     admin     admin     403       403       403
admin:impact_importjob_delete                     admin     admin     admin     admin     403       403       403
# The footer's three pages: staff edit them, nobody adds or deletes one.
admin:initiatives_sitepage_add                    admin     admin     admin     admin     403       403       403
admin:initiatives_sitepage_delete                 admin     admin     admin     admin     403       403       403
""")


def _model_page_names() -> dict[str, tuple[type, str]]:
    """Each ModelAdmin's pages of MODEL_PAGES, by URL name: Django's five,
    and a past version's for those that keep history."""
    names = {}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        own = {url.name for url in model_admin.get_urls()}
        for page in MODEL_PAGES:
            name = f"{opts.app_label}_{opts.model_name}_{page}"
            if name in own:
                names[f"admin:{name}"] = (model, page)
    return names


MODEL_PAGE_NAMES = _model_page_names()


def _admin_model_rows() -> dict[str, tuple[str, ...]]:
    rows = {}
    for name, (model, page) in MODEL_PAGE_NAMES.items():
        cells = list(ADMIN_MODEL_PAGES[page])
        if model._meta.app_label not in CURATED_APPS:
            cells[ROLES.index("curator")] = "403"
        rows[name] = ADMIN_MODEL_EXCEPTIONS.get(name, tuple(cells))
    return rows


ROWS = {**MATRIX, **_admin_model_rows()}
for _name in ADMIN_MODEL_EXCEPTIONS:
    assert _name in MODEL_PAGE_NAMES, f"ADMIN_MODEL_EXCEPTIONS: {_name} is no ModelAdmin's page"


def base_name(key: str) -> str:
    return key.split("[", 1)[0]


# --- Where each row's URL points -------------------------------------------------------------


def admin_object(model, w):
    """The row an admin page of `model` is asked about."""
    if model is Initiative:
        return w.a
    if model is ImportJob:
        return w.import_job
    if model._meta.label == settings.AUTH_USER_MODEL:
        return w.users["lead"]
    return model._default_manager.order_by("pk").first()


def _first(model):
    return model._default_manager.order_by("pk").first()


def _of_p(w, relation: str):
    """A vocabulary entry published initiative P is classified by."""
    return getattr(w.published, relation).order_by("pk").first()


def _a(w) -> list:
    return [w.a.pk]


def _census_job(w) -> list:
    return [w.census_job.pk]


def _import_job(w) -> list:
    return [w.import_job.pk]


def _rejected_file(w) -> list:
    return [w.rejected_name]


# The arguments of each row's URL: the world's objects. Initiative A for the
# census and the admin's pages of one initiative; published P (and what it
# is classified by) for the showcase and the API.
ARGS = {
    "api-initiative-detail": lambda w: [w.published.slug],
    "api-initiative-detail[draft]": lambda w: [w.a.slug],
    "api-organisation-detail": lambda w: [w.partnership.organisation.slug],
    "api-sdg-detail": lambda w: [_of_p(w, "sdgs").number],
    "api-department-detail": lambda w: [_of_p(w, "departments").code],
    "api-sector-detail": lambda w: [_of_p(w, "sectors").code],
    "api-theme-detail": lambda w: [_of_p(w, "themes").code],
    "api-field-of-action-detail": lambda w: [_first(FieldOfAction).pk],
    "api-pe-category-detail": lambda w: [_first(PublicEngagementCategory).pk],
    "api-intervention-area-detail": lambda w: [_first(InterventionArea).pk],
    "api-organisation-type-detail": lambda w: [w.partnership.organisation.type.code],
    "initiative-detail": lambda w: [w.published.slug],
    "initiative-detail[draft]": lambda w: [w.a.slug],
    "initiative-contact": lambda w: [w.published.slug],
    "initiative-contact[draft]": lambda w: [w.a.slug],
    "initiative-contact-sent": lambda w: [w.published.slug],
    "person-contact": lambda w: [w.users["lead"].person.slug],
    "person-contact-sent": lambda w: [w.users["lead"].person.slug],
    "person-detail": lambda w: [w.users["lead"].person.slug],
    "department-detail": lambda w: [_of_p(w, "departments").code],
    "sector-detail": lambda w: [_of_p(w, "sectors").code],
    "statistics-csv": lambda w: [stats.statistics()[0].key],
    "password_reset_confirm": lambda w: [w.reset_link["uidb64"], w.reset_link["token"]],
    **dict.fromkeys(
        ["census:review", "census:submit", "census:propose-update", "census:invite", "census:delete"]
        + ["census:withdraw", "census:message"],
        _a,
    ),
    "census:review[others-draft]": lambda w: [w.others_draft.pk],
    "census:review[published]": lambda w: [w.published.pk],
    "census:step": lambda w: [w.a.pk, "who"],
    "census:step[published]": lambda w: [w.published.pk, "who"],
    "census:autosave": lambda w: [w.a.pk, "who"],
    "census:accept-invitation": lambda w: [w.coauthor_invitation.link_token],
    "census:lead-nomination": lambda w: [w.nomination.link_token],
    "census:lead-nomination-answer": lambda w: [w.nomination.pk],
    "census:campaign-link": lambda w: [w.campaign_invitation.link_token],
    "admin:view_on_site": lambda w: [ContentType.objects.get_for_model(Initiative).pk, w.published.pk],
    "admin:app_list": lambda w: ["initiatives"],
    "admin:app_list[auth]": lambda w: ["auth"],
    "admin:auth_user_password_change": lambda w: [w.users["lead"].pk],
    "admin:initiatives_initiative_review": _a,
    "admin:initiatives_initiative_review_message": _a,
    "admin:initiatives_initiative_merge_undo": lambda w: [w.merge.pk],
    "admin:initiatives_initiative_merge_compare": lambda w: [w.published.pk],
    **dict.fromkeys(
        [f"admin:initiatives_initiative_census_{page}" for page in ("job", "confirm", "rejected")], _census_job
    ),
    **dict.fromkeys(
        [f"admin:{label}_import_rejected" for label in ("initiatives_person", "initiatives_initiative")]
        + ["admin:stakeholders_organisation_import_rejected"],
        _rejected_file,
    ),
    "admin:initiatives_censuscampaign_figures": lambda w: [w.campaign.pk],
    "admin:initiatives_censuscampaign_non_respondents": lambda w: [w.campaign.pk],
    **dict.fromkeys(
        [f"admin:impact_importjob_{page}" for page in ("status", "progress", "file", "confirm")], _import_job
    ),
}

# The query some rows add.
QUERIES = {
    "admin:autocomplete": lambda w: {"app_label": "initiatives", "model_name": "person", "field_name": "department"},
    # Suggestions of accounts, which the curator may not see.
    "admin:autocomplete[users]": lambda w: {
        "app_label": "initiatives",
        "model_name": "initiative",
        "field_name": "created_by",
    },
    "admin:initiatives_initiative_merge_compare": lambda w: {"with": w.second.pk},
}


def url_for(key: str, w) -> str:
    name = base_name(key)
    if key in ARGS:
        url = reverse(name, args=ARGS[key](w))
    elif name in MODEL_PAGE_NAMES:
        model, page = MODEL_PAGE_NAMES[name]
        obj = admin_object(model, w)
        if page in ("changelist", "add"):
            url = reverse(name)
        elif page == "simple_history":
            url = reverse(name, args=[obj.pk, obj.history.order_by("-history_id").first().history_id])
        else:
            url = reverse(name, args=[obj.pk])
    else:
        url = reverse(name)
    if key in QUERIES:
        url += "?" + urlencode(QUERIES[key](w))
    return url


# --- Asking -----------------------------------------------------------------------------------


def close_without_ending_the_test_transaction(response) -> None:
    """Close a response (a file download's open file) as the test client
    does, without `close_old_connections`, which on PostgreSQL would close
    the connection that holds the module's transaction."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def outcome(response, url: str) -> str:
    """The cell a response makes: its status, or `login` / `admin` for a
    redirect to a sign-in page that comes back to the URL asked."""
    if response.status_code == 302:
        location = urlsplit(response["Location"])
        after = parse_qs(location.query).get("next", [""])[0]
        comes_back = urlsplit(after).path == urlsplit(url).path
        if location.path == reverse("login") and comes_back:
            return "login"
        if location.path == reverse("admin:login") and comes_back:
            return "admin"
    return str(response.status_code)


def ask(w, key: str, role: str, method: str) -> tuple[str, str, bytes]:
    client = Client()
    if w.users[role] is not None:
        client.force_login(w.users[role])
    url = url_for(key, w)
    response = client.get(url) if method == "GET" else client.post(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    close_without_ending_the_test_transaction(response)
    return url, outcome(response, url), body


# --- The tests -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _the_worlds_files(world, settings, _isolated_settings):
    """The world's files (an upload, a file of rows to correct), where each
    test's settings would look elsewhere."""
    for name, folder in world.files.items():
        setattr(settings, name, folder)


def expect(w, key: str, role: str, method: str, rows: dict) -> None:
    url, got, body = ask(w, key, role, method)
    wanted = rows[key][ROLES.index(role)]
    assert got == wanted, f"{method} {url} ({key}) as {role}: {got}, where the matrix says {wanted}"
    if role in OUTSIDERS and got == "200":
        assert SECRET_TITLE.encode() not in body, f"{method} {url} ({key}) shows draft A's title to {role}"


def cases(rows: dict, *, saml: bool) -> list:
    return [
        pytest.param(key, role, id=f"{key}-{role}")
        for key in rows
        if (base_name(key) in SAML_NAMES) == saml
        for role in ROLES
    ]


@pytest.mark.parametrize(("key", "role"), cases(ROWS, saml=False))
def test_get(world, key, role):
    expect(world, key, role, "GET", ROWS)


@pytest.mark.parametrize(("key", "role"), cases(POST_MATRIX, saml=False))
def test_post(world, key, role):
    expect(world, key, role, "POST", POST_MATRIX)


@pytest.fixture(scope="module")
def saml_keys(tmp_path_factory):
    """The SP's key and certificate and an IdP's metadata (tests/security/saml_idp.py)."""
    if saml_idp.xmlsec1() is None:
        pytest.skip("xmlsec1 is not installed (Debian: apt-get install xmlsec1)")
    folder = tmp_path_factory.mktemp("saml")
    sp_key, sp_cert = saml_idp.key_pair(folder, "sp")
    idp_key, idp_cert = saml_idp.key_pair(folder, "idp")
    metadata = folder / "idp-metadata.xml"
    metadata.write_text(
        saml_idp.idp_metadata(saml_idp.idp_config(key_file=idp_key, cert_file=idp_cert, sp_metadata=None))
    )
    return sp_key, sp_cert, str(metadata)


def _reload_urls():
    import pops.urls

    importlib.reload(pops.urls)
    clear_url_caches()


@pytest.fixture
def saml_on(settings, saml_keys):
    """SAML as pops/settings.py turns it on from POPS_SAML_* (tests/security/test_saml.py)."""
    from pops.saml import config

    sp_key, sp_cert, idp_metadata = saml_keys
    sp_config = config.saml_config(
        entity_id="http://testserver/saml2/metadata/",
        base_url="http://testserver",
        key_file=sp_key,
        cert_file=sp_cert,
        idp_metadata_file=idp_metadata,
    )
    for name, value in config.django_settings(sp_config).items():
        setattr(settings, name, value)
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, config.SESSION_MIDDLEWARE
    )
    settings.MIDDLEWARE = middleware
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, config.BACKEND]
    _reload_urls()
    yield
    settings.POPS_SAML_ENABLED = False
    _reload_urls()


@pytest.mark.parametrize(("key", "role"), cases(ROWS, saml=True))
def test_get_with_saml_on(world, saml_on, key, role):
    expect(world, key, role, "GET", ROWS)


@pytest.mark.parametrize(("key", "role"), cases(POST_MATRIX, saml=True))
def test_post_with_saml_on(world, saml_on, key, role):
    expect(world, key, role, "POST", POST_MATRIX)


# --- The matrix keeps up with the URLs -----------------------------------------------------------


def urls_without_a_row(found: list[Route], rows) -> list[str]:
    covered = {base_name(key) for key in rows}
    named = {}
    for route in found:
        if route.name:
            named.setdefault(route.name, route.route)
    return [f"{name} ({pattern})" for name, pattern in named.items() if name not in covered]


def rows_without_a_url(found: list[Route], rows) -> list[str]:
    named = {route.name for route in found}
    return sorted(key for key in rows if base_name(key) not in named)


def test_every_url_has_a_row():
    missing = urls_without_a_row(routes(), ROWS)
    assert not missing, "URLs without a row in the permission matrix: " + "; ".join(missing)


def test_every_row_names_a_url():
    gone = rows_without_a_url(routes(), [*ROWS, *POST_MATRIX])
    assert not gone, "Rows of the permission matrix for URLs that are gone: " + ", ".join(gone)


def test_a_url_added_without_a_row_is_named_and_so_is_a_row_left_behind():
    added = Route("census:export", "it/census/<int:pk>/export/", None)
    assert urls_without_a_row([*routes(), added], ROWS) == ["census:export (it/census/<int:pk>/export/)"]
    assert rows_without_a_url(routes(), [*ROWS, "census:export"]) == ["census:export"]


def test_every_url_that_answers_405_to_a_get_is_also_posted_to():
    post_only = {key for key, cells in ROWS.items() if "405" in cells}
    assert post_only == set(POST_MATRIX)


def test_every_variant_says_where_it_points():
    assert [key for key in ROWS if "[" in key and key not in ARGS and key not in QUERIES] == []
    assert [key for key in [*ARGS, *QUERIES] if key not in ROWS] == []


def test_the_patterns_without_a_name_are_the_admins_own():
    """Django's admin leaves two unnamed: each ModelAdmin's old change URL
    (a redirect to the named one) and its catch-all (404, or its sign-in)."""
    unnamed = [route.route for route in routes() if route.name is None]
    admin_prefix = reverse("admin:index").lstrip("/")
    others = [
        pattern
        for pattern in unnamed
        if not (
            pattern.startswith(admin_prefix)
            and (pattern.endswith("/<path:object_id>/") or pattern == admin_prefix + "(?P<url>.*)$")
        )
    ]
    assert others == []
