from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from initiatives.exchange import opendata

# Under /opendata/, in no language: the files, and the address the DCAT
# catalogue names the datasets by, which sends a visitor to the page in their
# language.
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="opendata-page"), name="opendata-root"),
    path("initiatives.csv", opendata.initiatives_csv, name="initiatives-csv"),
    path("initiatives.json", opendata.initiatives_json, name="initiatives-json"),
    path("catalog.jsonld", opendata.catalog_jsonld, name="opendata-catalog"),
    path("catalog.rdf", opendata.catalog_rdf, name="opendata-catalog-rdf"),
]

# The page, in each language (/it/dati-aperti/, /en/open-data/), so that its
# language switch leads to the other one.
page_urlpatterns = [
    path(_("open-data/"), opendata.opendata_page, name="opendata-page"),
]
