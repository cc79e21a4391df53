from django.urls import path

from initiatives.exchange import opendata

urlpatterns = [
    path("", opendata.opendata_page, name="opendata-page"),
    path("initiatives.csv", opendata.initiatives_csv, name="initiatives-csv"),
    path("initiatives.json", opendata.initiatives_json, name="initiatives-json"),
    path("catalog.jsonld", opendata.catalog_jsonld, name="opendata-catalog"),
    path("catalog.rdf", opendata.catalog_rdf, name="opendata-catalog-rdf"),
]
