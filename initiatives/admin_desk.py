"""The admin's home page as the POPS desk: the review queue in two parts
(waiting on staff, waiting on the researchers) with the age of the oldest,
the open campaign's response figures, the links staff start their work from
(imports, the ANVUR export, the statistics), then the tables, with the
internal records (what the portal writes for itself) apart at the bottom.

`desk_context` is read by templates/admin/index.html through the `pops_desk`
tag (templatetags/desk.py): the admin site stays Django's own."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from impact.models import ExportRecord, ImportJob
from initiatives.services.campaigns import campaign_figures, campaign_open_now
from initiatives.services.review import review_queue_figures
from stakeholders.models import Organisation

from .models import CensusCampaign, Initiative, Person


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    help: str = ""


def _admin_of(site, model):
    return site._registry.get(model)


def _may(model_admin, permission: str, request) -> bool:
    check = getattr(model_admin, f"has_{permission}_permission", None) if model_admin else None
    return bool(check and check(request))


def desk_links(request, site=admin.site) -> dict[str, list[Link]]:
    """The desk's links, by group, each only for who may follow it."""
    initiatives = _admin_of(site, Initiative)
    people, organisations = _admin_of(site, Person), _admin_of(site, Organisation)
    exports, jobs = _admin_of(site, ExportRecord), _admin_of(site, ImportJob)
    campaigns = _admin_of(site, CensusCampaign)
    curation, imports, reports = [], [], []
    if _may(initiatives, "review", request):
        curation.append(Link(_("Review queue"), reverse("admin:initiatives_initiative_review_queue")))
    if _may(initiatives, "view", request):
        curation.append(Link(_("All initiatives"), reverse("admin:initiatives_initiative_changelist")))
    if _may(initiatives, "merge", request):
        curation.append(
            Link(
                _("Merges of initiatives"),
                reverse("admin:initiatives_initiative_merges"),
                _("Every merge, with its undo."),
            )
        )
    if _may(campaigns, "view", request):
        curation.append(Link(_("Census campaigns"), reverse("admin:initiatives_censuscampaign_changelist")))
    if _may(initiatives, "census_import", request):
        imports.append(
            Link(
                _("Import a census workbook"),
                reverse("admin:initiatives_initiative_census_import"),
                _("Initiatives with their people, partners, places, products and impacts (XLSX)."),
            )
        )
    for model_admin, label in (
        (initiatives, _("Import initiatives (flat file)")),
        (people, _("Import people")),
        (organisations, _("Import organisations")),
    ):
        if _may(model_admin, "import", request):
            opts = model_admin.model._meta
            imports.append(Link(label, reverse(f"admin:{opts.app_label}_{opts.model_name}_import")))
    if _may(jobs, "view", request):
        imports.append(Link(_("Import jobs"), reverse("admin:impact_importjob_changelist")))
    if _may(exports, "anvur_export", request):
        reports.append(Link(_("ANVUR third-mission export"), reverse("admin:impact_anvur_export")))
    if _may(exports, "view", request):
        reports.append(Link(_("Export records"), reverse("admin:impact_exportrecord_changelist")))
    reports.append(Link(_("Public statistics"), reverse("statistics")))
    return {"curation": curation, "imports": imports, "reports": reports}


def split_app_list(app_list, site=admin.site) -> tuple[list[dict], list[dict]]:
    """The admin's list of apps without the internal records, and the
    internal records (`InternalRecordAdmin`), each with its app's name."""
    apps, internal = [], []
    for app in app_list:
        models = []
        for entry in app["models"]:
            model_admin = _admin_of(site, entry.get("model"))
            if getattr(model_admin, "internal_record", False):
                internal.append({**entry, "app_name": app["name"]})
            else:
                models.append(entry)
        if models:
            apps.append({**app, "models": models})
    return apps, internal


def desk_context(request, app_list, site=admin.site) -> dict:
    """Everything the desk shows. A constant number of queries, whatever the
    size of the queue or of the campaign: two for the queue, one to find the
    open campaign and two for its figures."""
    initiatives = _admin_of(site, Initiative)
    campaigns = _admin_of(site, CensusCampaign)
    queue = review_queue_figures() if _may(initiatives, "review", request) else None
    campaign = campaign_open_now() if _may(campaigns, "view", request) else None
    apps, internal = split_app_list(app_list, site)
    return {
        "queue": queue,
        "campaign": campaign,
        "campaign_figures": campaign_figures(campaign) if campaign else None,
        "links": desk_links(request, site),
        "apps": apps,
        "internal": internal,
    }
