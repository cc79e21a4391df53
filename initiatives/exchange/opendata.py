"""Open data: the published initiatives as CSV and JSON (public fields only,
licence CC BY 4.0) and a DCAT-AP_IT catalogue describing the datasets, as
JSON-LD and as RDF/XML."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rdflib import Graph

from impact.anvur import JOIN, export_record
from impact.models import ExportRecord
from initiatives.models import Initiative
from pops.spreadsheets import CSV, export_response
from stakeholders.models import Partnership

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "CC BY 4.0"
PUBLISHER = "Politecnico di Torino — PoliTO per il Sociale"
CHUNK_SIZE = 1000

# Public fields only: no people, budgets or workflow data.
COLUMNS = [
    ("slug", lambda i: i.slug),
    ("title_it", lambda i: i.title_it),
    ("title_en", lambda i: i.title_en or ""),
    ("summary_it", lambda i: i.summary_it or ""),
    ("summary_en", lambda i: i.summary_en or ""),
    ("start_date", lambda i: i.start_date),
    ("end_date", lambda i: i.end_date),
    ("scale", lambda i: i.scale),
    ("website", lambda i: i.website),
    ("keywords", lambda i: i.keywords),
    ("departments", lambda i: JOIN.join(sorted(d.code for d in i.departments.all()))),
    ("sectors", lambda i: JOIN.join(sorted(s.code for s in i.sectors.all()))),
    ("sdgs", lambda i: JOIN.join(str(n) for n in sorted(s.number for s in i.sdgs.all()))),
    ("fields_of_action", lambda i: JOIN.join(sorted({f.code for f in i.fields_of_action.all()}))),
    ("municipalities", lambda i: JOIN.join(p.municipality for p in i.places.all())),
    ("partners", lambda i: JOIN.join(Partnership.names(i, Partnership.ALL_ROLES))),
]
HEADER = [name for name, _value in COLUMNS]


def _public_queryset():
    return (
        Initiative.objects.public()
        .order_by("pk")
        .prefetch_related(
            "departments",
            "sectors",
            "sdgs",
            "fields_of_action",
            "places",
            Prefetch("partnerships", queryset=Partnership.objects.select_related("organisation")),
        )
    )


def public_rows() -> Iterator[list]:
    for initiative in _public_queryset().iterator(chunk_size=CHUNK_SIZE):
        yield [value(initiative) for _name, value in COLUMNS]


# Anonymous downloads are recorded once per format per this many seconds, not
# once each: a flood of downloads must not write a row per request.
RECORD_EVERY = 60 * 60


def _record(fmt: str, count: int) -> None:
    """Write down that the open data were downloaded in this format (at most
    once per RECORD_EVERY: the proxy's log counts each download)."""
    window = int(time.time()) // RECORD_EVERY
    if cache.add(f"opendata:recorded:{fmt}:{window}", True, RECORD_EVERY):
        export_record(kind=ExportRecord.Kind.OPEN_DATA, fmt=fmt, filters={}, row_count=count, source="public")


@require_GET
def initiatives_csv(request: HttpRequest):
    _record("csv", _public_queryset().count())
    response = export_response(HEADER, public_rows(), fmt=CSV, filename="pops-initiatives")
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def _json_chunks() -> Iterator[str]:
    meta = {"licence": LICENCE_NAME, "licence_url": LICENCE_URL, "publisher": PUBLISHER, "columns": HEADER}
    yield json.dumps(meta, ensure_ascii=False)[:-1] + ', "data": ['
    first = True
    for row in public_rows():
        record = {
            name: (cell.isoformat() if hasattr(cell, "isoformat") else cell)
            for name, cell in zip(HEADER, row, strict=True)
        }
        yield ("" if first else ",") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "]}"


@require_GET
def initiatives_json(request: HttpRequest):
    _record("json", _public_queryset().count())
    response = StreamingHttpResponse(_json_chunks(), content_type="application/json; charset=utf-8")
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def catalogue(request: HttpRequest) -> dict:
    """The DCAT-AP_IT description of the portal's datasets, as JSON-LD."""
    base = request.build_absolute_uri("/").rstrip("/")
    modified = (
        Initiative.objects.public().order_by("-published_at").values_list("published_at", flat=True).first()
        or timezone.now()
    )
    publisher = {
        "@type": ["foaf:Organization", "dcatapit:Agent"],
        "foaf:name": PUBLISHER,
        "dct:identifier": "PoliTO",
    }
    distributions = [
        ("initiatives.csv", "CSV", "text/csv", _("Published initiatives (CSV)")),
        ("initiatives.json", "JSON", "application/json", _("Published initiatives (JSON)")),
    ]
    dataset = {
        "@id": f"{base}{reverse('opendata-root')}#initiatives",
        "@type": ["dcat:Dataset", "dcatapit:Dataset"],
        "dct:identifier": "pops-initiatives",
        "dct:title": [
            {"@language": "it", "@value": "Iniziative a impatto sociale del Politecnico di Torino"},
            {"@language": "en", "@value": "Social-impact initiatives of the Politecnico di Torino"},
        ],
        "dct:description": [
            {
                "@language": "it",
                "@value": "Le iniziative pubblicate sul portale PoliTO per il Sociale: titolo, sintesi, date, "
                "settori, dipartimenti, SDG, luoghi e partner.",
            },
            {
                "@language": "en",
                "@value": "The initiatives published on the PoliTO per il Sociale portal: title, summary, dates, "
                "sectors, departments, SDGs, places and partners.",
            },
        ],
        "dct:publisher": publisher,
        "dct:rightsHolder": publisher,
        "dct:modified": {"@type": "xsd:date", "@value": modified.date().isoformat()},
        "dct:accrualPeriodicity": {"@id": "http://publications.europa.eu/resource/authority/frequency/IRREG"},
        "dcat:theme": [
            {"@id": "http://publications.europa.eu/resource/authority/data-theme/EDUC"},
            {"@id": "http://publications.europa.eu/resource/authority/data-theme/SOCI"},
        ],
        "dct:language": [
            {"@id": "http://publications.europa.eu/resource/authority/language/ITA"},
            {"@id": "http://publications.europa.eu/resource/authority/language/ENG"},
        ],
        "dcat:keyword": ["terza missione", "impatto sociale", "public engagement", "SDG"],
        "dcat:contactPoint": {
            "@type": ["vcard:Organization", "dcatapit:Organization"],
            "vcard:fn": "PoliTO per il Sociale",
            "vcard:hasEmail": {"@id": f"mailto:{settings.POPS_STAFF_EMAILS[0]}"},
        },
        "dcat:distribution": [
            {
                "@id": f"{base}{reverse(name.replace('.', '-'))}",
                "@type": ["dcat:Distribution", "dcatapit:Distribution"],
                "dct:title": title,
                "dct:format": {"@id": f"http://publications.europa.eu/resource/authority/file-type/{fmt}"},
                "dcat:mediaType": media_type,
                "dcat:accessURL": {"@id": f"{base}{reverse(name.replace('.', '-'))}"},
                "dcat:downloadURL": {"@id": f"{base}{reverse(name.replace('.', '-'))}"},
                "dct:license": {"@id": LICENCE_URL, "@type": ["dct:LicenseDocument", "dcatapit:LicenseDocument"]},
            }
            for name, fmt, media_type, title in distributions
        ],
    }
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "dcatapit": "http://dati.gov.it/onto/dcatapit#",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{base}{reverse('opendata-catalog')}",
        "@type": ["dcat:Catalog", "dcatapit:Catalog"],
        "dct:title": "PoliTO per il Sociale — open data",
        "dct:description": "Catalogo dei dati aperti del portale PoliTO per il Sociale.",
        "dct:publisher": publisher,
        "dct:modified": {"@type": "xsd:date", "@value": modified.date().isoformat()},
        "foaf:homepage": {"@id": f"{base}{reverse('opendata-root')}"},
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/ITA"},
        "dcat:dataset": [dataset],
    }


def catalogue_graph(request: HttpRequest) -> Graph:
    """The catalogue as an RDF graph: the JSON-LD of `catalogue()` read by
    rdflib, so that both serialisations come from one definition."""
    document = catalogue(request)
    graph = Graph(bind_namespaces="core")
    graph.parse(data=json.dumps(document), format="json-ld")
    for prefix, namespace in document["@context"].items():
        graph.bind(prefix, namespace, override=True)  # dct:, as DCAT-AP_IT writes it, not rdflib's dcterms:
    return graph


@require_GET
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    body = json.dumps(catalogue(request), ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/ld+json; charset=utf-8")


@require_GET
def catalog_rdf(request: HttpRequest) -> HttpResponse:
    """The same catalogue as RDF/XML (`catalog.rdf`), the serialisation that
    dati.gov.it harvests."""
    body = catalogue_graph(request).serialize(format="pretty-xml", encoding="utf-8")
    return HttpResponse(body, content_type="application/rdf+xml; charset=utf-8")


@require_GET
def opendata_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "impact/opendata.html",
        {"columns": HEADER, "licence_url": LICENCE_URL, "licence_name": LICENCE_NAME},
    )
