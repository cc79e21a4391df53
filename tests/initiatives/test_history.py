"""The history of an initiative: every change in full, each language once,
who wrote a change and who approved it, and every string translated;
Django's admin messages worded so that Italian needs no agreement."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory, PersonFactory, UserFactory
from initiatives.models import Initiative
from initiatives.services.initiatives import initiative_start_update
from initiatives.services.workflow import initiative_transition
from pops.admin import NeutralMessagesMixin, neutral_message

pytestmark = pytest.mark.django_db
S = Initiative.State

LONG = " ".join(["Un orto condiviso sul tetto della scuola"] * 8)  # over 300 characters


@pytest.fixture
def curator(client):
    user = UserFactory(is_staff=True, is_superuser=True, username="curatrice")
    client.force_login(user)
    return user


def _history_page(client, initiative) -> str:
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_history", args=[initiative.pk])
        return client.get(url).content.decode()


def test_a_change_is_shown_in_full_word_by_word(client, curator):
    initiative = InitiativeFactory(published=True, description_it=LONG)
    initiative.description_it = LONG.replace("della scuola", "del quartiere", 1)
    initiative.save()
    page = _history_page(client, initiative)
    assert "chars]" not in page
    assert "quartiere</ins>" in page and "scuola</del>" in page
    assert page.count("Un orto condiviso sul tetto") >= 16  # both texts whole


def test_a_translated_field_is_listed_once_per_language(client, curator):
    initiative = InitiativeFactory(published=True, title_it="Orti alti", title_en="High gardens")
    initiative.title_it = "Orti altissimi"
    initiative.save()
    page = _history_page(client, initiative)
    changes = page[page.index('id="change-history"') :]
    field = Initiative._meta.get_field
    with translation.override("en"):
        assert f"<dt>{str(field('title_it').verbose_name).capitalize()}</dt>" in changes
        assert f"<dt>{str(field('title').verbose_name).capitalize()}</dt>" not in changes


def test_the_history_credits_the_researcher_with_the_edit_and_the_curator_with_the_approval(client, curator):
    researcher = UserFactory(username="ricercatrice")
    original = InitiativeFactory(published=True, lead=PersonFactory(user=researcher), summary_it="Prima")
    copy = initiative_start_update(initiative=original, by=researcher)
    copy.summary_it = "Seconda, riscritta dalla ricercatrice"
    copy._history_user = researcher  # as the census's middleware records it
    copy.save()
    initiative_transition(initiative=copy, to=S.SUBMITTED, by=researcher)

    with translation.override("en"):
        review = reverse("admin:initiatives_initiative_review", args=[copy.pk])
    assert client.post(review, {"to": S.PUBLISHED, "quiet": "on"}).status_code == 302

    latest = original.history.latest("history_date")
    assert latest.summary_it == "Seconda, riscritta dalla ricercatrice"
    assert latest.history_user == researcher  # not the curator who published it
    page = _history_page(client, original)
    rows = page[page.index("<tbody>") :]
    first_row = rows[: rows.index("</tr>")]
    assert "ricercatrice" in first_row and "curatrice" in first_row
    assert first_row.index("ricercatrice") < first_row.index("curatrice")  # edited by, then approved by


def test_a_plain_publication_names_its_approver(client, curator):
    initiative = InitiativeFactory(submitted=True)
    with translation.override("en"):
        review = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    client.post(review, {"to": S.PUBLISHED, "quiet": "on"})
    transition = initiative.transitions.get(to_state=S.PUBLISHED)
    record = initiative.history.latest("history_date")
    assert record.history_date == transition.at  # how the history finds its approver
    assert "curatrice" in _history_page(client, initiative)


def test_the_history_pages_speak_the_portals_words(client, curator):
    initiative = InitiativeFactory(published=True)
    initiative.summary_it = "Nuovo riassunto"
    initiative.save()
    page = _history_page(client, initiative)
    for heading in ("Version", "Date and time", "Edited by", "Approved by", "What changed"):
        assert f">{heading}<" in page, heading
    for library_word in (">Object<", ">Changed by<", "Historical", "historical"):
        assert library_word not in page, library_word
    version = initiative.history.earliest("history_date")
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_simple_history", args=[initiative.pk, version.history_id])
        form = client.get(url).content.decode()
    assert "historical" not in form.lower()
    assert "Revert to this version" in form and 'value="Revert"' in form


# --- Django's messages, worded for any gender ---------------------------------------


def test_every_model_admin_of_the_portal_words_its_messages_neutrally():
    ours = [a for m, a in admin.site._registry.items() if m._meta.app_label not in ("auth",)]
    assert ours and all(isinstance(model_admin, NeutralMessagesMixin) for model_admin in ours)


@pytest.mark.parametrize("language", ["en", "it"])
def test_djangos_change_message_is_reworded_in_each_language(language):
    from django.utils.html import format_html
    from django.utils.translation import gettext

    with translation.override(language):
        said = format_html(
            gettext("The {name} “{obj}” was changed successfully."),
            name="iniziativa",
            obj=format_html('<a href="{}">{}</a>', "/x/", "Orti & co"),
        )
        assert str(neutral_message(said)) == str(
            format_html(
                gettext("Changes saved: {name} “{obj}”."),
                name="iniziativa",
                obj=format_html('<a href="/x/">{}</a>', "Orti & co"),
            )
        )
        deleted = gettext("Successfully deleted %(count)d %(items)s.") % {"count": 2, "items": "iniziative"}
        assert neutral_message(deleted) == gettext("Deleted: %(count)s %(items)s.") % {
            "count": 2,
            "items": "iniziative",
        }
    assert neutral_message("Something else") == "Something else"


def test_saving_in_the_change_form_says_changes_saved(client, curator):
    from tests.initiatives.test_cover_alt import FormFields

    initiative = InitiativeFactory(published=True)
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    parser = FormFields("initiative_form")
    parser.feed(client.get(url).content.decode())
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    response = client.post(url, data)
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Changes saved: initiative “")


def test_delete_selected_is_named_without_agreement(client, curator):
    InitiativeFactory()  # the changelist offers its actions when it lists something
    with translation.override("en"):
        page = client.get(reverse("admin:initiatives_initiative_changelist")).content.decode()
    assert "Delete the selected rows (initiatives)" in page
    assert "Delete selected initiatives" not in page
