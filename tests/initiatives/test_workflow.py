"""The workflow table, walked for every actor, and the side effects of a move."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import Initiative, OutboundEmail, Participation, StateTransition
from initiatives.services.workflow import MESSAGE_REQUIRED, allowed_targets, initiative_transition

pytestmark = pytest.mark.django_db

S = Initiative.State

# (from, to): who may do it. Everyone else gets PermissionDenied.
EXPECTED = {
    (S.DRAFT, S.SUBMITTED): {"creator", "lead", "coauthor"},
    (S.CHANGES_REQUESTED, S.SUBMITTED): {"creator", "lead", "coauthor"},
    (S.SUBMITTED, S.CHANGES_REQUESTED): {"staff"},
    (S.SUBMITTED, S.PUBLISHED): {"staff"},
    (S.SUBMITTED, S.REJECTED): {"staff"},
    (S.PUBLISHED, S.ARCHIVED): {"staff"},
    (S.ARCHIVED, S.PUBLISHED): {"staff"},
}
ACTORS = ["anonymous", "creator", "lead", "coauthor", "member", "other_researcher", "staff", "staff_without_rights"]


@pytest.fixture
def cast():
    """One initiative and one user per actor."""
    from django.contrib.auth.models import AnonymousUser

    users = {name: UserFactory(username=name) for name in ACTORS if name != "anonymous"}
    users["anonymous"] = AnonymousUser()
    initiative = InitiativeFactory(created_by=users["creator"], state=S.DRAFT)
    initiative.participations.all().delete()
    for name, role, can_edit in [
        ("lead", Participation.Role.LEAD, False),
        ("coauthor", Participation.Role.MEMBER, True),
        ("member", Participation.Role.MEMBER, False),
    ]:
        ParticipationFactory(
            initiative=initiative, person=PersonFactory(user=users[name]), role=role, can_edit=can_edit
        )
    for name in ("staff", "staff_without_rights"):
        users[name].is_staff = True
        users[name].save()
    users["staff"].user_permissions.add(Permission.objects.get(codename="change_initiative"))
    return initiative, users


ALL_MOVES = [(frm, to) for frm in S for to in S if frm != to]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("frm", "to"), ALL_MOVES, ids=[f"{f}->{t}" for f, t in ALL_MOVES])
def test_the_transition_table(cast, actor, frm, to):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=frm)
    initiative.refresh_from_db()
    user = users[actor]
    allowed = actor in EXPECTED.get((frm, to), set())

    assert (to in allowed_targets(initiative, user)) == allowed
    if allowed:
        initiative_transition(initiative=initiative, to=to, by=user, message="Perché sì")
        initiative.refresh_from_db()
        assert initiative.state == to
    else:
        with pytest.raises(PermissionDenied):
            initiative_transition(initiative=initiative, to=to, by=user, message="Perché sì")
        initiative.refresh_from_db()
        assert initiative.state == frm
        assert not StateTransition.objects.filter(initiative=initiative).exists()


def test_requesting_changes_needs_a_message_and_changes_nothing_without_it(cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED)
    initiative.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        initiative_transition(initiative=initiative, to=S.CHANGES_REQUESTED, by=users["staff"], message="  ")
    assert error.value.message_dict["message"] == [str(MESSAGE_REQUIRED)]
    initiative.refresh_from_db()
    assert initiative.state == S.SUBMITTED
    assert not OutboundEmail.objects.exists()


def test_every_move_is_recorded_with_who_when_and_why(cast):
    initiative, users = cast
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["lead"])
    initiative_transition(initiative=initiative, to=S.CHANGES_REQUESTED, by=users["staff"], message="Add partners")
    records = list(StateTransition.objects.filter(initiative=initiative).order_by("at", "id"))
    assert [(r.from_state, r.to_state, r.by) for r in records] == [
        (S.DRAFT, S.SUBMITTED, users["lead"]),
        (S.SUBMITTED, S.CHANGES_REQUESTED, users["staff"]),
    ]
    assert records[1].message == "Add partners"
    assert initiative.history.count() >= 3  # created, submitted, changes requested


def test_publishing_sets_the_date_once_and_notifies_the_authors_after_commit(
    cast, django_capture_on_commit_callbacks, settings
):
    initiative, users = cast
    users["lead"].email = "lead@polito.it"
    users["lead"].save()
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED)
    initiative.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        initiative_transition(initiative=initiative, to=S.PUBLISHED, by=users["staff"])
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()

    initiative.refresh_from_db()
    assert initiative.published_at is not None
    assert len(mail.outbox) == 1
    assert "lead@polito.it" in mail.outbox[0].to
    assert initiative.title in mail.outbox[0].subject
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_a_submission_notifies_pops_staff(cast, django_capture_on_commit_callbacks, settings):
    settings.POPS_STAFF_EMAILS = ["pops-staff@polito.it"]
    initiative, users = cast
    with django_capture_on_commit_callbacks(execute=True):
        initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["creator"])
    assert [m.to for m in mail.outbox] == [["pops-staff@polito.it"]]
    assert f"/admin/initiatives/initiative/{initiative.pk}/change/" in mail.outbox[0].body


def test_a_decision_taken_on_a_stale_copy_is_judged_against_the_state_in_the_database(cast):
    # Two curators opened the same submission; the first published it.
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED)
    first, second = Initiative.objects.get(pk=initiative.pk), Initiative.objects.get(pk=initiative.pk)
    initiative_transition(initiative=first, to=S.PUBLISHED, by=users["staff"])

    with pytest.raises(PermissionDenied):
        initiative_transition(initiative=second, to=S.REJECTED, by=users["staff"], message="Duplicate")
    initiative.refresh_from_db()
    assert initiative.state == S.PUBLISHED
    assert list(StateTransition.objects.filter(initiative=initiative).values_list("to_state", flat=True)) == [
        S.PUBLISHED
    ]


@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_once_on_the_same_initiative_cannot_both_pass(on_postgres, live_reference_data):
    """Two threads, two connections, both holding a copy read before either
    decided: the row lock makes the second wait and then refuse."""
    import threading

    from django.db import connection

    if not on_postgres:
        pytest.skip("SQLite serialises every write: the race needs PostgreSQL's row locks")
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_initiative"))
    initiative = InitiativeFactory(state=S.SUBMITTED)
    copies = {to: Initiative.objects.get(pk=initiative.pk) for to in (S.PUBLISHED, S.REJECTED)}
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(to):
        try:
            barrier.wait()
            initiative_transition(initiative=copies[to], to=to, by=staff, message="Decided")
            outcomes[to] = "passed"
        except PermissionDenied:
            outcomes[to] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(to,)) for to in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["passed", "refused"]
    initiative.refresh_from_db()
    winner = next(to for to, outcome in outcomes.items() if outcome == "passed")
    assert initiative.state == winner
    assert StateTransition.objects.filter(initiative=initiative, from_state=S.SUBMITTED).count() == 1
