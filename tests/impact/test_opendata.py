"""Public open data downloads and the DCAT-AP_IT catalogue."""

import csv
import io
import json

import pytest

from impact.models import ExportRecord
from initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


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
    body = client.get("/opendata/").content.decode()
    assert "/opendata/initiatives.csv" in body and "CC BY 4.0" in body and "/api/docs/" in body
