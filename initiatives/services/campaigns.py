"""Yearly census campaigns: who is invited, reminders, and response figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from initiatives.models import CampaignInvitation, CensusCampaign, Initiative, Person
from initiatives.services.notifications import email_queue

State = Initiative.State
SUBMITTED_STATES = (State.SUBMITTED, State.CHANGES_REQUESTED, State.PUBLISHED)


def campaign_population(campaign: CensusCampaign):
    """The people a campaign targets: its departments' people and its listed people."""
    return (
        Person.objects.filter(
            Q(department__in=campaign.target_departments.all()) | Q(pk__in=campaign.target_people.all())
        )
        .exclude(email="")
        .distinct()
    )


def _account_for(person: Person):
    """Every invited person needs a login to answer; one is created without a
    password, and the personal link lets them choose it."""
    if person.user_id:
        return person.user
    User = get_user_model()
    user = User.objects.filter(email__iexact=person.email).first()
    if user is None:
        user = User(username=person.email.lower(), email=person.email.lower(), first_name=person.first_name)
        user.last_name = person.last_name
        user.set_unusable_password()
        user.save()
    person.user = user
    person.save(update_fields=["user"])
    return user


@transaction.atomic
def campaign_invite(*, campaign: CensusCampaign) -> int:
    """Invite everyone in the population not invited yet; returns how many."""
    already = set(campaign.invitations.values_list("person_id", flat=True))
    now = timezone.now()
    sent = 0
    for person in campaign_population(campaign).select_related("user"):
        if person.pk in already:
            continue
        _account_for(person)
        invitation = CampaignInvitation.objects.create(campaign=campaign, person=person, invited_at=now)
        email_queue(
            to=[person.email],
            template="campaign_invitation",
            context={"campaign": campaign, "invitation": invitation, "person": person},
        )
        sent += 1
    return sent


def campaign_reminders_due(*, campaign: CensusCampaign, now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(days=campaign.reminder_every_days)
    return (
        campaign.invitations.filter(responded_at__isnull=True, invited_at__lte=cutoff)
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=cutoff))
        .select_related("person")
    )


@transaction.atomic
def campaign_remind(*, campaign: CensusCampaign, now=None) -> int:
    """Remind who has not answered yet, every `reminder_every_days`, while open."""
    now = now or timezone.now()
    if not campaign.is_open(timezone.localdate(now)):
        return 0
    count = 0
    for invitation in campaign_reminders_due(campaign=campaign, now=now):
        email_queue(
            to=[invitation.person.email],
            template="campaign_reminder",
            context={"campaign": campaign, "invitation": invitation, "person": invitation.person},
        )
        invitation.last_reminded_at = now
        invitation.reminders_sent += 1
        invitation.save(update_fields=["last_reminded_at", "reminders_sent"])
        count += 1
    return count


def campaign_record_response(*, user) -> None:
    """A submission answers every open campaign the researcher was invited to."""
    today = timezone.localdate()
    CampaignInvitation.objects.filter(
        person__user=user, responded_at__isnull=True, campaign__opens_on__lte=today, campaign__closes_on__gte=today
    ).update(responded_at=timezone.now())


def campaign_open_now() -> CensusCampaign | None:
    today = timezone.localdate()
    return CensusCampaign.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by("-opens_on").first()


@dataclass
class Figures:
    invited: int = 0
    started: int = 0
    submitted: int = 0
    published: int = 0
    # Answered: submitted an initiative in the campaign (the invitation says
    # so, or one of theirs was submitted or published).
    responded: int = 0

    @property
    def response_rate(self) -> float | None:
        """Responded over invited, from 0 to 1 (None when nobody was invited)."""
        return self.responded / self.invited if self.invited else None

    @property
    def not_responded(self) -> int:
        return self.invited - self.responded


@dataclass
class CampaignFigures:
    total: Figures
    by_department: dict[str, Figures] = field(default_factory=dict)
    by_role: dict[str, Figures] = field(default_factory=dict)


def campaign_figures(campaign: CensusCampaign) -> CampaignFigures:
    """Invited, started, submitted and published, overall and by department and
    role — the live version of the 2022 workshop's response slides. Two
    queries whatever the number of invitations."""
    invitations = campaign.invitations.values_list(
        "person__department__code", "person__role", "person__user_id", "responded_at"
    )
    states: dict[int, set[str]] = {}
    for user_id, state in Initiative.objects.filter(campaign=campaign, created_by__isnull=False).values_list(
        "created_by", "state"
    ):
        states.setdefault(user_id, set()).add(state)

    total = Figures()
    by_department: dict[str, Figures] = {}
    by_role: dict[str, Figures] = {}
    role_labels = dict(Person.Role.choices)
    for department, role, user_id, responded_at in invitations:
        user_states = states.get(user_id, set())
        submitted = bool(user_states & set(SUBMITTED_STATES))
        counts = Counter(
            invited=1,
            started=1 if user_states else 0,
            submitted=1 if submitted else 0,
            published=1 if State.PUBLISHED in user_states else 0,
            responded=1 if submitted or responded_at else 0,
        )
        department = department or "—"
        role = str(role_labels.get(role, role))
        for figures in (total, by_department.setdefault(department, Figures()), by_role.setdefault(role, Figures())):
            for name, value in counts.items():
                setattr(figures, name, getattr(figures, name) + value)
    return CampaignFigures(total, dict(sorted(by_department.items())), dict(sorted(by_role.items())))


def campaign_non_respondents(campaign: CensusCampaign) -> list[CampaignInvitation]:
    """The invited people who have not answered yet (no response recorded and
    no initiative of theirs submitted in the campaign), by department and
    name, with what a reminder by hand needs. Two queries."""
    answered_users = Initiative.objects.filter(
        campaign=campaign, created_by__isnull=False, state__in=SUBMITTED_STATES
    ).values("created_by")
    return list(
        campaign.invitations.filter(responded_at__isnull=True)
        .exclude(person__user__in=answered_users)
        .select_related("person__department")
        .order_by("person__department__code", "person__last_name", "person__first_name", "pk")
    )
