"""Reads of the public showcase: headline figures, facet counts, entry
points and map data, cached until staff publish or unpublish something.

The cache is versioned: `showcase_cache_invalidate()` bumps one integer and
every cached entry of the previous version stops being read (each expires on
its own), so nothing has to enumerate keys. Whole public pages are cached the
same way for anonymous visitors (`cache_public_page`), keyed by their full URL.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import ExtractYear
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction, Impact
from stakeholders.models import OrganisationType, Partnership

from .filters import InitiativeFilter, public_initiatives
from .models import Department, Initiative, Place, Sector, Theme

VERSION_KEY = "showcase:version"
TIMEOUT = 60 * 60 * 6
# Whole pages also show people, partners and vocabularies, whose edits do not
# bump the version: they expire sooner.
PAGE_TIMEOUT = 60 * 10
MAX_CACHED_URL = 1000


def showcase_cache_invalidate() -> None:
    """Forget every cached showcase figure (call it when the set of public
    initiatives, or a public initiative, changes)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


@receiver(post_save, sender=Initiative)
@receiver(post_delete, sender=Initiative)
def _public_initiative_changed(sender, instance, **kwargs) -> None:
    """Any save or deletion of a public initiative (admin, shell, import,
    workflow) refreshes the showcase; drafts and working copies do not."""
    if instance.state == Initiative.State.PUBLISHED and instance.revision_of_id is None:
        showcase_cache_invalidate()


def cached(name: str, compute, *parts: str):
    """`compute()`, cached per showcase version, language and `parts`."""
    digest = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16] if parts else "-"
    key = f"showcase:{_version()}:{get_language()}:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


# --- Whole pages -----------------------------------------------------------------


def _page_cacheable(request) -> bool:
    return (
        getattr(settings, "POPS_SHOWCASE_PAGE_CACHE", True)
        and request.method == "GET"
        and len(request.get_full_path()) <= MAX_CACHED_URL
        and not request.user.is_authenticated
        # Pending messages are shown (and consumed) by the page: render it afresh.
        and not len(get_messages(request))
    )


def _response_cacheable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        # The page used a CSRF token: it differs per visitor.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
    )


def cache_public_page(view):
    """Serve a public GET page from the cache to anonymous visitors, keyed by
    its absolute URL (query string included), language and showcase version:
    `showcase_cache_invalidate()` retires every cached page at once."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _page_cacheable(request):
            return view(request, *args, **kwargs)
        url = hashlib.sha1(request.build_absolute_uri().encode()).hexdigest()
        key = f"showcase:{_version()}:{get_language()}:page:{url}"
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if _response_cacheable(request, response):
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)
        return response

    return wrapper


# --- Cards ------------------------------------------------------------------------


def card_prefetches(queryset):
    """What a card shows, prefetched into plain lists (`card_departments`,
    `card_sectors`, `card_sdgs`): no related manager is built per card."""
    return queryset.prefetch_related(
        Prefetch("departments", queryset=Department.objects.only("id", "code"), to_attr="card_departments"),
        Prefetch("sectors", to_attr="card_sectors"),
        Prefetch("sdgs", to_attr="card_sdgs"),
    )


# --- Home ------------------------------------------------------------------------


def headline_figures() -> dict:
    def compute():
        published = public_initiatives()
        ids = published.values("id")
        return {
            "initiatives": published.count(),
            "departments": Department.objects.filter(initiatives__in=ids).distinct().count(),
            "partners": Partnership.objects.filter(initiative__in=ids).values("organisation").distinct().count(),
            "people_reached": Impact.objects.filter(initiative__in=ids, kind=Impact.Kind.ACHIEVED).aggregate(
                total=Sum("people_reached")
            )["total"]
            or 0,
        }

    return cached("figures", compute)


def featured_initiatives(limit: int = 6) -> list[Initiative]:
    """The featured initiatives, completed with the latest ones up to `limit`."""
    # Sorting every public initiative on `featured` is a full scan: remember the
    # ids (per showcase version), then fetch those few rows by primary key.
    ids = cached(
        "featured",
        lambda: list(
            public_initiatives().order_by("-featured", "-published_at", "-id").values_list("id", flat=True)[:limit]
        ),
        str(limit),
    )
    rows = {row.id: row for row in card_prefetches(public_initiatives().filter(id__in=ids))}
    return [rows[pk] for pk in ids if pk in rows]


def entry_points() -> dict:
    """Sectors and SDGs with the number of public initiatives in each."""

    def compute():
        ids = public_initiatives().values("id")
        sectors = [
            {"code": s.code, "name": s.name, "count": s.n}
            for s in Sector.objects.annotate(n=Count("initiatives", filter=Q(initiatives__in=ids))).filter(n__gt=0)
        ]
        sdgs = [
            {"number": g.number, "name": g.name, "color": g.color, "count": g.n}
            for g in SDG.objects.annotate(n=Count("initiatives", filter=Q(initiatives__in=ids)))
        ]
        return {"sectors": sectors, "sdgs": sdgs}

    return cached("entry-points", compute)


# --- Facets of the list ------------------------------------------------------------


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False
    color: str = ""


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption]

    @property
    def selected(self) -> list[FacetOption]:
        return [o for o in self.options if o.selected]


def _m2m_counts(base, field: str) -> dict:
    relation = Initiative._meta.get_field(field)
    target = relation.m2m_reverse_field_name()
    rows = (
        relation.remote_field.through.objects.filter(initiative_id__in=base.values("id"))
        .values(target)
        .annotate(n=Count("initiative_id"))
        .order_by()
    )
    return {r[target]: r["n"] for r in rows}


def _vocabulary(model, key, counts, color=False, label=str):
    return [
        FacetOption(str(key(row)), label(row), counts.get(row.pk, 0), color=row.color if color else "")
        for row in model.objects.all()
        if counts.get(row.pk)
    ]


def _facet_definitions():
    """name → (label, function(base queryset) → [FacetOption])."""
    scale_labels = dict(Initiative.Scale.choices)
    return {
        "sector": (_("Sector"), lambda b: _vocabulary(Sector, lambda r: r.code, _m2m_counts(b, "sectors"))),
        "theme": (_("Theme"), lambda b: _vocabulary(Theme, lambda r: r.code, _m2m_counts(b, "themes"))),
        "department": (
            _("Department"),
            lambda b: _vocabulary(
                Department, lambda r: r.code, _m2m_counts(b, "departments"), label=lambda r: f"{r.code} · {r.name}"
            ),
        ),
        "sdg": (
            _("SDG"),
            lambda b: _vocabulary(SDG, lambda r: r.number, _m2m_counts(b, "sdgs"), color=True),
        ),
        "field": (
            _("ANVUR field of action"),
            lambda b: _vocabulary(FieldOfAction, lambda r: r.pk, _m2m_counts(b, "fields_of_action")),
        ),
        "area": (
            _("Action Plan area"),
            lambda b: _vocabulary(InterventionArea, lambda r: r.pk, _m2m_counts(b, "intervention_areas")),
        ),
        "partner_type": (
            _("Partner type"),
            lambda b: _vocabulary(
                OrganisationType,
                lambda r: r.code,
                {
                    r["organisation__type"]: r["n"]
                    for r in Partnership.objects.filter(initiative_id__in=b.values("id"))
                    .values("organisation__type")
                    .annotate(n=Count("initiative_id", distinct=True))
                    .order_by()
                },
            ),
        ),
        "scale": (
            _("Scale"),
            lambda b: [
                FacetOption(r["scale"], str(scale_labels[r["scale"]]), r["n"])
                for r in sorted(
                    b.exclude(scale="").values("scale").annotate(n=Count("id")).order_by(),
                    key=lambda r: list(scale_labels).index(r["scale"]),
                )
            ],
        ),
        "year": (
            _("Start year"),
            lambda b: [
                FacetOption(str(r["y"]), str(r["y"]), r["n"])
                for r in b.filter(start_date__isnull=False)
                .annotate(y=ExtractYear("start_date"))
                .values("y")
                .annotate(n=Count("id"))
                .order_by("-y")
            ],
        ),
        "status": (_("Status"), _status_options),
    }


def _status_options(base):
    today = timezone.localdate()
    ongoing = Q(end_date__isnull=True) | Q(end_date__gte=today)
    counts = base.aggregate(ongoing=Count("id", filter=ongoing), completed=Count("id", filter=~ongoing))
    return [
        FacetOption(InitiativeFilter.STATUS_ONGOING, str(_("Ongoing")), counts["ongoing"]),
        FacetOption(InitiativeFilter.STATUS_COMPLETED, str(_("Completed")), counts["completed"]),
    ]


FACET_NAMES = ("sector", "theme", "department", "sdg", "field", "area", "partner_type", "scale", "year", "status")


def filter_key(filterset: InitiativeFilter) -> str:
    """The filter state, normalised (sorted, without page and sort)."""
    data = filterset.data
    items = sorted((k, v) for k in data for v in data.getlist(k) if k not in ("page", "sort") and v)
    return "&".join(f"{k}={v}" for k, v in items)


def facets(filterset: InitiativeFilter) -> list[Facet]:
    """Every facet with the count of each value among the initiatives matching
    all the *other* filters, so that choosing a value never hides its siblings.
    Cached per filter state."""
    filterset.is_valid()
    definitions = _facet_definitions()

    def compute():
        return [
            (name, [o.__dict__ for o in definitions[name][1](filterset.queryset_without(name))]) for name in FACET_NAMES
        ]

    raw = cached("facets", compute, filter_key(filterset))
    result = []
    for name, options in raw:
        chosen = set(filterset.data.getlist(name))
        result.append(
            Facet(
                name,
                definitions[name][0],
                [FacetOption(**{**o, "selected": o["value"] in chosen}) for o in options],
            )
        )
    return result


def result_count(filterset: InitiativeFilter) -> int:
    return cached("count", lambda: filterset.qs.order_by().count(), filter_key(filterset))


# --- Map --------------------------------------------------------------------------


def map_features(filterset: InitiativeFilter) -> dict:
    """GeoJSON of the places (with coordinates) of the filtered initiatives."""
    language = (get_language() or "it")[:2]

    def compute():
        url_pattern = reverse("initiative-detail", kwargs={"slug": "SLUG"})
        rows = (
            Place.objects.filter(initiative_id__in=filterset.qs.order_by().values("id"), latitude__isnull=False)
            .values_list(
                "latitude",
                "longitude",
                "municipality",
                "initiative__slug",
                "initiative__title_it",
                f"initiative__title_{language}",
            )
            .order_by("id")
        )
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                    "properties": {
                        "title": title or title_it,
                        "place": municipality,
                        "url": url_pattern.replace("SLUG", slug),
                    },
                }
                for lat, lon, municipality, slug, title_it, title in rows
            ],
        }

    return cached("map", compute, filter_key(filterset))
