"""The public showcase: only published initiatives and public fields."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from actionplan.models import InterventionArea
from impact.models import Product
from initiatives.models import Competence, Department, Initiative, Participation, Person, Sector, SitePage
from initiatives.services import contact
from initiatives.services.merging import survivor_of
from initiatives.showcase import reads as showcase
from initiatives.showcase import stats
from initiatives.showcase.cache import cache_public_page
from initiatives.showcase.filters import InitiativeFilter
from initiatives.showcase.forms import ContactForm
from pops.security import client_ip, contact_wait, too_many_requests
from pops.spreadsheets import CSV, CSV_EXCEL
from stakeholders.models import Partnership

PAGE_SIZE = 20
PEOPLE_PAGE_SIZE = 24


@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "initiatives/home.html",
        {
            "figures": showcase.headline_figures(),
            "featured": showcase.featured_initiatives(),
            "entry_points": showcase.entry_points(),
        },
    )


@cache_public_page(filterset=InitiativeFilter)
def initiative_list(request: HttpRequest) -> HttpResponse:
    filterset = InitiativeFilter(request.GET, queryset=Initiative.objects.public())
    facets, _count = showcase.facets_and_count(filterset)
    page = Paginator(showcase.Results(filterset), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "initiatives/initiative_list.html",
        {
            "filter": filterset,
            "facets": facets,
            "page": page,
            "sorts": InitiativeFilter.SORTS,
            "active_sort": filterset.active_sort,
            "query": request.GET.get("q", ""),
        },
    )


@cache_public_page
def initiative_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        initiative = _public_initiative(slug)
    except Http404:
        # The address of an initiative merged into another lives on.
        survivor = survivor_of(slug)
        if survivor is None:
            raise
        response = HttpResponsePermanentRedirect(survivor.get_absolute_url())
        # Browsers keep a permanent redirect for good unless told otherwise:
        # an undone merge must give the address back at once.
        patch_cache_control(response, no_cache=True)
        return response
    places = [
        {"lat": float(p.latitude), "lng": float(p.longitude), "title": str(p)}
        for p in initiative.places.all()
        if p.has_coordinates
    ]
    return render(
        request,
        "initiatives/initiative_detail.html",
        {
            "initiative": initiative,
            "untranslated": showcase.untranslated(initiative),
            "page_url": (url := settings.SITE_URL + initiative.get_absolute_url()),
            "citation": showcase.citation(initiative, url),
            "map_places": places,
            "map_settings": _map_settings(),
            "contact_lead": contact.initiative_lead_to_write(initiative),
        },
    )


def _public_initiative(slug: str) -> Initiative:
    return get_object_or_404(
        Initiative.objects.public().prefetch_related(
            "departments",
            "sectors",
            "themes",
            "sdgs",
            "fields_of_action",
            Prefetch("intervention_areas", queryset=InterventionArea.objects.select_related("vision")),
            "target_groups",
            "places",
            Prefetch("products", queryset=Product.objects.select_related("category")),
            "impacts",
            Prefetch("partnerships", queryset=Partnership.objects.select_related("organisation__type")),
            Prefetch("participations", queryset=Participation.objects.select_related("person__department")),
        ),
        slug=slug,
    )


def _map_settings() -> dict:
    return {
        "tileUrl": settings.POPS_MAP_TILE_URL,
        "attribution": settings.POPS_MAP_TILE_ATTRIBUTION,
        "maxZoom": 18,
    }


def initiative_map(request: HttpRequest) -> HttpResponse:
    filterset = InitiativeFilter(request.GET, queryset=Initiative.objects.public())
    facets, count = showcase.facets_and_count(filterset)
    data_url = reverse("initiative-map-data") + ("?" + request.GET.urlencode() if request.GET else "")
    texts = {
        # The list beside the map, written by pops-showcase.js: "%(count)s" is
        # replaced by the number of initiatives in view.
        "inViewOne": ngettext("%(count)s initiative in this view", "%(count)s initiatives in this view", 1),
        "inViewMany": ngettext("%(count)s initiative in this view", "%(count)s initiatives in this view", 2),
        "more": gettext("The first %(count)s are listed: zoom in, or read them all as a list."),
        "none": gettext("No initiative in this view: zoom out or move the map."),
    }
    return render(
        request,
        "initiatives/map.html",
        {
            "filter": filterset,
            "facets": facets,
            "query": request.GET.get("q", ""),
            "list_url": reverse("initiative-list") + ("?" + request.GET.urlencode() if request.GET else ""),
            "count": count,
            "map_settings": {**_map_settings(), "dataUrl": data_url, "texts": texts, "listLimit": MAP_LIST_LIMIT},
        },
    )


# The list beside the map names at most this many initiatives of the view.
MAP_LIST_LIMIT = 50


@cache_public_page(filterset=InitiativeFilter)
@require_GET
def initiative_map_data(request: HttpRequest) -> JsonResponse:
    filterset = InitiativeFilter(request.GET, queryset=Initiative.objects.public())
    response = JsonResponse(showcase.map_features(filterset))
    response["Content-Type"] = "application/geo+json"
    return response


def _directory():
    """People in the public directory, with what a directory card shows."""
    return (
        Person.objects.in_directory()
        .select_related("department")
        .prefetch_related(
            "competences",
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.public().order_by("-published_at").distinct(),
                to_attr="public_initiatives",
            ),
        )
    )


def people(request: HttpRequest) -> HttpResponse:
    directory = _directory()
    department = request.GET.get("department", "")
    competence = request.GET.get("competence", "")
    sector = request.GET.get("sector", "")
    if department:
        directory = directory.filter(department__code=department)
    if competence:
        directory = directory.filter(competences__code=competence)
    if sector:
        directory = _in_sector(directory, sector)
    page = Paginator(directory.order_by("last_name", "first_name", "id"), PEOPLE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "initiatives/people.html",
        {
            "page": page,
            "departments": Department.objects.all(),
            "competences": Competence.objects.filter(people__public_profile=True).distinct(),
            "department": department,
            "competence": competence,
            "sectors": Sector.objects.all(),
            "sector": sector,
        },
    )


def person_detail(request: HttpRequest, slug: str) -> HttpResponse:
    person = get_object_or_404(Person.objects.in_directory().select_related("department"), slug=slug)
    ids = Initiative.objects.public().filter(participations__person=person).order_by("-published_at", "-id")
    initiatives = showcase.cards(list(dict.fromkeys(ids.values_list("id", flat=True))))
    return render(
        request,
        "initiatives/person_detail.html",
        {
            "person": person,
            "initiatives": initiatives,
            "competences": person.competences.all(),
            "may_write": contact.may_be_written_to(person),
        },
    )


# --- Writing to a person (services.contact) --------------------------------------
# Never cached (the form carries a CSRF token); rate limits per client are
# pops.security.LIMITS', per sender `contact_wait`.


def _initiative_contact(slug: str):
    found = contact.initiative_contact(slug)
    if found is None:
        raise Http404
    return found


def _person_contact(slug: str) -> Person:
    person = contact.person_contact(slug)
    if person is None:
        raise Http404
    return person


@require_http_methods(["GET", "POST"])
def initiative_contact(request: HttpRequest, slug: str) -> HttpResponse:
    initiative, lead = _initiative_contact(slug)
    return _contact(
        request,
        recipient=lead,
        initiative=initiative,
        sent_url=reverse("initiative-contact-sent", args=[slug]),
        back_url=initiative.get_absolute_url(),
    )


@require_GET
def initiative_contact_sent(request: HttpRequest, slug: str) -> HttpResponse:
    initiative, lead = _initiative_contact(slug)
    return render(
        request,
        "initiatives/contact_sent.html",
        {"recipient": lead, "initiative": initiative, "back_url": initiative.get_absolute_url()},
    )


@require_http_methods(["GET", "POST"])
def person_contact(request: HttpRequest, slug: str) -> HttpResponse:
    person = _person_contact(slug)
    return _contact(
        request,
        recipient=person,
        initiative=None,
        sent_url=reverse("person-contact-sent", args=[slug]),
        back_url=person.get_absolute_url(),
    )


@require_GET
def person_contact_sent(request: HttpRequest, slug: str) -> HttpResponse:
    person = _person_contact(slug)
    return render(
        request,
        "initiatives/contact_sent.html",
        {"recipient": person, "initiative": None, "back_url": person.get_absolute_url()},
    )


def _contact(request, *, recipient: Person, initiative: Initiative | None, sent_url: str, back_url: str):
    """The form, and on a valid POST the relay, then the thank-you page
    (post/redirect/get). A filled-in honeypot is answered as a success, with
    nothing stored or sent."""
    form = ContactForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        if form.is_robot():
            return redirect(sent_url)
        if form.is_valid():
            data = form.cleaned_data
            wait = contact_wait(request, data["email"])
            if wait:
                return too_many_requests(request, wait, messages=True)
            contact.contact_relay(
                recipient=recipient,
                initiative=initiative,
                sender_name=data["name"],
                sender_email=data["email"],
                message=data["message"],
                ip=client_ip(request),
            )
            return redirect(sent_url)
    return render(
        request,
        "initiatives/contact.html",
        {
            "form": form,
            "recipient": recipient,
            "initiative": initiative,
            "back_url": back_url,
            "retention_days": settings.POPS_CONTACT_RETENTION_DAYS,
        },
    )


def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    department = get_object_or_404(Department, code=code)
    return render(
        request,
        "initiatives/department_detail.html",
        {
            "department": department,
            "people": _directory().filter(department=department),
            "initiatives": showcase.latest_cards("department", department.code, 12),
            "list_url": reverse("initiative-list") + f"?department={department.code}",
        },
    )


SECTOR_CARDS = 12
SECTOR_PEOPLE = 6


def sector_detail(request: HttpRequest, code: str) -> HttpResponse:
    sector = get_object_or_404(Sector, code=code)
    people = _in_sector(_directory(), sector.code).order_by("last_name", "first_name", "id")
    return render(
        request,
        "initiatives/sector_detail.html",
        {
            "sector": sector,
            # The sector's initiatives lead; the people who run them follow,
            # the first few, with a link to all of them in the directory.
            "initiatives": showcase.latest_cards("sector", sector.code, SECTOR_CARDS),
            "initiative_count": showcase.facet_count("sector", sector.code),
            "people": people[:SECTOR_PEOPLE],
            "people_count": people.count(),
            "list_url": reverse("initiative-list") + f"?sector={sector.code}",
            "directory_url": reverse("people") + f"?sector={sector.code}",
        },
    )


def _in_sector(directory, sector: str):
    """The people of `directory` in a public initiative of the sector `sector` (a code)."""
    ids = Initiative.objects.public().filter(sectors__code=sector).values("id")
    return directory.filter(participations__initiative__in=ids).distinct()


@cache_public_page
def statistics(request: HttpRequest) -> HttpResponse:
    charts = stats.statistics()
    return render(
        request,
        "initiatives/statistics.html",
        {
            "charts": charts,
            "charts_data": [
                {"key": c.key, "title": c.title, "kind": c.kind, "rows": c.rows, "colors": c.colors} for c in charts
            ],
        },
    )


def statistics_csv(request: HttpRequest, key: str) -> HttpResponse:
    chart = stats.chart_by_key(key)
    if chart is None:
        raise Http404
    fmt = request.GET.get("format", CSV)
    if fmt not in (CSV, CSV_EXCEL):
        return HttpResponseBadRequest(_("Unknown format: choose csv or csv-excel."))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = "-excel" if fmt == CSV_EXCEL else ""
    response["Content-Disposition"] = f'attachment; filename="pops-{key}{suffix}.csv"'
    stats.write_csv(chart, response, fmt=fmt)
    return response


SITE_PAGE_TEMPLATES = {SitePage.Kind.ACCESSIBILITY: "initiatives/accessibility_statement.html"}


@cache_public_page
def site_page(request: HttpRequest, kind: str) -> HttpResponse:
    """The accessibility statement, the privacy notice or the legal notes, as
    staff wrote them in the admin (saving one replaces the showcase's cache
    version: signals.py)."""
    page = get_object_or_404(SitePage, kind=kind)
    return render(request, SITE_PAGE_TEMPLATES.get(page.kind, "initiatives/site_page.html"), {"page": page})
