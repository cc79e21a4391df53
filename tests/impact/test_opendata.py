"""Public open data downloads and the DCAT-AP_IT catalogue."""

import csv
import datetime
import io
import json
from xml.etree import ElementTree

import pytest
from rdflib import DCTERMS, FOAF, RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from impact.models import ExportRecord
from initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _downloads_recorded_afresh():
    """Anonymous downloads are recorded once an hour, as the cache remembers."""
    from django.core.cache import cache

    cache.clear()


def test_the_csv_download_has_only_published_initiatives_and_public_fields(client):
    InitiativeFactory(published=True, title_it="=pubblica", budget=1000)
    InitiativeFactory(title_it="Bozza")
    response = client.get("/opendata/initiatives.csv")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["title_it"] for row in rows] == ["'=pubblica"]
    assert "budget" not in rows[0] and "state" not in rows[0]
    assert "creativecommons.org/licenses/by/4.0" in response["Link"]
    assert ExportRecord.objects.get().kind == "open_data"


def test_the_json_download_states_the_licence(client):
    InitiativeFactory(published=True, title_it="Pubblica")
    data = json.loads(b"".join(client.get("/opendata/initiatives.json").streaming_content))
    assert data["licence"] == "CC BY 4.0"
    assert [item["title_it"] for item in data["data"]] == ["Pubblica"]


def test_the_dcat_catalogue_describes_the_dataset_and_its_distributions(client):
    catalogue = client.get("/opendata/catalog.jsonld").json()
    assert "dcatapit:Catalog" in catalogue["@type"]
    [dataset] = catalogue["dcat:dataset"]
    formats = [d["dct:format"]["@id"].rsplit("/", 1)[1] for d in dataset["dcat:distribution"]]
    assert formats == ["CSV", "JSON"]
    assert all("by/4.0" in d["dct:license"]["@id"] for d in dataset["dcat:distribution"])


def test_the_open_data_page_links_the_downloads_and_states_the_licence(client):
    body = client.get("/it/dati-aperti/").content.decode()
    assert "/opendata/initiatives.csv" in body and "CC BY 4.0" in body and "/api/docs/" in body


def test_the_address_the_catalogue_names_leads_to_the_page_in_the_visitors_language(client):
    """/opendata/, the catalogue's homepage and its dataset's identifier, stays
    in no language; the page itself is under /it/ and /en/."""
    catalogue = client.get("/opendata/catalog.jsonld").json()
    assert catalogue["foaf:homepage"]["@id"] == "http://testserver/opendata/"
    assert catalogue["dcat:dataset"][0]["@id"] == "http://testserver/opendata/#initiatives"
    assert client.get("/opendata/")["Location"] == "/it/dati-aperti/"
    assert client.get("/opendata/", headers={"accept-language": "en"})["Location"] == "/en/open-data/"


# --- The DCAT-AP_IT catalogue as RDF/XML -------------------------------------------------

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")


def catalogue_graphs(client) -> tuple[Graph, Graph]:
    """The catalogue read back from both serialisations."""
    rdf = client.get("/opendata/catalog.rdf")
    assert rdf["Content-Type"] == "application/rdf+xml; charset=utf-8"
    jsonld = client.get("/opendata/catalog.jsonld")
    from_xml = Graph().parse(data=rdf.content, format="xml")
    from_jsonld = Graph().parse(data=jsonld.content.decode(), format="json-ld")
    return from_xml, from_jsonld


def test_the_rdf_catalogue_is_well_formed_xml(client):
    root = ElementTree.fromstring(client.get("/opendata/catalog.rdf").content)
    assert root.tag == f"{{{RDF}}}RDF"


def test_the_rdf_and_the_json_ld_catalogues_describe_the_same_graph(client):
    InitiativeFactory(published=True)  # dct:modified comes from it, the same in both requests
    from_xml, from_jsonld = catalogue_graphs(client)

    assert len(from_xml) > 50
    assert isomorphic(from_xml, from_jsonld), "\n".join(
        sorted(f"{s} {p} {o}" for s, p, o in set(from_xml) ^ set(from_jsonld))
    )


def test_the_rdf_catalogue_describes_the_dataset_its_distributions_licence_and_publisher(client):
    InitiativeFactory(published=True, published_at=datetime.datetime(2025, 5, 4, 10, tzinfo=datetime.UTC))
    graph, _jsonld = catalogue_graphs(client)

    [catalog] = graph.subjects(RDF.type, DCATAPIT.Catalog)
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    [dataset] = graph.objects(catalog, DCAT.dataset)
    assert {DCAT.Dataset, DCATAPIT.Dataset} <= set(graph.objects(dataset, RDF.type))
    assert graph.value(dataset, DCTERMS.identifier) == Literal("pops-initiatives")
    assert {t.language for t in graph.objects(dataset, DCTERMS.title)} == {"it", "en"}
    assert graph.value(dataset, DCTERMS.modified) == Literal(datetime.date(2025, 5, 4))

    for agent in (
        graph.value(catalog, DCTERMS.publisher),
        graph.value(dataset, DCTERMS.publisher),
        graph.value(dataset, DCTERMS.rightsHolder),
    ):
        assert {FOAF.Organization, DCATAPIT.Agent} <= set(graph.objects(agent, RDF.type))
        assert graph.value(agent, FOAF.name) == Literal("Politecnico di Torino — PoliTO per il Sociale")

    distributions = sorted(graph.objects(dataset, DCAT.distribution))
    assert [str(d) for d in distributions] == [
        "http://testserver/opendata/initiatives.csv",
        "http://testserver/opendata/initiatives.json",
    ]
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert {DCTERMS.LicenseDocument, DCATAPIT.LicenseDocument} <= set(graph.objects(licence, RDF.type))
    for distribution in distributions:
        assert {DCAT.Distribution, DCATAPIT.Distribution} <= set(graph.objects(distribution, RDF.type))
        assert graph.value(distribution, DCAT.downloadURL) == distribution
        assert graph.value(distribution, DCAT.accessURL) == distribution
        assert graph.value(distribution, DCTERMS.license) == licence
        # The download URLs the catalogue gives are real.
        assert client.get(str(distribution).removeprefix("http://testserver")).status_code == 200


def test_the_open_data_page_links_both_catalogues(client):
    body = client.get("/en/open-data/").content.decode()
    for media_type, url in (
        ("application/ld+json", "/opendata/catalog.jsonld"),
        ("application/rdf+xml", "/opendata/catalog.rdf"),
    ):
        assert f'<link rel="alternate" type="{media_type}" href="{url}">' in body
        assert f'<a href="{url}">' in body
