"""POPS staff review in the admin: queue, diff, look-alikes and decisions."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative, StateTransition
from initiatives.services.initiatives import initiative_start_update
from initiatives.services.review import changes_since_approved, possible_duplicates

pytestmark = pytest.mark.django_db
S = Initiative.State


@pytest.fixture
def curator(client):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["change_initiative", "view_initiative"]))
    client.force_login(user)
    return user


def test_the_queue_lists_what_waits_for_staff_oldest_first(client, curator):
    newer = InitiativeFactory(submitted=True)
    older = InitiativeFactory(submitted=True)
    Initiative.objects.filter(pk=older.pk).update(submitted_at=newer.submitted_at.replace(year=2020))
    InitiativeFactory(published=True, title_it="Già pubblicata")
    content = client.get(reverse("admin:initiatives_initiative_review_queue")).content.decode()
    assert content.index(older.title) < content.index(newer.title)
    assert "Già pubblicata" not in content


def test_requesting_changes_needs_a_message_then_reaches_the_researchers(
    client, curator, django_capture_on_commit_callbacks
):
    initiative = InitiativeFactory(submitted=True)
    url = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    response = client.post(url, {"to": S.CHANGES_REQUESTED, "message": ""})
    assert response.status_code == 200
    initiative.refresh_from_db()
    assert initiative.state == S.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"to": S.CHANGES_REQUESTED, "message": "Aggiungete i partner."})
    initiative.refresh_from_db()
    assert initiative.state == S.CHANGES_REQUESTED
    assert StateTransition.objects.filter(initiative=initiative, message="Aggiungete i partner.").exists()
    assert any("Aggiungete i partner." in m.body for m in mail.outbox)


def test_the_review_of_a_proposed_update_shows_what_changed(client, curator):
    original = InitiativeFactory(published=True, title_it="Orti alti", summary_it="Prima versione")
    copy = initiative_start_update(initiative=original, by=curator)
    Initiative.objects.filter(pk=copy.pk).update(summary_it="Seconda versione", state=S.SUBMITTED)
    copy.refresh_from_db()
    changes = {c.label: (c.before, c.after) for c in changes_since_approved(copy)}
    assert list(changes.values()) == [("Prima versione", "Seconda versione")]
    page = client.get(reverse("admin:initiatives_initiative_review", args=[copy.pk])).content.decode()
    assert "Seconda versione" in page and "Prima versione" in page


def test_look_alike_initiatives_are_flagged():
    first = InitiativeFactory(title_it="Laboratorio di quartiere a Barriera di Milano")
    second = InitiativeFactory(title_it="Laboratori di quartiere in Barriera di Milano")
    unrelated = InitiativeFactory(title_it="Telemedicina per le valli alpine")
    found = possible_duplicates(first)
    assert second in found
    assert unrelated not in found


def test_staff_without_the_right_cannot_review(client):
    client.force_login(UserFactory(is_staff=True))
    initiative = InitiativeFactory(submitted=True)
    assert client.get(reverse("admin:initiatives_initiative_review", args=[initiative.pk])).status_code == 403


def test_a_lead_with_several_different_initiatives_is_not_a_duplicate():
    from initiatives.factories import PersonFactory

    lead = PersonFactory()
    first = InitiativeFactory(title_it="Energia di comunità a Porta Palazzo", lead=lead)
    other = InitiativeFactory(title_it="Telemedicina per le valli alpine", lead=lead)
    close = InitiativeFactory(title_it="Energia di comunità a Porta Palazzo e Aurora", lead=lead)
    found = possible_duplicates(first)
    assert close in found
    assert other not in found


def test_a_resubmitted_initiative_is_compared_with_its_last_published_version():
    initiative = InitiativeFactory(published=True, summary_it="Testo pubblicato")
    initiative.summary_it = "Testo rivisto"
    initiative.state = S.SUBMITTED
    initiative.save()
    changes = {c.label: (c.before, c.after) for c in changes_since_approved(initiative)}
    assert ("Testo pubblicato", "Testo rivisto") in changes.values()


# --- Publishing the selected initiatives -----------------------------------------------


def browser_post(client, url, page, form_id: str, **changes):
    """Post the form `form_id` of `page` as a browser would, with `changes`
    (a value of None leaves the field out: an unticked box)."""
    from tests.initiatives.test_cover_alt import FormFields

    parser = FormFields(form_id)
    parser.feed(page.content.decode())
    assert parser.data, f"no form {form_id!r} on the page"
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    data.update(changes)
    return client.post(url, {name: value for name, value in data.items() if value is not None})


def said(response) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def selection():
    from initiatives.factories import PersonFactory

    return {
        "submitted": [
            InitiativeFactory(submitted=True, lead=PersonFactory(email=f"autore{n}@polito.it")) for n in range(2)
        ],
        "draft": InitiativeFactory(state=S.DRAFT, title_it="Una bozza ancora aperta"),
        "rejected": InitiativeFactory(rejected=True, title_it="Una proposta respinta"),
    }


def _ids(selection):
    return [i.pk for i in (*selection["submitted"], selection["draft"], selection["rejected"])]


def test_bulk_publication_asks_first_listing_what_is_published_and_what_is_skipped(client, curator, selection):
    from initiatives.models import OutboundEmail

    url = reverse("admin:initiatives_initiative_changelist")
    page = client.post(url, {"action": "publish_submitted", "index": "0", "_selected_action": _ids(selection)})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/initiatives/publish_confirmation.html"
    plan = page.context["plan"]
    assert {i.pk for i in plan.published} == {i.pk for i in selection["submitted"]}
    assert {s.initiative.pk for s in plan.skipped} == {selection["draft"].pk, selection["rejected"].pk}
    content = page.content.decode()
    assert "Una bozza ancora aperta" in content and "Una proposta respinta" in content
    assert 'name="notify" id="id_notify" checked' in content
    # Nothing happened yet.
    assert not Initiative.objects.filter(state=S.PUBLISHED).exists()
    assert not StateTransition.objects.filter(to_state=S.PUBLISHED).exists()
    assert not OutboundEmail.objects.exists()


def test_bulk_publication_goes_through_the_workflow_and_e_mails_the_authors(
    client, curator, selection, django_capture_on_commit_callbacks
):
    from initiatives.models import OutboundEmail

    url = reverse("admin:initiatives_initiative_changelist")
    page = client.post(url, {"action": "publish_submitted", "index": "0", "_selected_action": _ids(selection)})
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_post(client, url, page, "publish-confirmation")
    assert response.status_code == 302
    for initiative in selection["submitted"]:
        initiative.refresh_from_db()
        assert initiative.state == S.PUBLISHED
        assert initiative.published_at is not None
        assert initiative.transitions.filter(to_state=S.PUBLISHED, by=curator).count() == 1
    assert Initiative.objects.get(pk=selection["draft"].pk).state == S.DRAFT
    assert Initiative.objects.get(pk=selection["rejected"].pk).state == S.REJECTED
    assert sorted(e.to for e in OutboundEmail.objects.all()) == ["autore0@polito.it", "autore1@polito.it"]
    assert sorted(m.to[0] for m in mail.outbox) == ["autore0@polito.it", "autore1@polito.it"]
    assert any("Una bozza ancora aperta" in m and "Una proposta respinta" in m for m in said(response))


def test_bulk_publication_of_a_historical_import_e_mails_nobody_when_the_box_is_unticked(
    client, curator, selection, django_capture_on_commit_callbacks
):
    from initiatives.models import OutboundEmail

    url = reverse("admin:initiatives_initiative_changelist")
    page = client.post(url, {"action": "publish_submitted", "index": "0", "_selected_action": _ids(selection)})
    with django_capture_on_commit_callbacks(execute=True):
        browser_post(client, url, page, "publish-confirmation", notify=None)
    assert Initiative.objects.filter(state=S.PUBLISHED, published_at__isnull=False).count() == 2
    assert StateTransition.objects.filter(to_state=S.PUBLISHED, by=curator).count() == 2
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_the_success_message_counts_in_the_language_of_the_admin(client, curator, selection):
    from django.utils.translation import ngettext

    url = reverse("admin:initiatives_initiative_changelist")
    page = client.post(url, {"action": "publish_submitted", "index": "0", "_selected_action": _ids(selection)})
    response = browser_post(client, url, page, "publish-confirmation")
    with translation.override(response["Content-Language"]):
        published = ngettext("%(count)d initiative published.", "%(count)d initiatives published.", 2) % {"count": 2}
        assert any(m.startswith(published) for m in said(response)), said(response)


def test_nothing_to_publish_says_why_without_a_confirmation_page(client, curator, selection):
    url = reverse("admin:initiatives_initiative_changelist")
    ids = [selection["draft"].pk, selection["rejected"].pk]
    response = client.post(url, {"action": "publish_submitted", "index": "0", "_selected_action": ids})
    assert response.status_code == 302
    assert any("Una bozza ancora aperta" in m for m in said(response))
    assert not Initiative.objects.filter(state=S.PUBLISHED).exists()


def test_the_review_queue_publishes_the_selected_through_the_same_confirmation(
    client, curator, selection, django_capture_on_commit_callbacks
):
    queue_url = reverse("admin:initiatives_initiative_review_queue")
    waiting = InitiativeFactory(changes_requested=True, title_it="In attesa delle modifiche")
    queue = client.get(queue_url)
    first, second = selection["submitted"]
    # The reviewer ticks the first submission and the one waiting for changes.
    page = browser_post(
        client,
        reverse("admin:initiatives_initiative_changelist"),
        queue,
        "review-queue",
        _selected_action=[first.pk, waiting.pk],
    )
    assert page.status_code == 200
    assert [i.pk for i in page.context["plan"].published] == [first.pk]
    assert [s.initiative.pk for s in page.context["plan"].skipped] == [waiting.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_post(
            client, reverse("admin:initiatives_initiative_changelist"), page, "publish-confirmation"
        )
    assert response.status_code == 302 and response["Location"] == queue_url
    assert dict(Initiative.objects.filter(pk__in=[first.pk, second.pk, waiting.pk]).values_list("pk", "state")) == {
        first.pk: S.PUBLISHED,
        second.pk: S.SUBMITTED,
        waiting.pk: S.CHANGES_REQUESTED,
    }


def test_staff_who_may_only_look_are_not_offered_the_bulk_publication(client, selection):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_initiative"))
    client.force_login(viewer)
    url = reverse("admin:initiatives_initiative_changelist")
    assert "publish_submitted" not in client.get(url).content.decode()
    for data in (
        {"action": "publish_submitted", "index": "0", "_selected_action": _ids(selection)},
        {"action": "publish_submitted", "_selected_action": _ids(selection), "confirm": "yes", "notify": "on"},
    ):
        client.post(url, data)
    assert not Initiative.objects.filter(state=S.PUBLISHED).exists()
    assert not StateTransition.objects.filter(to_state=S.PUBLISHED).exists()


# --- Initiatives with no author (imported) -----------------------------------------------


def authorless(state):
    """As an import leaves it: nobody created it in the portal, and its lead
    contact has neither a login nor an e-mail address."""
    from initiatives.factories import ParticipationFactory, PersonFactory
    from initiatives.models import Participation

    initiative = InitiativeFactory(state=state, created_by=None, lead=False, title_it="Iniziativa importata")
    ParticipationFactory(initiative=initiative, person=PersonFactory(user=None, email=""), role=Participation.Role.LEAD)
    return initiative


NOBODY_WILL_BE_E_MAILED = (
    "This initiative has no author with an e-mail address (an imported one, say): nobody will be e-mailed about "
    "a request for changes, a publication or a rejection. Your message is kept in its workflow history."
)


def test_the_review_page_of_an_authorless_initiative_offers_the_decisions_and_warns_nobody_is_e_mailed(client, curator):
    initiative = authorless(S.SUBMITTED)
    page = client.get(reverse("admin:initiatives_initiative_review", args=[initiative.pk]))
    offered = [value for value, _label in page.context["form"].fields["to"].choices]
    assert offered == [S.CHANGES_REQUESTED, S.PUBLISHED, S.REJECTED]
    assert page.context["nobody_to_write_to"] is True
    with translation.override(page["Content-Language"]):
        assert gettext(NOBODY_WILL_BE_E_MAILED) in page.content.decode()

    # An initiative whose lead has an address: no such warning.
    other = InitiativeFactory(submitted=True)
    page = client.get(reverse("admin:initiatives_initiative_review", args=[other.pk]))
    assert page.context["nobody_to_write_to"] is False


def test_changes_can_be_requested_on_an_authorless_initiative_saying_nobody_was_e_mailed(
    client, curator, django_capture_on_commit_callbacks
):
    from initiatives.admin_review import NOBODY_E_MAILED
    from initiatives.models import OutboundEmail

    initiative = authorless(S.SUBMITTED)
    url = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"to": S.CHANGES_REQUESTED, "message": "Manca il budget."})
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.state == S.CHANGES_REQUESTED
    assert StateTransition.objects.filter(initiative=initiative, by=curator, message="Manca il budget.").exists()
    assert not OutboundEmail.objects.exists()
    assert str(NOBODY_E_MAILED) in said(response)

    # Staff then stand in for the authors nobody can sign in as, and decide.
    page = client.get(url)
    assert [value for value, _label in page.context["form"].fields["to"].choices] == [S.SUBMITTED]
    client.post(url, {"to": S.SUBMITTED})
    client.post(url, {"to": S.PUBLISHED})
    initiative.refresh_from_db()
    assert initiative.state == S.PUBLISHED and initiative.published_at is not None


def test_an_authorless_initiative_is_published_from_its_review_page(client, curator):
    initiative = authorless(S.SUBMITTED)
    url = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    assert client.post(url, {"to": S.PUBLISHED}).status_code == 302
    initiative.refresh_from_db()
    assert initiative.state == S.PUBLISHED
    assert initiative.transitions.filter(to_state=S.PUBLISHED, by=curator).exists()


def test_an_imported_draft_can_be_submitted_by_staff_from_the_changelist_and_its_review_page(client, curator):
    initiative = authorless(S.DRAFT)
    changelist = client.get(reverse("admin:initiatives_initiative_changelist")).content.decode()
    url = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    assert f'href="{url}"' in changelist
    client.post(url, {"to": S.SUBMITTED})
    initiative.refresh_from_db()
    assert initiative.state == S.SUBMITTED


def test_a_decision_may_e_mail_nobody(client, curator, django_capture_on_commit_callbacks):
    from initiatives.models import OutboundEmail

    initiative = InitiativeFactory(submitted=True)  # its lead has an e-mail address
    url = reverse("admin:initiatives_initiative_review", args=[initiative.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"to": S.PUBLISHED, "quiet": "on"})
    initiative.refresh_from_db()
    assert initiative.state == S.PUBLISHED
    assert not OutboundEmail.objects.exists()


# --- The state changes only through the workflow --------------------------------------------


def test_the_change_form_shows_the_state_read_only_and_points_to_the_review(client, curator):
    from initiatives.admin import InitiativeAdmin

    initiative = InitiativeFactory(submitted=True)
    page = client.get(reverse("admin:initiatives_initiative_change", args=[initiative.pk]))
    assert "state" not in page.context["adminform"].form.fields
    assert reverse("admin:initiatives_initiative_review", args=[initiative.pk]) in page.content.decode()
    assert "state" not in (InitiativeAdmin.list_editable or ())


def test_posting_a_state_to_the_change_or_add_form_changes_nothing(client):
    from tests.initiatives.test_cover_alt import FormFields

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    initiative = InitiativeFactory(submitted=True)
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    parser = FormFields("initiative_form")
    parser.feed(client.get(url).content.decode())
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    response = client.post(url, {**data, "state": S.PUBLISHED, "published_at": "2020-01-01 10:00"})
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.state == S.SUBMITTED
    assert initiative.published_at is None
    assert not initiative.transitions.filter(to_state=S.PUBLISHED).exists()

    add = reverse("admin:initiatives_initiative_add")
    parser = FormFields("initiative_form")
    parser.feed(client.get(add).content.decode())
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    data.update({"title_it": "Aggiunta a mano", "slug": "aggiunta-a-mano", "state": S.PUBLISHED})
    assert client.post(add, data).status_code == 302
    assert Initiative.objects.get(slug="aggiunta-a-mano").state == S.DRAFT


def test_reverting_to_a_past_version_keeps_the_state_the_workflow_left(client):
    from initiatives.services.workflow import initiative_transition
    from tests.initiatives.test_cover_alt import FormFields

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    initiative = InitiativeFactory(submitted=True, summary_it="Prima")
    initiative_transition(initiative=initiative, to=S.PUBLISHED, by=staff)
    published_at = Initiative.objects.get(pk=initiative.pk).published_at
    initiative_transition(initiative=initiative, to=S.ARCHIVED, by=staff)
    version = initiative.history.filter(state=S.PUBLISHED).latest("history_date")
    url = reverse("admin:initiatives_initiative_simple_history", args=[initiative.pk, version.history_id])
    parser = FormFields("initiative_form")  # the page is named after the initiative, not its historical model
    parser.feed(client.get(url).content.decode())
    assert parser.data, "no revert form"
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    assert client.post(url, {**data, "summary_it": "Ripristinata"}).status_code == 302
    initiative.refresh_from_db()
    assert initiative.summary_it == "Ripristinata"  # the revert did happen
    assert initiative.state == S.ARCHIVED
    assert initiative.published_at == published_at
