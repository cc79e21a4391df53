"""POPS staff review in the admin: queue, diff, look-alikes and decisions."""

import pytest
from django.core import mail
from django.urls import reverse

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


def test_merging_keeps_the_people_partners_products_and_impacts_of_both(client, curator):
    from django.contrib.auth.models import Permission

    from impact.factories import ImpactFactory, ProductFactory
    from initiatives.factories import ParticipationFactory
    from stakeholders.factories import PartnershipFactory

    curator.user_permissions.add(Permission.objects.get(codename="delete_initiative"))
    first = InitiativeFactory(title_it="Orti alti a Torino")
    second = InitiativeFactory(title_it="Orti Alti Torino")
    for initiative in (first, second):
        ParticipationFactory(initiative=initiative)
        PartnershipFactory(initiative=initiative)
        ProductFactory(initiative=initiative)
        ImpactFactory(initiative=initiative)
    expected = {
        name: set(getattr(first, name).values_list("pk", flat=True))
        | set(getattr(second, name).values_list("pk", flat=True))
        for name in ("products", "impacts")
    }
    people = set(first.participations.values_list("person", flat=True)) | set(
        second.participations.values_list("person", flat=True)
    )
    url = reverse("admin:initiatives_initiative_changelist")
    ids = [first.pk, second.pk]
    confirmation = client.post(url, {"action": "merge_duplicates", "_selected_action": ids})
    assert "Orti Alti Torino" in confirmation.content.decode()
    assert Initiative.objects.filter(pk__in=ids).count() == 2

    client.post(url, {"action": "merge_duplicates", "_selected_action": ids, "confirm": "yes"})
    kept = Initiative.objects.get(pk__in=ids)
    for name, pks in expected.items():
        assert set(getattr(kept, name).values_list("pk", flat=True)) == pks
    assert set(kept.participations.values_list("person", flat=True)) == people
    assert kept.participations.filter(role="lead").count() == 1


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
