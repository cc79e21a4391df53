"""The workflow table, walked for every actor, and the side effects of a move."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import Initiative, OutboundEmail, Participation, StateTransition
from initiatives.services.workflow import (
    MESSAGE_REQUIRED,
    allowed_targets,
    initiative_transition,
    initiatives_publish,
    publication_plan,
    recipients_of,
)

pytestmark = pytest.mark.django_db

S = Initiative.State

# (from, to): who may do it. Everyone else gets PermissionDenied.
EXPECTED = {
    (S.DRAFT, S.SUBMITTED): {"creator", "lead", "coauthor"},
    (S.CHANGES_REQUESTED, S.SUBMITTED): {"creator", "lead", "coauthor"},
    (S.SUBMITTED, S.DRAFT): {"creator", "lead", "coauthor"},
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
    # The review page, where the decision is taken: not the change form, whose state is read-only.
    assert f"/admin/initiatives/initiative/{initiative.pk}/review/" in mail.outbox[0].body
    assert "/change/" not in mail.outbox[0].body


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


# --- Staff may keep quiet -----------------------------------------------------------


def test_a_move_without_notification_is_recorded_but_writes_no_email(cast, django_capture_on_commit_callbacks):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED)
    initiative.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        initiative_transition(initiative=initiative, to=S.PUBLISHED, by=users["staff"], notify=False)
    initiative.refresh_from_db()
    assert initiative.state == S.PUBLISHED
    assert initiative.published_at is not None
    assert StateTransition.objects.filter(initiative=initiative, to_state=S.PUBLISHED, by=users["staff"]).exists()
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


# --- Initiatives nobody can sign in as an author of (imported ones) -----------------------


@pytest.fixture
def staff():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_initiative"))
    return user


def authorless(state, **kwargs):
    """As an import leaves it: no creator, no lead or co-author with a login."""
    initiative = InitiativeFactory(state=state, lead=False, created_by=None, **kwargs)
    ParticipationFactory(initiative=initiative, person=PersonFactory(user=None, email=""), role=Participation.Role.LEAD)
    return initiative


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.DRAFT, [S.SUBMITTED]),
        (S.SUBMITTED, [S.CHANGES_REQUESTED, S.PUBLISHED, S.REJECTED]),
        (S.CHANGES_REQUESTED, [S.SUBMITTED]),
        (S.PUBLISHED, [S.ARCHIVED]),
    ],
)
def test_staff_stand_in_for_the_authors_of_an_initiative_nobody_can_sign_in_for(staff, state, expected):
    initiative = authorless(state)
    assert allowed_targets(initiative, staff) == expected
    assert allowed_targets(initiative, UserFactory(is_staff=True)) == []  # staff without the right to change


def test_staff_do_not_stand_in_for_authors_who_can_sign_in(cast):
    initiative, users = cast
    for creator_or_lead in ({"created_by": None}, {}):
        Initiative.objects.filter(pk=initiative.pk).update(**creator_or_lead)
        initiative.refresh_from_db()
        assert allowed_targets(initiative, users["staff"]) == []
        with pytest.raises(PermissionDenied):
            initiative_transition(initiative=initiative, to=S.SUBMITTED, by=users["staff"])


def test_changes_requested_on_an_authorless_initiative_e_mail_nobody_and_staff_resubmit_it(
    staff, django_capture_on_commit_callbacks
):
    initiative = authorless(S.SUBMITTED)
    assert recipients_of(initiative, S.CHANGES_REQUESTED) == []
    with django_capture_on_commit_callbacks(execute=True):
        initiative_transition(initiative=initiative, to=S.CHANGES_REQUESTED, by=staff, message="Manca il budget")
    assert not OutboundEmail.objects.exists()
    assert initiative.state == S.CHANGES_REQUESTED
    initiative_transition(initiative=initiative, to=S.SUBMITTED, by=staff)
    initiative_transition(initiative=initiative, to=S.PUBLISHED, by=staff)
    assert list(initiative.transitions.filter(by=staff).order_by("at", "id").values_list("to_state", flat=True)) == [
        S.CHANGES_REQUESTED,
        S.SUBMITTED,
        S.PUBLISHED,
    ]
    initiative.refresh_from_db()
    assert initiative.published_at is not None


# --- Publishing many at once -----------------------------------------------------------


def test_bulk_publication_publishes_the_submitted_ones_and_reports_the_others(
    staff, django_capture_on_commit_callbacks, settings
):
    settings.POPS_STAFF_EMAILS = ["pops-staff@polito.it"]
    lead = PersonFactory(email="lead@polito.it")
    submitted = [InitiativeFactory(submitted=True, lead=lead) for _ in range(2)]
    draft = InitiativeFactory(state=S.DRAFT, lead=lead)
    rejected = InitiativeFactory(rejected=True, lead=lead)
    with django_capture_on_commit_callbacks(execute=True):
        result = initiatives_publish(initiatives=[*submitted, draft, rejected], by=staff)

    assert {i.pk for i in result.published} == {i.pk for i in submitted}
    reasons = {s.initiative.pk: s.reason for s in result.skipped}
    assert set(reasons) == {draft.pk, rejected.pk}
    assert f"“{S.DRAFT.label}”" in reasons[draft.pk]
    assert f"“{S.REJECTED.label}”" in reasons[rejected.pk]
    for initiative in submitted:
        initiative.refresh_from_db()
        assert initiative.state == S.PUBLISHED
        assert initiative.published_at is not None
        assert initiative.transitions.filter(from_state=S.SUBMITTED, to_state=S.PUBLISHED, by=staff).count() == 1
    for initiative, state in ((draft, S.DRAFT), (rejected, S.REJECTED)):
        initiative.refresh_from_db()
        assert initiative.state == state
        assert initiative.published_at is None
    # One e-mail to the authors per publication, none about the others.
    assert sorted(m.subject for m in mail.outbox) == sorted(
        next(m.subject for m in mail.outbox if i.title in m.subject) for i in submitted
    )
    assert [m.to for m in mail.outbox] == [["lead@polito.it"]] * 2


def test_bulk_publication_of_a_historical_import_may_e_mail_nobody(staff, django_capture_on_commit_callbacks):
    initiatives = [InitiativeFactory(submitted=True, lead=PersonFactory(email=f"l{n}@polito.it")) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        result = initiatives_publish(initiatives=initiatives, by=staff, notify=False)
    assert len(result.published) == 3
    assert Initiative.objects.filter(state=S.PUBLISHED, published_at__isnull=False).count() == 3
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_one_refusal_in_a_bulk_publication_leaves_the_others_published(staff):
    first, second, third = (InitiativeFactory(submitted=True) for _ in range(3))
    stale = Initiative.objects.get(pk=second.pk)
    # Someone rejected the second after the list was read.
    initiative_transition(initiative=second, to=S.REJECTED, by=staff, message="Doppione")
    result = initiatives_publish(initiatives=[first, stale, third], by=staff)
    assert [i.pk for i in result.published] == [first.pk, third.pk]
    assert [s.initiative.pk for s in result.skipped] == [second.pk]
    assert f"“{S.REJECTED.label}”" in result.skipped[0].reason
    assert dict(Initiative.objects.values_list("pk", "state")) == {
        first.pk: S.PUBLISHED,
        second.pk: S.REJECTED,
        third.pk: S.PUBLISHED,
    }


def test_a_bulk_publication_publishes_a_proposed_update_into_its_original(staff, django_capture_on_commit_callbacks):
    from initiatives.services.initiatives import initiative_start_update

    original = InitiativeFactory(published=True, summary_it="Prima")
    copy = initiative_start_update(initiative=original, by=staff)
    Initiative.objects.filter(pk=copy.pk).update(summary_it="Dopo", state=S.SUBMITTED)
    copy.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        result = initiatives_publish(initiatives=[copy], by=staff, notify=False)
    assert [i.pk for i in result.published] == [original.pk]
    assert not OutboundEmail.objects.exists()
    original.refresh_from_db()
    assert original.summary_it == "Dopo"
    assert not Initiative.objects.filter(pk=copy.pk).exists()


def test_who_may_not_publish_one_may_not_publish_many(cast):
    initiative, users = cast
    Initiative.objects.filter(pk=initiative.pk).update(state=S.SUBMITTED)
    initiative.refresh_from_db()
    for name in ("staff_without_rights", "creator", "lead", "anonymous"):
        with pytest.raises(PermissionDenied):
            initiatives_publish(initiatives=[initiative], by=users[name])
    initiative.refresh_from_db()
    assert initiative.state == S.SUBMITTED


def test_the_plan_of_a_bulk_publication_reads_nothing(django_assert_num_queries):
    initiatives = [InitiativeFactory(submitted=True), InitiativeFactory(archived=True)]
    with django_assert_num_queries(0):
        plan = publication_plan(initiatives)
    assert [i.pk for i in plan.published] == [initiatives[0].pk]
    assert [s.initiative.pk for s in plan.skipped] == [initiatives[1].pk]


def test_a_bulk_publication_costs_what_its_publications_cost_and_no_more(staff, django_assert_max_num_queries):
    """The queries of one `initiative_transition`, once per initiative, and a
    constant; nothing that grows with the list on top."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def submitted(count):
        return [InitiativeFactory(submitted=True, lead=PersonFactory()) for _ in range(count)]

    single = submitted(1)[0]
    staff.has_perm("initiatives.change_initiative")  # the permission cache, as a bulk run fills it once
    with CaptureQueriesContext(connection) as one:
        initiative_transition(initiative=single, to=S.PUBLISHED, by=staff)
    per_publication = len(one.captured_queries)

    for count in (3, 10):
        initiatives = submitted(count)
        with django_assert_max_num_queries(count * per_publication + 2):
            result = initiatives_publish(initiatives=initiatives, by=staff)
        assert len(result.published) == count
