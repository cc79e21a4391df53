"""The public showcase: only published initiatives, filters in the URL, and
the same number of queries whatever the number of rows."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actionplan.models import InterventionArea
from impact.factories import ImpactFactory, ProductFactory
from impact.models import SDG, FieldOfAction
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, PlaceFactory
from initiatives.models import Department, Initiative, Sector, Theme
from initiatives.showcase.cache import showcase_cache_invalidate
from stakeholders.factories import PartnershipFactory
from stakeholders.models import TargetGroup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def queries_for(client, url: str) -> int:
    """Queries of one request with a cold showcase cache."""
    showcase_cache_invalidate()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def make_rich(n: int, **kwargs) -> list[Initiative]:
    """Published initiatives with people, a partner, a place, a product, an
    achieved impact, and each classification their page shows."""
    classifications = {
        "themes": Theme.objects.all()[:1],
        "target_groups": TargetGroup.objects.all()[:1],
        "fields_of_action": FieldOfAction.objects.all()[:1],
        "intervention_areas": InterventionArea.objects.all()[:1],
    }
    for name, rows in classifications.items():
        assert rows, f"no {name} in the reference data"
    rows = []
    for _ in range(n):
        initiative = InitiativeFactory(published=True, **{**classifications, **kwargs})
        ParticipationFactory(initiative=initiative, person=PersonFactory(public_profile=True))
        PartnershipFactory(initiative=initiative)
        PlaceFactory(initiative=initiative)
        ProductFactory(initiative=initiative)
        ImpactFactory(initiative=initiative, achieved=True)
        rows.append(initiative)
    return rows


def test_the_list_shows_published_initiatives_and_never_drafts_or_working_copies(client):
    published = InitiativeFactory(published=True, title_it="Orti condivisi a Mirafiori")
    draft = InitiativeFactory(title_it="Bozza riservata")
    InitiativeFactory(submitted=True, revision_of=published, title_it="Copia di lavoro", slug="copia-di-lavoro")
    content = client.get(reverse("initiative-list")).content.decode()
    assert published.title_it in content
    assert draft.title_it not in content
    assert "Copia di lavoro" not in content


def test_two_facets_combine_and_their_counts_follow_the_other_filters(client):
    housing, health = Sector.objects.all()[:2]
    department = Department.objects.first()
    other_department = Department.objects.exclude(pk=department.pk).first()
    both = InitiativeFactory(
        published=True, sectors=[housing], departments=[department], title_it="Entrambi", english=False
    )
    InitiativeFactory(published=True, sectors=[housing], departments=[other_department], title_it="Solo settore")
    InitiativeFactory(published=True, sectors=[health], departments=[department], title_it="Solo dipartimento")

    response = client.get(reverse("initiative-list") + f"?sector={housing.code}&department={department.code}")
    content = response.content.decode()
    assert both.title_it in content
    assert "Solo settore" not in content and "Solo dipartimento" not in content
    facets = {facet.name: facet for facet in response.context["facets"]}
    # Sector counts are taken among the initiatives of the chosen department.
    sector_counts = {o.value: o.count for o in facets["sector"].options}
    assert sector_counts[housing.code] == 1 and sector_counts[health.code] == 1
    assert [o.value for o in facets["sector"].selected] == [housing.code]
    department_counts = {o.value: o.count for o in facets["department"].options}
    assert department_counts == {department.code: 1, other_department.code: 1}


def test_the_filter_state_survives_in_pagination_links(client):
    sector = Sector.objects.first()
    InitiativeFactory.create_batch(22, published=True, sectors=[sector])
    content = client.get(reverse("initiative-list") + f"?sector={sector.code}&sort=title").content.decode()
    assert f"sector={sector.code}" in content and "page=2" in content


def test_the_list_runs_the_same_queries_with_few_or_many_initiatives(client):
    # Right after a publication: the bitmap index of the public initiatives
    # (the initiatives, then each of the 7 vocabularies and its link table),
    # then the cards of the page (one query). With a sector, a scale and a
    # search: also the chosen sector (the form checks it) and the search.
    # Between two publications, a new combination of filters asks for those
    # two and the cards only.
    sector = Sector.objects.first()
    make_rich(2, sectors=[sector], scale="local")
    url = reverse("initiative-list") + f"?sector={sector.code}&scale=local&q=comunità"

    def new_request(url: str) -> int:
        version = cache.get("showcase:version")
        cache.clear()
        cache.set("showcase:version", version, None)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few = queries_for(client, reverse("initiative-list")), queries_for(client, url), new_request(url)
    make_rich(25, sectors=[sector], scale="local")
    many = queries_for(client, reverse("initiative-list")), queries_for(client, url), new_request(url)
    assert few == many == (1 + 2 * 7 + 1, 1 + 1 + 1 + 2 * 7 + 1, 1 + 1 + 1)


def test_a_warm_list_page_only_asks_for_the_page_of_results(client, settings):
    # Without the page cache: facets and count are cached, the page is not.
    settings.POPS_SHOWCASE_PAGE_CACHE = False
    make_rich(3)
    client.get(reverse("initiative-list"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("initiative-list"))
    # The cards of the page (their departments, sectors and SDGs come from
    # the index).
    assert len(captured.captured_queries) == 1


def test_an_anonymous_visitor_gets_cached_pages_until_an_initiative_is_published(client):
    from django.contrib.auth.models import Permission

    from initiatives.factories import UserFactory
    from initiatives.services.workflow import initiative_transition

    InitiativeFactory(published=True, title_it="Prima pubblicata", english=False)
    submitted = InitiativeFactory(submitted=True, title_it="Appena approvata", english=False)
    urls = [reverse("initiative-list"), reverse("initiative-list") + "?scale=local", reverse("home")]
    for url in urls:
        client.get(url)
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert len(captured.captured_queries) == 0, url  # served from the page cache
    assert "Appena approvata" not in client.get(reverse("initiative-list")).content.decode()

    curator = UserFactory(staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="change_initiative"))
    initiative_transition(initiative=submitted, to=Initiative.State.PUBLISHED, by=curator)
    assert "Appena approvata" in client.get(reverse("initiative-list")).content.decode()
    assert "Appena approvata" in client.get(reverse("home")).content.decode()


def test_the_page_cache_keys_on_the_query_string_and_skips_signed_in_users(client):
    sector, other = Sector.objects.all()[:2]
    InitiativeFactory(published=True, sectors=[sector], title_it="Nel settore", english=False)
    InitiativeFactory(published=True, sectors=[other], title_it="In un altro", english=False)
    url = reverse("initiative-list")
    assert "In un altro" in client.get(url).content.decode()
    assert "In un altro" not in client.get(url + f"?sector={sector.code}").content.decode()

    from initiatives.factories import UserFactory

    client.force_login(UserFactory())
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    assert len(captured.captured_queries) > 0  # rendered for the signed-in user


def test_the_language_switcher_links_to_this_page_in_each_language_without_a_form(client):
    initiative = InitiativeFactory(published=True)
    content = client.get(initiative.get_absolute_url() + "?x=1").content.decode()
    with translation.override("en"):
        english = reverse("initiative-detail", kwargs={"slug": initiative.slug})
    assert f'<a href="{english}?x=1" hreflang="en" lang="en"' in content
    assert "csrfmiddlewaretoken" not in content
    assert "csrftoken" not in client.cookies


def test_the_detail_people_and_statistics_pages_run_the_same_queries_at_any_size(client):
    # Every relation non-empty in both runs, so that only the number of rows differs.
    department = Department.objects.first()
    small = make_rich(1, departments=[department])[0]
    person = small.participations.order_by("-id").first().person
    person.department = department
    person.save()
    urls = [
        reverse("initiative-detail", kwargs={"slug": small.slug}),
        reverse("people"),
        reverse("person-detail", kwargs={"slug": person.slug}),
        reverse("department-detail", kwargs={"code": department.code}),
        reverse("sector-detail", kwargs={"code": small.sectors.first().code}),
        reverse("statistics"),
        reverse("home"),
        reverse("initiative-map"),
        reverse("initiative-map-data"),
    ]
    few = [queries_for(client, url) for url in urls]
    relations = (
        "departments",
        "sectors",
        "themes",
        "sdgs",
        "fields_of_action",
        "intervention_areas",
        "target_groups",
        "places",
        "products",
        "impacts",
        "partnerships",
        "participations",
    )
    sizes = {name: getattr(small, name).count() for name in relations}
    assert all(sizes.values()), sizes  # every relation of the detail page, non-empty
    for initiative in make_rich(12, departments=[department]):
        ParticipationFactory(initiative=initiative, person=person)
        ParticipationFactory.create_batch(2, initiative=initiative)
        PartnershipFactory.create_batch(2, initiative=small)
        PlaceFactory.create_batch(2, initiative=small)
        ProductFactory.create_batch(2, initiative=small)
        ImpactFactory.create_batch(2, initiative=small)
        ParticipationFactory(initiative=small)
    small.sectors.add(*Sector.objects.exclude(pk__in=small.sectors.all())[:2])
    small.sdgs.add(*SDG.objects.exclude(pk__in=small.sdgs.all())[:2])
    small.themes.add(*Theme.objects.exclude(pk__in=small.themes.all())[:2])
    small.fields_of_action.add(*FieldOfAction.objects.exclude(pk__in=small.fields_of_action.all())[:2])
    small.intervention_areas.add(*InterventionArea.objects.exclude(pk__in=small.intervention_areas.all())[:2])
    small.target_groups.add(*TargetGroup.objects.exclude(pk__in=small.target_groups.all())[:2])
    small.departments.add(*Department.objects.exclude(pk__in=small.departments.all())[:2])
    grown = {name: getattr(small, name).count() for name in relations}
    assert all(grown[name] > sizes[name] for name in relations), (sizes, grown)
    many = [queries_for(client, url) for url in urls]
    assert dict(zip(urls, few, strict=True)) == dict(zip(urls, many, strict=True))


def test_the_detail_page_shows_public_fields_links_people_who_opted_in_and_metadata(client):
    import html
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from stakeholders.factories import OrganisationFactory

    field = FieldOfAction.objects.first()
    area = InterventionArea.objects.select_related("vision").first()
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (20, 120, 60)).save(out, "PNG")
    initiative = InitiativeFactory(
        published=True,
        title_it="Energia di comunità",
        keywords="energia, quartiere",
        fields_of_action=[field],
        intervention_areas=[area],
        participants=1234,
        cover_image=SimpleUploadedFile("tetti.png", out.getvalue(), content_type="image/png"),
        cover_alt_it="Pannelli solari sui tetti di un cortile",
    )
    listed = PersonFactory(public_profile=True, first_name="Giulia", last_name="Listata")
    hidden = PersonFactory(public_profile=False, first_name="Marco", last_name="Nascosto")
    ParticipationFactory(initiative=initiative, person=listed)
    ParticipationFactory(initiative=initiative, person=hidden)
    partner = PartnershipFactory(
        initiative=initiative,
        organisation=OrganisationFactory(name="Cooperativa Sole", website="https://sole.example.org/"),
    )
    PartnershipFactory(initiative=initiative, organisation=OrganisationFactory(name="Comitato Borgata", website=""))
    place = PlaceFactory(initiative=initiative, municipality="Torino", address="Via Nizza 12")
    ProductFactory(
        initiative=initiative,
        title="Mappa dei tetti solari",
        url="https://example.org/mappa",
        description="Una mappa aperta delle superfici utili.",
        year=2024,
    )
    ProductFactory(initiative=initiative, title="Guida per i condomini", url="")
    ImpactFactory(
        initiative=initiative,
        achieved=True,
        indicator="Famiglie con energia condivisa",
        unit="famiglie",
        baseline=10,
        target=80,
        value=64,
        people_reached=210,
        evidence_url="https://example.org/rapporto",
    )
    ImpactFactory(initiative=initiative, indicator="Riduzione delle emissioni", unit="t CO2", baseline=0, target=50)

    raw = client.get(initiative.get_absolute_url()).content.decode()
    content = html.unescape(raw)
    # People: those who opted in link to their profile; the others are named only.
    assert f'<a href="{listed.get_absolute_url()}">Giulia Listata</a>' in content
    assert "Marco Nascosto" in content and hidden.get_absolute_url() not in content
    # Partners, with their website when they have one, role and type.
    assert '<a href="https://sole.example.org/" rel="noopener">Cooperativa Sole</a>' in content
    assert f"Cooperativa Sole</a> — {partner.get_role_display()}" in content
    assert partner.organisation.type.name in content
    assert "Comitato Borgata" in content
    # Places, listed and on the map.
    assert f"<li>{place}, Via Nizza 12</li>" in content
    assert 'id="initiative-map"' in content and '"lat": ' in content
    # Products, linked when they have a link.
    assert '<a href="https://example.org/mappa" rel="noopener">Mappa dei tetti solari</a>' in content
    assert "Una mappa aperta delle superfici utili." in content and "2024" in content
    assert "<strong>Guida per i condomini</strong>" in content
    # Impacts, with their indicators and figures.
    assert "Famiglie con energia condivisa (famiglie)" in content
    for figure in ("10", "80", "64", "210"):  # decimals only where a value has them
        assert f"<td>{figure}<" in content, figure
    assert '<a href="https://example.org/rapporto" rel="noopener">' in content
    assert "Riduzione delle emissioni (t CO2)" in content
    # The Action Plan area with its vision, the ANVUR field of action and figures.
    assert f'<li>{area.name} <span class="text-muted">({area.vision.name})</span></li>' in content
    assert f"<dd>{field}</dd>" in content
    assert "1.234" in content or "1,234" in content
    # The cover, with its text alternative, also for sharing.
    initiative.refresh_from_db()
    assert (
        f'<img class="img-fluid mb-4" src="{initiative.cover_image.url}" alt="Pannelli solari sui tetti di un cortile">'
        in content
    )
    assert f'<meta property="og:image" content="http://testserver{initiative.cover_image.url}">' in content
    # Metadata.
    assert 'property="og:title" content="Energia di comunità"' in content
    assert '<script id="initiative-jsonld" type="application/ld+json">' in content
    assert '"@type": "Project"' in content
    assert "pops-sdg-tile" in content
    # Never the budget or the needs.
    assert "budget" not in content.lower() and "needs" not in content.lower()


def test_the_sdg_tiles_pick_a_readable_text_colour():
    from initiatives.templatetags.showcase import text_color

    assert text_color("#FCC30B") == "#000000"  # SDG 7, yellow
    assert text_color("#19486A") == "#ffffff"  # SDG 17, dark blue


def test_every_page_offers_hreflang_alternates_in_both_languages(client):
    content = client.get(reverse("home")).content.decode()
    assert 'hreflang="it" href="http://testserver/it/"' in content
    assert 'hreflang="en" href="http://testserver/en/"' in content


def test_english_pages_fall_back_to_italian_content(client):
    InitiativeFactory(published=True, title_it="Laboratorio di quartiere", title_en="", english=False)
    with translation.override("en"):
        url = reverse("initiative-list")
    assert url.startswith("/en/")
    assert "Laboratorio di quartiere" in client.get(url).content.decode()


def test_the_map_data_follows_the_list_filters(client):
    sector, other = Sector.objects.all()[:2]
    inside = InitiativeFactory(published=True, sectors=[sector], title_it="Dentro", english=False)
    outside = InitiativeFactory(published=True, sectors=[other], title_it="Fuori", english=False)
    hidden = InitiativeFactory(title_it="Bozza")
    for initiative in (inside, outside, hidden):
        PlaceFactory(initiative=initiative)
    data = client.get(reverse("initiative-map-data") + f"?sector={sector.code}").json()
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["title"] for f in data["features"]] == ["Dentro"]
    everything = client.get(reverse("initiative-map-data")).json()
    assert {f["properties"]["title"] for f in everything["features"]} == {"Dentro", "Fuori"}


def test_the_map_page_reads_tiles_from_the_settings(client, settings):
    settings.POPS_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    content = client.get(reverse("initiative-map") + "?scale=local").content.decode()
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in content
    assert reverse("initiative-map-data") + "?scale=local" in content


def test_the_directory_only_lists_people_who_opted_in_with_their_published_initiatives(client):
    listed = PersonFactory(public_profile=True, last_name="Pubblica")
    PersonFactory(public_profile=False, last_name="Riservato")
    published = InitiativeFactory(published=True, lead=listed, title_it="Iniziativa visibile", english=False)
    InitiativeFactory(lead=False, members=[listed], title_it="Bozza invisibile")
    content = client.get(reverse("people")).content.decode()
    assert "Pubblica" in content and "Riservato" not in content
    assert published.title_it in content and "Bozza invisibile" not in content
    hidden = PersonFactory(public_profile=False)
    assert client.get(reverse("person-detail", kwargs={"slug": hidden.slug})).status_code == 404


def test_publishing_through_the_workflow_refreshes_the_cached_figures(client):
    from django.contrib.auth.models import Permission

    from initiatives.factories import UserFactory
    from initiatives.services.workflow import initiative_transition

    InitiativeFactory(published=True)
    assert client.get(reverse("home")).context["figures"]["initiatives"] == 1
    submitted = InitiativeFactory(submitted=True)
    curator = UserFactory(staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="change_initiative"))
    initiative_transition(initiative=submitted, to=Initiative.State.PUBLISHED, by=curator)
    assert client.get(reverse("home")).context["figures"]["initiatives"] == 2
    initiative_transition(initiative=submitted, to=Initiative.State.ARCHIVED, by=curator)
    assert client.get(reverse("home")).context["figures"]["initiatives"] == 1


def test_the_home_features_flagged_initiatives_first_then_the_latest(client):
    InitiativeFactory.create_batch(3, published=True)
    featured = InitiativeFactory(published=True, featured=True, title_it="In evidenza")
    featured.published_at = featured.published_at.replace(year=2000)
    featured.save()
    assert client.get(reverse("home")).context["featured"][0].slug == featured.slug


def test_the_home_offers_entry_points_by_sector_and_sdg(client):
    sdg = SDG.objects.get(number=4)
    sector = Sector.objects.first()
    InitiativeFactory(published=True, sdgs=[sdg], sectors=[sector])
    content = client.get(reverse("home")).content.decode()
    assert "?sdg=4" in content and f"?sector={sector.code}" in content


def test_the_sitemap_lists_public_pages_in_both_languages_and_no_unpublished_initiative(client):
    published = InitiativeFactory(published=True)
    draft = InitiativeFactory(slug="bozza-non-pubblicata")
    submitted = InitiativeFactory(submitted=True, slug="in-revisione")
    listed = PersonFactory(public_profile=True, slug="persona-nell-elenco")
    unlisted = PersonFactory(public_profile=False, slug="persona-riservata")
    ParticipationFactory(initiative=published, person=unlisted)
    department = Department.objects.first()
    sector = Sector.objects.first()
    pages = [
        ("home", {}),
        ("initiative-list", {}),
        ("initiative-map", {}),
        ("statistics", {}),
        ("people", {}),
        ("person-detail", {"slug": listed.slug}),
        ("department-detail", {"code": department.code}),
        ("sector-detail", {"code": sector.code}),
        ("initiative-detail", {"slug": published.slug}),
    ]
    content = client.get("/sitemap.xml").content.decode()
    for language in ("it", "en"):
        with translation.override(language):
            for name, kwargs in pages:
                url = reverse(name, kwargs=kwargs)
                assert url.startswith(f"/{language}/")
                assert f"<loc>http://testserver{url}</loc>" in content, url
                assert f'hreflang="{language}" href="http://testserver{url}"' in content, url
    assert 'hreflang="x-default"' in content
    for hidden in (draft.slug, submitted.slug, unlisted.slug):
        assert hidden not in content


def test_an_unexpected_error_answers_500_with_the_friendly_page(client, settings):
    from tests.initiatives.urls_with_an_error import FAILING_PATH

    settings.ROOT_URLCONF = "tests.initiatives.urls_with_an_error"
    client.raise_request_exception = False
    response = client.get(FAILING_PATH)
    assert response.status_code == 500
    content = response.content.decode()
    assert "pops-error-code" in content
    assert "<h1>Si è verificato un errore</h1>" in content
    assert "Something went wrong" in content
    assert "Traceback" not in content and "RuntimeError" not in content
    assert client.get("/it/").status_code == 200  # the rest of the site still works


def test_robots_txt_points_to_the_sitemap(client):
    content = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in content


def test_an_unknown_page_answers_with_the_friendly_404(client):
    response = client.get("/it/does-not-exist/")
    assert response.status_code == 404
    assert "pops-error-code" in response.content.decode()


# The home text is the project's own presentation (seeds 002, Italian, and 004,
# English), with all nine aims.
HOME_AIMS = 9


def home_text(client, language: str) -> tuple[str, str]:
    """The text of the home page in `language`, and that of its list of aims."""
    import html
    import re

    with translation.override(language):
        url = reverse("home")
    content = client.get(url).content.decode()
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)))
    aims = content[content.index('<details class="pops-aims">') : content.index("</details>")]
    assert aims.count("<li>") == HOME_AIMS
    return text, aims


def test_the_english_home_presents_the_project_in_its_own_words(client):
    text, aims = home_text(client, "en")
    assert '<h1 id="hero-title">PoliTO for Society</h1>' in client.get("/en/").content.decode()
    assert "PoliTO for Society (“PoliTO per il Sociale”) is a planning initiative on public outreach" in text
    assert "explores and promotes forms of research-action that, with a transformative intent" in text
    assert "to represent PoliTO's responsible attitude" in text
    for aim in (
        "registering, supplementing, and organising the set of social impact initiatives",
        "sizing and representing the impact of the various initiatives",
        "creating products, systems, and services for social innovation",
        "strategic and operational guidance tools, methodologies for extracting",
        "promoting participation in competitive tenders",
        "joining transnational networks on issues of expertise.",
    ):
        assert aim in text


def test_the_italian_home_presents_the_project_in_its_own_words(client):
    # Needs the Italian translations of the home text in locale/it.
    text, aims = home_text(client, "it")
    assert '<h1 id="hero-title">PoliTO per il Sociale</h1>' in client.get("/it/").content.decode()
    assert "PoliTO per il Sociale è un’iniziativa progettuale avviata dall’Ateneo sui temi della terza missione" in text
    assert "esplora e valorizza forme di ricerca-azione che, con un carattere di intenzionalità trasformativa" in text
    assert "l’attitudine responsabile dell’Ateneo" in text
    for aim in (
        "censire, integrare e mettere a sistema l’insieme di iniziative di impatto sociale",
        "dimensionare e rappresentare l’impatto delle diverse iniziative",
        "dare esito a prodotti, sistemi e servizi per l’innovazione sociale",
        "promuovere la partecipazione a bandi competitivi",
        "aderire a reti transnazionali sui temi di competenza.",
    ):
        assert aim in text


def test_the_detail_page_labels_begin_with_a_capital_in_italian(client):
    # "ANVUR fields of action" is also a model's verbose name, lower case in Italian.
    from impact.models import FieldOfAction

    initiative = InitiativeFactory(published=True, fields_of_action=[FieldOfAction.objects.first()])
    content = client.get(initiative.get_absolute_url()).content.decode()
    assert "<dt>Campi d'azione ANVUR</dt>" in content


@pytest.mark.parametrize("query", ["field=99999999999999999999", "area=-99999999999999999999", "sdg=18", "sector=nope"])
def test_an_unknown_or_out_of_range_vocabulary_value_is_ignored_not_an_error(client, query):
    InitiativeFactory(published=True, title_it="Sempre visibile")
    response = client.get(reverse("initiative-list") + "?" + query)
    assert response.status_code == 200
    assert "Sempre visibile" in response.content.decode()


def test_a_sector_page_leads_with_its_initiatives_then_a_few_of_its_people(client):
    sector = Sector.objects.first()
    other = Sector.objects.exclude(pk=sector.pk).first()
    initiatives = make_rich(8, sectors=[sector])
    make_rich(1, sectors=[other])
    with translation.override("en"):
        response = client.get(reverse("sector-detail", kwargs={"code": sector.code}))
        people_url = reverse("people") + f"?sector={sector.code}"
        home, listing = reverse("home"), reverse("initiative-list")
    html = response.content.decode()
    # The breadcrumb is the initiatives', not the directory's.
    assert f'<a href="{home}">Home</a>' in html and f'<a href="{listing}">Initiatives</a>' in html
    assert "8 initiatives" in html
    assert html.index("8 initiatives") < html.index("People in the directory")
    assert html.index(initiatives[0].title_en or initiatives[0].title_it) < html.index("People in the directory")
    # More people work on them than are shown: 6 are, the link leads to all of them.
    count = response.context["people_count"]
    assert count > 6 and len(response.context["people"]) == 6
    assert f"{count} people in the public directory work on the initiatives of this sector." in html
    assert f'href="{people_url}"' in html
    directory = client.get(people_url)
    assert directory.context["page"].paginator.count == count
    assert f'<option value="{sector.code}" selected>' in directory.content.decode()


def test_the_map_page_offers_the_same_filters_as_the_list_with_the_same_counts(client):
    sector, other = Sector.objects.all()[:2]
    for _ in range(3):
        PlaceFactory(initiative=InitiativeFactory(published=True, sectors=[sector], scale=Initiative.Scale.LOCAL))
    PlaceFactory(initiative=InitiativeFactory(published=True, sectors=[other]))
    query = {"sector": sector.code, "q": ""}
    listing = client.get(reverse("initiative-list"), query)
    on_map = client.get(reverse("initiative-map"), query)

    def counts(response):
        return {
            facet.name: [(o.value, o.count, o.selected) for o in facet.options] for facet in response.context["facets"]
        }

    assert counts(on_map) == counts(listing)
    assert on_map.context["count"] == listing.context["page"].paginator.count == 3
    html = on_map.content.decode()
    # The panel, the search box and the chips are the list's; the form stays on the map.
    assert '<form method="get" action="" id="filters"' in html
    assert f'name="sector" value="{sector.code}" checked' in html
    assert 'id="q" name="q"' in html
    assert 'class="pops-chips"' in html
    assert 'id="map-list"' in html


def test_the_map_page_sends_the_list_s_texts_in_the_page_language(client):
    with translation.override("en"):
        response = client.get(reverse("initiative-map"))
    texts = response.context["map_settings"]["texts"]
    assert texts["inViewMany"] == "%(count)s initiatives in this view"
    assert response.context["map_settings"]["listLimit"] == 50
    response = client.get(reverse("initiative-map"))
    assert response.context["map_settings"]["texts"]["inViewMany"] == "%(count)s iniziative in questa vista"
