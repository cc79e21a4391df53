"""Merging two initiatives that are the same thing: the curator's choices,
nothing deleted, the old address redirecting, the record, and the undo."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db.models import DateTimeField
from django.urls import reverse
from django.utils import translation

from impact.anvur import anvur_queryset
from impact.factories import ImpactFactory, ProductFactory
from initiatives.exchange.census_export import export_queryset
from initiatives.exchange.opendata import public_rows
from initiatives.exchange.resources import InitiativeResource
from initiatives.factories import (
    InitiativeFactory,
    ParticipationFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)
from initiatives.models import Initiative, InitiativeMerge, Participation, Sector, Theme
from initiatives.services import merging
from initiatives.services.merging import COMBINE, OTHER, SURVIVOR
from initiatives.services.review import possible_duplicates
from initiatives.showcase import reads
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import Organisation

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def curator(client):
    user = UserFactory(is_staff=True, username="curatrice")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_initiative", "view_initiative", "delete_initiative"])
    )
    client.force_login(user)
    return user


def full_snapshot(initiative: Initiative) -> dict:
    """Every column of the initiative (but the time of its last save, which
    a merge and its undo are) and every set: classifications, and the related
    rows with all their values."""
    initiative = Initiative.objects.get(pk=initiative.pk)
    state = {
        field.attname: field.value_from_object(initiative)
        for field in Initiative._meta.concrete_fields
        if not (isinstance(field, DateTimeField) and field.auto_now)
    }
    state["cover_image"] = initiative.cover_image.name
    for name in Initiative.CLASSIFICATIONS:
        state[name] = sorted(getattr(initiative, name).values_list("pk", flat=True))
    for name in merging.RELATED_SETS:
        state[name] = list(getattr(initiative, name).order_by("pk").values())
    return state


def pair(**other):
    lead_a, lead_b, shared = PersonFactory(), PersonFactory(), PersonFactory()
    a = InitiativeFactory(
        published=True,
        title_it="Orti alti a Torino",
        title_en="High gardens in Turin",
        website="https://orti-alti.example.org",
        start_date=datetime.date(2024, 3, 1),
        end_date=None,
        lead=lead_a,
        # Fixed money: random amounts could mix into funding over the budget.
        budget=Decimal("20000"),
        external_funding=Decimal("5000"),
    )
    b = InitiativeFactory(
        **{
            "submitted": True,
            "title_it": "Orti Alti Torino",
            "title_en": "",
            "website": "https://www.ortialti.example.org",
            "start_date": datetime.date(2024, 2, 1),
            "end_date": datetime.date(2025, 6, 30),
            "lead": lead_b,
            "budget": Decimal("10000"),
            "external_funding": Decimal("2000"),
            **other,
        }
    )
    for initiative in (a, b):
        ParticipationFactory(initiative=initiative, person=shared)
        ProductFactory(initiative=initiative)
        ImpactFactory(initiative=initiative, description=f"Effetti di {initiative.title_it}")
        PlaceFactory(initiative=initiative, municipality="Torino", address="Via Roma 1")
    partner = OrganisationFactory()
    PartnershipFactory(initiative=a, organisation=partner)
    PartnershipFactory(initiative=b, organisation=partner)
    PartnershipFactory(initiative=b)
    a.sectors.set(Sector.objects.all()[:1])
    b.sectors.set(Sector.objects.all()[1:3])
    a.themes.set(Theme.objects.all()[:1])
    b.themes.set(Theme.objects.all()[2:3])
    return a, b


# --- The service ---------------------------------------------------------------------------


def test_the_curators_field_choices_are_honoured(curator):
    a, b = pair()
    merging.initiatives_merge(
        survivor=a,
        other=b,
        fields={"website": OTHER, "end_date": OTHER, "title_it": SURVIVOR},
        sets={"sectors": COMBINE, "themes": OTHER, "departments": SURVIVOR},
        by=curator,
    )
    a.refresh_from_db()
    assert a.website == "https://www.ortialti.example.org"
    assert a.end_date == datetime.date(2025, 6, 30)
    assert a.start_date == datetime.date(2024, 3, 1)
    assert a.title_it == "Orti alti a Torino" and a.title_en == "High gardens in Turin"
    assert set(a.sectors.all()) == set(Sector.objects.all()[:3])
    assert set(a.themes.all()) == set(b.themes.all())
    assert set(a.departments.all()) != set(b.departments.all()) or a.departments.count()


def test_combined_rows_repeat_nothing_and_the_lead_stays_single(curator):
    a, b = pair()
    people = set(a.participations.values_list("person", flat=True)) | set(
        b.participations.values_list("person", flat=True)
    )
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    assert set(a.participations.values_list("person", flat=True)) == people
    assert a.participations.count() == len(people)  # the shared person once
    assert a.participations.filter(role=Participation.Role.LEAD).get().person == a.lead()
    assert a.partnerships.count() == 2  # the shared partner once, the other's own one
    assert a.places.count() == 1  # the same place, once
    assert a.products.count() == 2 and a.impacts.count() == 2
    # The merged initiative keeps its own rows: the survivor got copies.
    assert b.participations.count() == 2 and b.partnerships.count() == 2 and b.places.count() == 1


def test_taking_the_others_people_makes_its_lead_the_lead(curator):
    a, b = pair()
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={"participations": OTHER}, by=curator)
    assert a.participations.get(role=Participation.Role.LEAD).person == b.lead()
    assert set(a.participations.values_list("person", flat=True)) == set(
        b.participations.values_list("person", flat=True)
    )


def test_values_that_do_not_go_together_are_refused_and_nothing_is_written(curator):
    a, b = pair()
    Initiative.objects.filter(pk=a.pk).update(start_date=datetime.date(2026, 1, 1))
    a.refresh_from_db()
    before = full_snapshot(a), full_snapshot(b)
    with pytest.raises(merging.ValidationError):
        # B's end (2025) before A's start (2026).
        merging.initiatives_merge(survivor=a, other=b, fields={"end_date": OTHER}, sets={}, by=curator)
    assert (full_snapshot(a), full_snapshot(b)) == before
    assert not InitiativeMerge.objects.exists()


def test_an_initiative_already_merged_or_being_updated_cannot_be_merged(curator):
    from initiatives.services.initiatives import initiative_start_update

    a, b = pair()
    c = InitiativeFactory()
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    b.refresh_from_db()
    assert merging.merge_problems(c, b)
    initiative_start_update(initiative=a, by=curator)
    assert merging.merge_problems(a, c)
    assert merging.merge_problems(c, c)


def test_the_merge_is_recorded(curator):
    a, b = pair()
    merge = merging.initiatives_merge(survivor=a, other=b, fields={"website": OTHER}, sets={}, by=curator)
    b.refresh_from_db()
    assert b.merged_into == a and b.merged_at == merge.at
    assert merge.survivor == a and merge.merged == b and merge.by == curator
    assert merge.choices["fields"]["website"] == OTHER and merge.choices["sets"]["sectors"] == COMBINE
    assert "Orti Alti Torino" in merge.description
    assert a.history.first().history_change_reason.startswith("Merged with")
    assert b.history.first().history_change_reason.startswith("Merged into")


def test_undo_puts_both_back_exactly(curator):
    a, b = pair()
    before = full_snapshot(a), full_snapshot(b)
    merge = merging.initiatives_merge(
        survivor=a,
        other=b,
        fields={"website": OTHER, "end_date": OTHER, "title_en": OTHER, "summary_it": OTHER},
        sets={"participations": OTHER, "partnerships": COMBINE, "places": OTHER, "sectors": OTHER, "themes": COMBINE},
        by=curator,
    )
    assert full_snapshot(a) != before[0]
    merging.merge_undo(merge=merge, by=curator)
    assert (full_snapshot(a), full_snapshot(b)) == before
    merge.refresh_from_db()
    assert merge.undone_at and merge.undone_by == curator
    assert merging.undo_problems(merge) == [str(merging.ALREADY_UNDONE)]


def test_undo_is_refused_when_the_survivor_changed_since(curator):
    a, b = pair()
    merge = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    a.refresh_from_db()
    a.summary_it = "Un riassunto scritto dopo la fusione."
    a.save()
    a.sdgs.clear()
    with translation.override("en"):
        problems = merging.undo_problems(merge)
        assert len(problems) == 1 and "summary (Italian)" in problems[0] and "SDGs" in problems[0]
    with pytest.raises(merging.ValidationError):
        merging.merge_undo(merge=merge, by=curator)
    b.refresh_from_db()
    assert b.merged_into == a


def test_a_later_merge_is_undone_first(curator):
    a, b = pair()
    c = InitiativeFactory(title_it="Orti alti Torino 2024")
    first = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    second = merging.initiatives_merge(survivor=a, other=c, fields={}, sets={}, by=curator)
    assert merging.undo_problems(first)
    merging.merge_undo(merge=second, by=curator)
    merging.merge_undo(merge=first, by=curator)


def test_the_old_helper_merges_each_duplicate_as_a_recorded_merge(curator):
    a, b = pair()
    c = InitiativeFactory()
    merging.initiative_merge(keep=a, duplicates=[b, c], by=curator)
    assert InitiativeMerge.objects.count() == 2
    assert set(Initiative.objects.filter(merged_into=a)) == {b, c}
    a.refresh_from_db()
    assert a.title_en == "High gardens in Turin"


def test_the_history_note_fits_whatever_the_title(curator):
    """django-simple-history keeps the note in a varchar(100): PostgreSQL
    refused a longer one (a 500 for any title over 79 characters)."""
    long_title = ("Laboratorio di progettazione partecipata " * 8)[:300]
    a = InitiativeFactory(published=True, title_it=long_title)
    b = InitiativeFactory(title_it=long_title[:299] + "x")
    merge = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    for initiative in (a, b):
        reason = initiative.history.first().history_change_reason
        assert len(reason) <= 100 and reason.endswith("…")
    assert long_title in merge.description
    merging.merge_undo(merge=merge, by=curator)
    assert len(a.history.first().history_change_reason) <= 100


# --- Hidden everywhere, the old address redirects ----------------------------------------------


def test_a_merged_initiative_is_hidden_from_every_list_and_export(client, curator, settings):
    a, b = pair(published=True, submitted=False)
    person = b.participations.exclude(person__in=a.participations.values("person")).first().person
    person.public_profile = True
    person.save()
    list_url = reverse("initiative-list")
    client.logout()
    assert "Orti Alti Torino" in client.get(list_url).content.decode()  # cached now
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={"participations": SURVIVOR}, by=curator)

    assert b not in Initiative.objects.public() and b not in Initiative.objects.originals()
    b.refresh_from_db()
    assert not b.is_public
    assert b.pk in Initiative.objects.hidden()[1].values_list("pk", flat=True)
    # The showcase: list (the cached page was retired), search, facets, people, sitemap.
    assert "Orti Alti Torino" not in client.get(list_url).content.decode()
    assert "Orti Alti Torino" not in client.get(list_url + "?q=Orti").content.decode()
    assert reads.public_counts("scale")[1] == Initiative.objects.public().count()
    assert "Orti Alti Torino" not in client.get(reverse("person-detail", args=[person.slug])).content.decode()
    assert b.slug not in client.get("/sitemap.xml").content.decode()
    # The API, the open data, the ANVUR report, the exports.
    api = client.get("/api/initiatives/").json()
    assert b.slug not in str(api)
    assert client.get(f"/api/initiatives/{b.slug}/").status_code == 404
    assert all(b.slug not in row for row in public_rows()) and any(a.slug in row for row in public_rows())
    assert b not in anvur_queryset(year=2024, states=[]) and a in anvur_queryset(year=2024, states=[])
    assert b not in InitiativeResource().get_queryset()
    assert b not in export_queryset(Initiative.objects.all())
    assert b not in Initiative.objects.editable_by(b.created_by or UserFactory())
    # Staff: not offered as a duplicate any more, not in the queue.
    assert b not in possible_duplicates(a)
    client.force_login(curator)
    queue = client.get(reverse("admin:initiatives_initiative_review_queue")).content.decode()
    assert "Orti Alti Torino" not in queue


def test_the_old_address_answers_301_to_the_survivor_and_again_after_the_undo(client, curator):
    a, b = pair(published=True, submitted=False)
    old = b.get_absolute_url()
    client.logout()
    assert client.get(old).status_code == 200
    merge = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == a.get_absolute_url()
    assert "no-cache" in response["Cache-Control"]  # an undo must reach browsers that followed it
    english = client.get(f"/en/initiatives/{b.slug}/")
    assert english.status_code == 301 and english["Location"].startswith("/en/")
    assert client.get(a.get_absolute_url()).status_code == 200
    merging.merge_undo(merge=merge, by=curator)
    assert client.get(old).status_code == 200


def test_the_old_address_follows_merges_of_merges_and_stays_404_for_an_unpublished_survivor(client, curator):
    a, b = pair(published=True, submitted=False)
    c = InitiativeFactory(published=True)
    d = InitiativeFactory(submitted=True)
    merging.initiatives_merge(survivor=b, other=c, fields={}, sets={}, by=curator)
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    client.logout()
    response = client.get(c.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == a.get_absolute_url()
    e = InitiativeFactory(published=True)
    old = e.get_absolute_url()
    merging.initiatives_merge(survivor=d, other=e, fields={}, sets={}, by=curator)
    assert client.get(old).status_code == 404


# --- The admin pages ----------------------------------------------------------------------------


def compare_url(a, b) -> str:
    return reverse("admin:initiatives_initiative_merge_compare", args=[a.pk]) + f"?with={b.pk}"


def answers(a, b, **chosen) -> dict:
    """What the comparison form posts: its defaults, then `chosen`."""
    fields, sets = merging.merge_comparison(a, b)
    data = {"survivor": "a"}
    data.update({f"field_{f.choice.key}": f.default for f in fields})
    data.update({f"set_{s.name}": s.default for s in sets})
    data.update(chosen)
    return data


def test_the_review_page_offers_compare_and_merge_for_each_suggestion(client, curator):
    a, b = pair()
    page = client.get(reverse("admin:initiatives_initiative_review", args=[b.pk])).content.decode()
    assert compare_url(b, a).replace("&", "&amp;") in page or compare_url(b, a) in page


def test_the_comparison_shows_both_side_by_side(client, curator, django_assert_max_num_queries):
    a, b = pair()
    with django_assert_max_num_queries(60):
        response = client.get(compare_url(a, b))
    content = response.content.decode()
    assert response.status_code == 200
    assert "https://orti-alti.example.org" in content and "https://www.ortialti.example.org" in content
    assert 'name="field_website"' in content and 'name="set_sectors"' in content and 'value="both"' in content


def test_merging_from_the_admin_shows_the_published_warning_then_merges_on_confirmation(client, curator):
    a, b = pair(published=True, submitted=False)
    data = answers(a, b, survivor="a", field_website="b", set_themes="b")
    with translation.override("en"):
        confirmation = client.post("/en" + compare_url(a, b)[3:], data)
    content = confirmation.content.decode()
    assert confirmation.status_code == 200 and 'id="merge-published-warning"' in content
    with translation.override("en"):
        assert b.get_absolute_url() in content
    assert "will redirect permanently" in content
    assert not InitiativeMerge.objects.exists()

    response = client.post(compare_url(a, b), {**data, "confirm": "yes"})
    assert response.status_code == 302
    merge = InitiativeMerge.objects.get()
    assert (merge.survivor, merge.merged) == (a, b)
    a.refresh_from_db()
    assert a.website == "https://www.ortialti.example.org"
    assert set(a.themes.all()) == set(b.themes.all())
    listing = client.get(reverse("admin:initiatives_initiative_merges")).content.decode()
    assert reverse("admin:initiatives_initiative_merge_undo", args=[merge.pk]) in listing


def test_the_survivor_may_be_either_one(client, curator):
    a, b = pair()
    client.post(compare_url(a, b), {**answers(a, b, survivor="b"), "confirm": "yes"})
    a.refresh_from_db()
    assert a.merged_into == b


def test_no_warning_when_no_published_initiative_disappears(client, curator):
    a, b = pair()
    content = client.post(compare_url(a, b), answers(a, b, survivor="a")).content.decode()
    assert "merge-published-warning" not in content and 'name="confirm"' in content


def test_a_merge_refused_by_the_rules_says_why_and_writes_nothing(client, curator):
    a, b = pair()
    Initiative.objects.filter(pk=a.pk).update(start_date=datetime.date(2026, 1, 1))
    with translation.override("en"):
        response = client.post("/en" + compare_url(a, b)[3:], {**answers(a, b, field_end_date="b"), "confirm": "yes"})
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert not InitiativeMerge.objects.exists()


def test_the_action_opens_the_comparison_of_exactly_two(client, curator):
    a, b = pair()
    c = InitiativeFactory()
    url = reverse("admin:initiatives_initiative_changelist")
    response = client.post(url, {"action": "merge_duplicates", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 302 and response["Location"] in (compare_url(a, b), compare_url(b, a))
    with translation.override("en"):
        response = client.post("/en" + url[3:], {"action": "merge_duplicates", "_selected_action": [a.pk, b.pk, c.pk]})
        said = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Select exactly two initiatives to compare and merge (you selected 3)." in said
    assert not InitiativeMerge.objects.exists() and not Initiative.objects.filter(merged_into__isnull=False).exists()


def test_undo_from_the_admin_after_a_confirmation(client, curator):
    a, b = pair(published=True, submitted=False)
    before = full_snapshot(a), full_snapshot(b)
    merge = merging.initiatives_merge(survivor=a, other=b, fields={"website": OTHER}, sets={}, by=curator)
    url = reverse("admin:initiatives_initiative_merge_undo", args=[merge.pk])
    assert 'id="undo-confirm"' in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert (full_snapshot(a), full_snapshot(b)) == before


def test_undo_from_the_admin_is_refused_with_the_reason(client, curator):
    a, b = pair()
    merge = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    Initiative.objects.filter(pk=a.pk).update(website="https://altro.example.org")
    with translation.override("en"):
        response = client.post("/en" + reverse("admin:initiatives_initiative_merge_undo", args=[merge.pk])[3:])
    assert response.status_code == 200 and "was changed after the merge (website)" in response.content.decode()
    b.refresh_from_db()
    assert b.merged_into == a


@pytest.mark.parametrize("codenames", [["view_initiative"], ["view_initiative", "change_initiative"]])
def test_staff_who_may_not_delete_initiatives_can_neither_merge_nor_undo(client, codenames):
    a, b = pair()
    merge = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=None)
    merging.merge_undo(merge=merge, by=None)
    merge = merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=None)
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    c = InitiativeFactory()
    for url in (
        compare_url(a, c),
        reverse("admin:initiatives_initiative_merges"),
        reverse("admin:initiatives_initiative_merge_undo", args=[merge.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(compare_url(a, c), {**answers(a, c), "confirm": "yes"}).status_code == 403
    assert client.post(reverse("admin:initiatives_initiative_merge_undo", args=[merge.pk])).status_code == 403
    merge.refresh_from_db()
    assert merge.undone_at is None and not Initiative.objects.filter(merged_into=a).exclude(pk=b.pk).exists()
    if "change_initiative" in codenames:
        page = client.get(reverse("admin:initiatives_initiative_review", args=[c.pk])).content.decode()
        assert "merge_compare" not in page and "/merge/" not in page


# --- Duplicate detection ------------------------------------------------------------------------


def test_an_initiative_merged_away_is_not_suggested_as_a_duplicate(curator):
    a, b = pair()
    c = InitiativeFactory(title_it="Orti alti in Torino")
    assert b in possible_duplicates(c)
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    assert b not in possible_duplicates(c) and a in possible_duplicates(c)


def test_duplicates_are_found_by_trigram_similarity_on_postgresql(on_postgres, django_assert_max_num_queries):
    if not on_postgres:
        pytest.skip("pg_trgm is PostgreSQL's")
    lead = PersonFactory()
    first = InitiativeFactory(title_it="Laboratorio di quartiere a Barriera di Milano", lead=lead)
    close = InitiativeFactory(title_it="Laboratori di quartiere in Barriera di Milano")
    fairly = InitiativeFactory(
        title_it="Laboratorio di quartiere per Aurora",
        lead=lead,
        start_date=first.start_date,
        end_date=first.end_date,
    )
    fairly_other_lead = InitiativeFactory(title_it="Laboratorio di quartiere per Aurora e Vanchiglia")
    unrelated = InitiativeFactory(title_it="Telemedicina per le valli alpine")
    with django_assert_max_num_queries(6):
        found = possible_duplicates(first)
    assert close in found and fairly in found
    assert unrelated not in found and fairly_other_lead not in found


def test_the_title_similarity_is_computed_by_the_database_on_postgresql(on_postgres):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = InitiativeFactory(title_it="Energia di comunità a Porta Palazzo")
    InitiativeFactory(title_it="Energia di comunità a Porta Palazzo e Aurora")
    with CaptureQueriesContext(connection) as captured:
        possible_duplicates(first)
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert ("SIMILARITY(" in sql.upper()) == on_postgres


def test_organisations_of_a_merged_initiative_only_count_through_the_survivor(curator):
    a, b = pair(published=True, submitted=False)
    own = b.partnerships.exclude(organisation__in=a.partnerships.values("organisation")).get().organisation
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={"partnerships": SURVIVOR}, by=curator)
    assert own not in Organisation.objects.with_published_initiatives()


def test_reverting_the_merged_initiative_from_its_history_keeps_it_merged(rf, curator):
    """A past version loaded whole would bring it back without undoing the
    merge: the admin keeps the merge's mark as it keeps the workflow's."""
    from django.contrib import admin

    a, b = pair()
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    past = b.history.order_by("history_date").first().instance
    assert past.merged_into_id is None
    request = rf.post("/")
    request.user = curator
    admin.site._registry[Initiative].save_model(request, past, form=None, change=True)
    b.refresh_from_db()
    assert b.merged_into == a and b.merged_at is not None


def test_going_back_from_the_confirmation_keeps_the_choices(client, curator):
    a, b = pair()
    data = answers(a, b, survivor="b", field_website="a")
    page = client.post(compare_url(a, b), {**data, "back": "1"}).content.decode()
    assert 'id="merge-form"' in page
    assert 'value="b" id="survivor-b" aria-describedby="survivor-help" checked' in page
    assert 'value="a" id="field_website-a" checked' in page
    assert not InitiativeMerge.objects.exists()


def test_by_default_the_survivor_keeps_its_values_and_fills_only_its_blanks():
    a, b = pair()
    Initiative.objects.filter(pk=a.pk).update(summary_en="", end_date=None, needs="")
    Initiative.objects.filter(pk=b.pk).update(summary_en="A summary", needs="")
    a.refresh_from_db()
    b.refresh_from_db()
    fields, sets = merging.merge_comparison(a, b, survivor=a)
    default = {f.choice.key: f.default for f in fields}
    assert default["summary_en"] == "b"  # a blank filled
    assert default["end_date"] == "a"  # ongoing stays ongoing
    assert default["needs"] == "a"  # empty on both sides: nothing taken
    assert default["website"] == "a"
    assert {s.name: s.default for s in sets}["sectors"] == "both"


def test_a_merged_away_initiative_cannot_move_in_the_workflow_until_the_merge_is_undone(client, curator):
    from django.core.exceptions import PermissionDenied

    from initiatives.services.workflow import MERGED_AWAY, allowed_targets, initiative_transition

    a, b = pair()
    merging.initiatives_merge(survivor=a, other=b, fields={}, sets={}, by=curator)
    b.refresh_from_db()
    assert b.state == Initiative.State.SUBMITTED and allowed_targets(b, curator) == []
    with pytest.raises(PermissionDenied, match=str(MERGED_AWAY)):
        initiative_transition(initiative=b, to=Initiative.State.PUBLISHED, by=curator)
    b.refresh_from_db()
    assert b.state == Initiative.State.SUBMITTED


def test_the_desk_links_the_merges_to_who_may_merge(client, curator):
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:initiatives_initiative_merges") in page
    viewer = UserFactory(is_staff=True, username="lettrice")
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_initiative"]))
    client.force_login(viewer)
    assert reverse("admin:initiatives_initiative_merges") not in client.get(reverse("admin:index")).content.decode()
