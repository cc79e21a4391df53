"""The review page: a new submission shown whole, a change shown word by word,
and line endings that no longer make a text look changed."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from impact.factories import ImpactFactory, ProductFactory
from initiatives.factories import InitiativeFactory, PersonFactory, PlaceFactory, UserFactory
from initiatives.models import Initiative, Place
from initiatives.services.initiatives import initiative_start_update
from initiatives.services.review import Change, changes_since_approved
from pops.text import normalise_line_endings, word_diff
from stakeholders.factories import PartnershipFactory

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def curator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


# --- Line endings -------------------------------------------------------------------


def test_line_endings_become_lf():
    assert normalise_line_endings("uno\r\ndue\rtre\n") == "uno\ndue\ntre\n"
    assert normalise_line_endings(None) is None


def test_saving_an_initiative_and_its_rows_stores_lf():
    initiative = InitiativeFactory(description_it="Prima riga\r\nSeconda riga", needs="a\rb")
    place = PlaceFactory(initiative=initiative, address="Via Roma 1\r\nTorino")
    product = ProductFactory(initiative=initiative, description="Rapporto\r\nfinale")
    impact = ImpactFactory(initiative=initiative, description="Più\r\nservizi")
    initiative.refresh_from_db()
    assert (initiative.description_it, initiative.needs) == ("Prima riga\nSeconda riga", "a\nb")
    for row in (place, product, impact):
        row.refresh_from_db()
    assert place.address == "Via Roma 1\nTorino"
    assert product.description == "Rapporto\nfinale"
    assert impact.description == "Più\nservizi"
    # The history keeps what was stored.
    assert "\r" not in initiative.history.latest("history_date").description_it


def test_validating_normalises_before_a_bulk_write():
    """The imports validate with full_clean() and then write in bulk, without save()."""
    initiative = Initiative(title_it="Titolo", slug="titolo", summary_it="Riga uno\r\nRiga due")
    initiative.clean_fields()
    assert initiative.summary_it == "Riga uno\nRiga due"


def test_the_census_form_post_with_crlf_shows_no_change(client, curator):
    original = InitiativeFactory(published=True, description_it="Uno\nDue")
    copy = initiative_start_update(initiative=original, by=curator)
    copy.description_it = "Uno\r\nDue"  # what a browser posts from a textarea
    copy.save()
    copy.refresh_from_db()
    assert changes_since_approved(copy) == []


def test_the_migration_rewrites_what_is_stored():
    initiative = InitiativeFactory(published=True)
    place = PlaceFactory(initiative=initiative)
    # Stored before the rule, as the census did: update() skips save().
    Initiative.objects.filter(pk=initiative.pk).update(description_it="A\r\nB", objectives_en="C\rD")
    Place.objects.filter(pk=place.pk).update(address="Via\r\nPo")
    initiative.history.filter(history_id=initiative.history.latest("history_date").history_id).update(
        description_it="A\r\nB"
    )
    migration = importlib.import_module("initiatives.migrations.0014_normalise_line_endings")
    migration.normalise(django_apps, None)
    initiative.refresh_from_db()
    place.refresh_from_db()
    assert (initiative.description_it, initiative.objectives_en, place.address) == ("A\nB", "C\nD", "Via\nPo")
    assert initiative.history.latest("history_date").description_it == "A\nB"


# --- The diff -----------------------------------------------------------------------


def test_the_diff_marks_only_the_words_that_changed():
    before, after = word_diff("Orti alti sui tetti di Torino", "Orti alti sui tetti di Moncalieri")
    assert "Orti alti sui tetti di" in before and "Orti alti sui tetti di" in after
    assert before.count("<del>") == 1 and "Torino</del>" in before
    assert after.count("<ins>") == 1 and "Moncalieri</ins>" in after
    assert "<ins>" not in before and "<del>" not in after


def test_the_diff_labels_its_marks_for_screen_readers_and_escapes_text():
    with translation.override("en"):
        before, after = word_diff("a <b>bold", "a <i>italic")
    assert '<del><span class="visually-hidden">deleted </span>b</del>' in before
    assert '<ins><span class="visually-hidden">inserted </span>i</ins>' in after
    assert "<b>" not in before and "&lt;" in before and "<i>" not in after


def test_punctuation_is_a_word_of_its_own():
    before, after = word_diff("Laboratori a Torino.", "Laboratori a Torino e cintura.")
    assert "<del>" not in before
    assert after.count("<ins>") == 1 and "e cintura</ins>." in after


def test_the_diff_keeps_line_breaks():
    before, after = word_diff("uno\ndue", "uno\ntre")
    assert "uno<br>" in before and "tre" in after and "<br>" in after


def test_only_changed_fields_are_listed_and_shown_word_by_word(client, curator):
    original = InitiativeFactory(published=True, title_it="Orti alti", summary_it="Coltivare sui tetti di Torino.")
    copy = initiative_start_update(initiative=original, by=curator)
    Initiative.objects.filter(pk=copy.pk).update(summary_it="Coltivare sui tetti di Moncalieri.", state=S.SUBMITTED)
    copy.refresh_from_db()
    changes = changes_since_approved(copy)
    assert [change.label for change in changes] == [str(Initiative._meta.get_field("summary_it").verbose_name)]
    with translation.override("en"):
        page = client.get(reverse("admin:initiatives_initiative_review", args=[copy.pk])).content.decode()
    table = page[page.index('class="pops-diff"') : page.index("</table>", page.index('class="pops-diff"'))]
    assert "Moncalieri</ins>." in table and "Torino</del>." in table
    assert "<del>Coltivare" not in table  # the unchanged words are not struck
    assert "title" not in table.lower()


def test_a_change_object_marks_before_and_after():
    change = Change("summary", "una due", "una tre")
    assert "<del>" in change.before_marked and "<ins>" in change.after_marked


# --- A new submission, whole --------------------------------------------------------


def test_the_review_of_a_new_submission_shows_the_whole_record(client, curator):
    lead = PersonFactory(first_name="Giulia", last_name="Ferraris")
    initiative = InitiativeFactory(submitted=True, lead=lead, description_it="Una descrizione lunga.")
    partnership = PartnershipFactory(initiative=initiative)
    PlaceFactory(initiative=initiative, municipality="Moncalieri")
    product = ProductFactory(initiative=initiative, title="Mappa di comunità")
    ImpactFactory(initiative=initiative, description="Più orti condivisi")
    with translation.override("en"):
        page = client.get(reverse("admin:initiatives_initiative_review", args=[initiative.pk])).content.decode()
        sectors = [str(sector) for sector in initiative.sectors.all()]
    record = page[page.index('id="review-record"') :]
    for text in (
        "Giulia Ferraris",
        partnership.organisation.name,
        "Moncalieri",
        product.title,
        "Più orti condivisi",
        "Una descrizione lunga.",
        initiative.title_it,
    ):
        assert escape(text) in record, text
    for sector in sectors:
        assert escape(sector) in record, sector
    # Beside the record: completeness, duplicates and the decision.
    for section in ("review-completeness", "review-duplicates", "review-decision-heading"):
        assert f'id="{section}"' in page


def test_the_review_page_asks_the_same_queries_for_one_row_or_many(client, curator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(initiative) -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("admin:initiatives_initiative_review", args=[initiative.pk]))
        return len(captured)

    def initiative_with(rows: int, title: str):
        initiative = InitiativeFactory(submitted=True, title_it=title, members=PersonFactory.create_batch(rows))
        for _ in range(rows):
            PlaceFactory(initiative=initiative)
            ProductFactory(initiative=initiative)
            ImpactFactory(initiative=initiative)
            PartnershipFactory(initiative=initiative)
        return initiative

    # No query per person, partner, place, product or impact. (Titles that
    # look nothing alike: a look-alike found costs one query more, to read it.)
    many = initiative_with(6, "Orti condivisi sui tetti")
    one = initiative_with(1, "Robotica educativa nelle scuole")
    assert queries(many) == queries(one)
