"""The pages every Italian public-sector site links from its footer: the
accessibility statement (AgID's model), the privacy notice and the legal
notes, with texts staff edit in the admin; the open data page in both
languages; and the way back to the portal from the API's documentation."""

import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from initiatives.models import SitePage
from pops.reference_data import load_reference_data, site_page_values
from pops.text import simple_markup

pytestmark = pytest.mark.django_db

PAGES = [
    # kind, Italian URL and title, English URL and title
    (
        SitePage.Kind.ACCESSIBILITY,
        "/it/accessibilita/",
        "Dichiarazione di accessibilità",
        "/en/accessibility/",
        "Accessibility statement",
    ),
    (
        SitePage.Kind.PRIVACY,
        "/it/privacy/",
        "Informativa sul trattamento dei dati personali",
        "/en/privacy/",
        "Privacy notice",
    ),
    (SitePage.Kind.LEGAL, "/it/note-legali/", "Note legali", "/en/legal-notes/", "Legal notes"),
]
FOOTER_LINKS = {
    "it": [
        ("/it/accessibilita/", "Dichiarazione di accessibilità"),
        ("/it/privacy/", "Informativa sulla privacy"),
        ("/it/note-legali/", "Note legali"),
        ("/it/dati-aperti/", "Open data"),
        ("/api/docs/", "Documentazione dell'API"),
    ],
    "en": [
        ("/en/accessibility/", "Accessibility statement"),
        ("/en/privacy/", "Privacy notice"),
        ("/en/legal-notes/", "Legal notes"),
        ("/en/open-data/", "Open data"),
        ("/api/docs/", "API documentation"),
    ],
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


class Links(HTMLParser):
    """The links of a page (href and text), those of the footer apart, and the
    language switch's."""

    def __init__(self):
        super().__init__()
        self.links, self.footer, self.switch = [], [], {}
        self._open: list[list] = []
        self._in_footer = self._in_switch = False
        self._depth = {"footer": 0, "nav": 0}
        self._h1: list[str] | None = None
        self.h1 = ""
        self.h2: list[str] = []
        self._h2: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "footer":
            self._in_footer = True
        if tag == "nav" and "pops-language" in (attrs.get("class") or ""):
            self._in_switch = True
        if tag == "a":
            self._open.append([attrs.get("href"), [], attrs.get("hreflang")])
        if tag == "h1":
            self._h1 = []
        if tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag):
        if tag == "footer":
            self._in_footer = False
        if tag == "nav":
            self._in_switch = False
        if tag == "a" and self._open:
            href, text, hreflang = self._open.pop()
            link = (href, " ".join("".join(text).split()))
            self.links.append(link)
            if self._in_footer:
                self.footer.append(link)
            if self._in_switch and hreflang:
                self.switch[hreflang] = href
        if tag == "h1" and self._h1 is not None:
            self.h1, self._h1 = " ".join("".join(self._h1).split()), None
        if tag == "h2" and self._h2 is not None:
            self.h2.append(" ".join("".join(self._h2).split()))
            self._h2 = None

    def handle_data(self, data):
        for _href, text, _lang in self._open:
            text.append(data)
        if self._h1 is not None:
            self._h1.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def read(response) -> Links:
    parser = Links()
    parser.feed(response.content.decode())
    return parser


def html_lang(response) -> str:
    return re.search(r'<html lang="([a-z]+)"', response.content.decode()).group(1)


# --- The pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "it_url", "it_title", "en_url", "en_title"), PAGES)
def test_each_page_answers_in_both_languages_with_its_language_and_title(
    client, kind, it_url, it_title, en_url, en_title
):
    for url, language, title in ((it_url, "it", it_title), (en_url, "en", en_title)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert html_lang(response) == language
        assert read(response).h1 == title
        assert f"<title>{title} · POPS</title>" in response.content.decode()
        # The language switch leads to the same page in the other language.
        other = "en" if language == "it" else "it"
        assert read(response).switch[other] == (en_url if language == "it" else it_url)
    with translation.override("it"):
        assert SitePage.objects.get(kind=kind).get_absolute_url() == it_url


def test_a_page_says_when_it_was_last_updated(client):
    page = SitePage.objects.get(kind=SitePage.Kind.LEGAL)
    body = client.get("/it/note-legali/").content.decode()
    assert f'<time datetime="{page.updated_on:%Y-%m-%d}">' in body
    assert "Ultimo aggiornamento:" in body


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_home_page_footer_links_the_site_pages_the_open_data_and_the_api(client, language):
    response = client.get(f"/{language}/")
    footer = read(response).footer
    for link in FOOTER_LINKS[language]:
        assert link in footer, (link, footer)
    for url, _label in FOOTER_LINKS[language]:
        assert client.get(url).status_code == 200, url


def test_the_footer_marks_the_page_being_read(client):
    body = client.get("/en/privacy/").content.decode()
    assert '<a href="/en/privacy/" aria-current="page">Privacy notice</a>' in body
    assert '<a href="/en/legal-notes/">Legal notes</a>' in body


def test_the_open_data_page_switches_to_the_other_language(client):
    italian = client.get("/it/dati-aperti/")
    assert html_lang(italian) == "it"
    assert read(italian).switch == {"it": "/it/dati-aperti/", "en": "/en/open-data/"}
    english = client.get(read(italian).switch["en"])
    assert html_lang(english) == "en"
    assert read(english).h1 == "Open data"
    assert read(english).switch == {"it": "/it/dati-aperti/", "en": "/en/open-data/"}


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_api_documentation_links_back_to_the_portal(client, url):
    italian = client.get(url)
    assert html_lang(italian) == "it"
    assert ("/it/", "← PoliTO per il Sociale — torna al portale") in read(italian).links
    english = client.get(url, headers={"accept-language": "en"})
    assert html_lang(english) == "en"
    assert ("/en/", "← PoliTO for Society — back to the portal") in read(english).links
    assert ("/en/open-data/", "Open data") in read(english).links


def test_the_accessibility_statement_has_the_sections_of_agids_model(client):
    page = SitePage.objects.get(kind=SitePage.Kind.ACCESSIBILITY)
    response = client.get("/it/accessibilita/")
    parsed = read(response)
    assert parsed.h2 == [
        "Stato di conformità",
        "Contenuti non accessibili",
        "Redazione della dichiarazione di accessibilità",
        "Feedback e recapiti",
        "Procedura di attuazione",
        "Informazioni sul sito",
    ]
    body = response.content.decode()
    assert "Questo sito web è <strong>parzialmente conforme</strong>" in body
    assert "UNI CEI EN 301549" in body and "legge 9 gennaio 2004, n. 4" in body
    with translation.override("it"):
        assert f"redatta in data {date_format(page.evaluated_on)}," in body
    assert "un&#x27;autovalutazione effettuata direttamente dal Politecnico di Torino" in body
    assert "axe-core" in body  # the method, from the page's own field
    assert (f"mailto:{page.feedback_email}", page.feedback_email) in parsed.links
    assert ("https://form.agid.gov.it/", "https://form.agid.gov.it/") in parsed.links
    with translation.override("en"):
        english = read(client.get("/en/accessibility/"))
    assert english.h2[0] == "Compliance status" and english.h2[-1] == "Information about the site"


def test_a_fully_compliant_site_lists_no_cases_of_non_compliance(client):
    SitePage.objects.filter(kind=SitePage.Kind.ACCESSIBILITY).update(
        compliance_status=SitePage.Compliance.COMPLIANT, non_accessible_content_it="", non_accessible_content_en=""
    )
    body = client.get("/en/accessibility/").content.decode()
    assert "This website is <strong>compliant</strong> with the requirements of Annex A" in body
    assert "because of the cases of non-compliance" not in body
    assert "No content of the site is known to be inaccessible." in body


def test_the_default_privacy_notice_says_what_the_census_stores_and_the_rights(client, settings):
    italian = client.get("/it/privacy/").content.decode()
    english = client.get("/en/privacy/").content.decode()
    for needle in ("Politecnico di Torino", "ORCID", "15-22", "https://www.garanteprivacy.it/", "Garante"):
        assert needle in italian and needle in english, needle
    # The small-group rule of the statistics, with the setting's value.
    assert f"nessun gruppo di meno di {settings.POPS_MIN_GROUP_SIZE} persone" in italian
    assert f"no group of fewer than {settings.POPS_MIN_GROUP_SIZE} people" in english
    assert "genere" in italian and "gender" in english
    assert f"mailto:{settings.POPS_STAFF_EMAILS[0]}" in italian
    for body in (italian, english):
        assert "{" not in body.split('<main id="content"')[1].split("</main>")[0]  # every placeholder filled in


# --- Staff edit the text ---------------------------------------------------------------------


def privacy_form(page, **changes) -> dict:
    data = {
        "title_it": page.title_it,
        "title_en": page.title_en,
        "body_it": page.body_it,
        "body_en": page.body_en,
    }
    return {**data, **changes}


def test_a_staff_edit_is_shown_at_once_and_escaped(client, admin_client):
    page = SitePage.objects.get(kind=SitePage.Kind.PRIVACY)
    assert "Nuovo paragrafo" not in client.get("/it/privacy/").content.decode()  # now in the page cache
    body = "## Nuovo titolo\nNuovo paragrafo <script>alert('x')</script> & altro.\n\n- primo\n- secondo"
    response = admin_client.post(
        reverse("admin:initiatives_sitepage_change", args=[page.pk]),
        privacy_form(page, title_it="Privacy <b>POPS</b>", body_it=body),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shown = client.get("/it/privacy/").content.decode()
    assert "<h1>Privacy &lt;b&gt;POPS&lt;/b&gt;</h1>" in shown
    assert "<h2>Nuovo titolo</h2>" in shown
    assert "<p>Nuovo paragrafo &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; altro.</p>" in shown
    assert "<ul><li>primo</li><li>secondo</li></ul>" in shown
    assert "<script>alert" not in shown
    # English, left as it was, still shows the default.
    assert "Privacy notice" in client.get("/en/privacy/").content.decode()


def test_an_english_text_left_empty_falls_back_to_the_italian(client):
    SitePage.objects.filter(kind=SitePage.Kind.LEGAL).update(body_en="", title_en="")
    english = client.get("/en/legal-notes/")
    assert read(english).h1 == "Note legali"
    assert "Chi cura il sito" in english.content.decode()


def test_the_admin_offers_no_new_page_and_no_deletion(admin_client):
    changelist = admin_client.get(reverse("admin:initiatives_sitepage_changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(reverse("admin:initiatives_sitepage_add")).status_code == 403
    page = SitePage.objects.get(kind=SitePage.Kind.LEGAL)
    assert admin_client.get(reverse("admin:initiatives_sitepage_delete", args=[page.pk])).status_code == 403
    assert "delete_selected" not in changelist.content.decode()
    assert SitePage.objects.count() == 3


def test_the_admin_shows_agids_fields_only_on_the_accessibility_statement(admin_client):
    statement = SitePage.objects.get(kind=SitePage.Kind.ACCESSIBILITY)
    privacy = SitePage.objects.get(kind=SitePage.Kind.PRIVACY)
    form = admin_client.get(reverse("admin:initiatives_sitepage_change", args=[statement.pk])).content.decode()
    for name in (
        "compliance_status",
        "non_accessible_content_it",
        "non_accessible_content_en",
        "evaluated_on",
        "evaluation_method",
        "evaluation_details_it",
        "feedback_email",
        "implementation_procedure_url",
    ):
        assert f'name="{name}"' in form, name
    other = admin_client.get(reverse("admin:initiatives_sitepage_change", args=[privacy.pk])).content.decode()
    assert 'name="body_en"' in other and 'name="compliance_status"' not in other


def test_the_statement_cannot_lose_the_parts_agid_requires(admin_client):
    statement = SitePage.objects.get(kind=SitePage.Kind.ACCESSIBILITY)
    data = {
        **privacy_form(statement),
        "compliance_status": "",
        "non_accessible_content_it": statement.non_accessible_content_it,
        "non_accessible_content_en": statement.non_accessible_content_en,
        "evaluated_on": statement.evaluated_on.strftime("%d/%m/%Y"),
        "evaluation_method": statement.evaluation_method,
        "evaluation_details_it": statement.evaluation_details_it,
        "evaluation_details_en": statement.evaluation_details_en,
        "feedback_email": "",
        "implementation_procedure_url": statement.implementation_procedure_url,
    }
    response = admin_client.post(reverse("admin:initiatives_sitepage_change", args=[statement.pk]), data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"compliance_status", "feedback_email"}
    statement.refresh_from_db()
    assert statement.compliance_status and statement.feedback_email


# --- The reference data ----------------------------------------------------------------------


def test_reloading_the_reference_data_keeps_staff_edits_and_creates_a_missing_page(settings):
    SitePage.objects.filter(kind=SitePage.Kind.PRIVACY).update(body_it="Il testo dello staff.")
    SitePage.objects.filter(kind=SitePage.Kind.LEGAL).delete()
    settings.POPS_MIN_GROUP_SIZE = 7
    report = load_reference_data()
    assert report.created[SitePage] == 1 and report.unchanged[SitePage] == 2
    assert SitePage.objects.get(kind=SitePage.Kind.PRIVACY).body_it == "Il testo dello staff."
    legal = SitePage.objects.get(kind=SitePage.Kind.LEGAL)
    assert legal.title_it == "Note legali" and settings.POPS_STAFF_EMAILS[0] in legal.body_it
    assert load_reference_data().created[SitePage] == 0


def test_the_defaults_fill_in_the_settings_in_force(settings):
    settings.POPS_MIN_GROUP_SIZE = 7
    settings.POPS_MAP_TILE_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    values = site_page_values()
    assert values["min_group_size"] == "7" and values["map_tiles_host"] == "tiles.example.org"
    SitePage.objects.filter(kind=SitePage.Kind.PRIVACY).delete()
    load_reference_data()
    body = SitePage.objects.get(kind=SitePage.Kind.PRIVACY).body_it
    assert "nessun gruppo di meno di 7 persone" in body and "tiles.example.org" in body


def test_there_is_one_page_of_each_kind():
    assert sorted(SitePage.objects.values_list("kind", flat=True)) == sorted(SitePage.Kind.values)


def test_the_sitemap_lists_the_open_data_and_site_pages_in_both_languages(client):
    content = client.get("/sitemap.xml").content.decode()
    for url in ("/it/dati-aperti/", "/en/open-data/", "/it/accessibilita/", "/en/privacy/", "/it/note-legali/"):
        assert f"<loc>http://testserver{url}</loc>" in content, url


# --- The markup staff type -------------------------------------------------------------------


def test_the_markup_makes_paragraphs_headings_lists_and_links_and_escapes_the_rest():
    html = simple_markup(
        "Primo paragrafo,\nsu due righe.\r\n\r\n## Titolo\n### Sotto\n- uno\n- due <i>\n"
        "Scrivere a pops@polito.it o https://form.agid.gov.it/.\n\n<img src=x onerror=alert(1)>"
    )
    assert html == (
        "<p>Primo paragrafo,<br>su due righe.</p>\n"
        "<h2>Titolo</h2>\n"
        "<h3>Sotto</h3>\n"
        "<ul><li>uno</li><li>due &lt;i&gt;</li></ul>\n"
        '<p>Scrivere a <a href="mailto:pops@polito.it">pops@polito.it</a> o '
        '<a href="https://form.agid.gov.it/">https://form.agid.gov.it/</a>.</p>\n'
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
    )
    assert simple_markup("") == ""
