"""Who may see, edit and review what — the one place that says it.

Staff reviewers are active staff accounts with the right to change
initiatives; the workflow table (`services.workflow`) names which of the two
actors, authors or staff, may make each move.

Researchers reach only initiatives they created or take part in; anything
else answers 404, so nothing about other people's drafts leaks. Editing is
for the authors (creator, lead contact, co-authors) while the initiative is
a draft or has changes requested; after submission it is read-only until
staff respond.

Naming someone lead contact grants them nothing until they accept
(`services.leads`): a pending `LeadNomination` is not a participation, so
the rules below never read it; only `is_nominee` says who may answer it.

The admin asks the same module: every admin action and every page the admin
adds beyond Django's own (review, merge, invitations, imports, exports)
names one of the rules below, through a `has_<name>_permission` method of its
ModelAdmin, so that a staff account with the right only to *view* can look
but never write.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_permission_codename
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from initiatives.models import CampaignInvitation, CensusCampaign, Initiative, LeadNomination, Participation
from pops.otp import second_factor_required


def passed_second_factor(user) -> bool:
    """Staff powers, in the admin or outside it (the census, the review
    thread, the workflow), need the second factor passed in this session
    (pops.otp), when the account must have one. A user that comes with no
    session (a task, a command, a list of reviewers read from the database)
    carries no verification and is judged by its rights alone."""
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None:
        return True
    return not second_factor_required(user) or bool(is_verified())


def is_staff_reviewer(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("initiatives.change_initiative")
        and passed_second_factor(user)
    )


def is_author(user, initiative: Initiative) -> bool:
    """The creator, the lead contact and co-authors may edit and submit."""
    if not user.is_authenticated:
        return False
    if initiative.created_by_id == user.pk:
        return True
    if "participations" in getattr(initiative, "_prefetched_objects_cache", {}):
        # A list ("My initiatives") prefetches them: no query per row.
        return any(
            p.person.user_id == user.pk
            for p in initiative.participations.all()
            if p.role == Participation.Role.LEAD or p.can_edit
        )
    return (
        initiative.participations.filter(person__user=user)
        .filter(Q(role=Participation.Role.LEAD) | Q(can_edit=True))
        .exists()
    )


def has_author_account(initiative: Initiative) -> bool:
    """Whether anyone can sign in as an author of the initiative: its creator,
    or a lead contact or co-author with a login. An imported initiative often
    has none (its people have no account); staff then stand in for the
    authors in the workflow (`services.workflow`), or nobody could ever move it.
    Reads prefetched participations (with their people) when there are some."""
    if initiative.created_by_id:
        return True
    if "participations" in getattr(initiative, "_prefetched_objects_cache", {}):
        return any(
            p.person.user_id for p in initiative.participations.all() if p.role == Participation.Role.LEAD or p.can_edit
        )
    return (
        initiative.participations.filter(person__user__isnull=False)
        .filter(Q(role=Participation.Role.LEAD) | Q(can_edit=True))
        .exists()
    )


EDITABLE_STATES = (Initiative.State.DRAFT, Initiative.State.CHANGES_REQUESTED)


def initiative_for(user, pk: int) -> Initiative:
    """The initiative if the user takes part in it; 404 otherwise."""
    return get_object_or_404(Initiative.objects.editable_by(user).select_related("revision_of"), pk=pk)


def can_edit(user, initiative: Initiative) -> bool:
    return initiative.state in EDITABLE_STATES and is_author(user, initiative)


def can_propose_update(user, initiative: Initiative) -> bool:
    return initiative.state == Initiative.State.PUBLISHED and is_author(user, initiative)


def can_delete(user, initiative: Initiative) -> bool:
    """Only a draft that was never public, by one of its authors: what was
    ever published (an archived initiative, say) is history staff keep, and
    a submitted one is in staff's hands. Discarding the draft of a proposed
    update leaves the published original as it is."""
    return (
        initiative.state == Initiative.State.DRAFT and initiative.published_at is None and is_author(user, initiative)
    )


def can_converse(user, initiative: Initiative) -> bool:
    """The message thread kept on an initiative is between the people who may
    edit it (creator, lead contact, co-authors) and staff reviewers."""
    return is_author(user, initiative) or is_staff_reviewer(user)


def initiative_for_conversation(user, pk: int) -> Initiative:
    """The initiative if the user may read and write its thread; 404
    otherwise, so a mere member learns nothing of it either."""
    initiative = initiative_for(user, pk)
    if not can_converse(user, initiative):
        raise Http404
    return initiative


def can_invite(user, initiative: Initiative) -> bool:
    return is_author(user, initiative) and initiative.state not in (
        Initiative.State.REJECTED,
        Initiative.State.ARCHIVED,
    )


def is_person(user, person) -> bool:
    """Whether `user` is `person`: the account linked to them, or, while none
    is linked, the account with their e-mail address."""
    if not user.is_authenticated:
        return False
    if person.user_id is not None:
        return person.user_id == user.pk
    return bool(user.email and person.email) and user.email.lower() == person.email.lower()


def is_nominee(user, nomination: LeadNomination) -> bool:
    """Only the person named lead contact may accept or decline."""
    return is_person(user, nomination.person)


def nominations_for(user):
    """The pending lead nominations `user` may answer, still open, on
    initiatives not merged into another."""
    if not user.is_authenticated:
        return LeadNomination.objects.none()
    whom = Q(person__user=user)
    if user.email:
        whom |= Q(person__user__isnull=True, person__email__iexact=user.email)
    return LeadNomination.objects.filter(
        whom,
        status=LeadNomination.Status.PENDING,
        initiative__merged_into__isnull=True,
        created_at__gt=timezone.now() - datetime.timedelta(days=settings.POPS_LEAD_NOMINATION_DAYS),
    )


def nomination_for(user, pk: int) -> LeadNomination:
    """A pending nomination of `user`; 404 for anyone else's."""
    return get_object_or_404(nominations_for(user).select_related("initiative", "person"), pk=pk)


# --- The admin: what staff may do beyond Django's add, change, delete and view --------


def _is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and passed_second_factor(user))


def has_model_perm(user, model, action: str) -> bool:
    """Django's own right `action` ("add", "change", "delete", "view") on `model`."""
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")


def may_publish(user) -> bool:
    """Publishing, one initiative from its review page or many at once from
    the changelist: the workflow's staff moves, for a staff reviewer."""
    return is_staff_reviewer(user)


def may_merge_initiatives(user) -> bool:
    """Merging changes the initiative kept and takes the other out of every
    list and page (until the merge is undone), and so does undoing it: a
    reviewer who may also delete initiatives. The merge pages (comparison,
    list of merges, undo) all ask this."""
    return is_staff_reviewer(user) and has_model_perm(user, Initiative, "delete")


def may_send_campaign_invitations(user) -> bool:
    """Sending a campaign's invitations writes invitations (and accounts and
    e-mails) in the campaign's name: who may change the campaign and add
    invitations."""
    return (
        _is_staff(user)
        and has_model_perm(user, CensusCampaign, "change")
        and has_model_perm(user, CampaignInvitation, "add")
    )


def may_import(user, model) -> bool:
    """An import adds rows and changes existing ones: staff with both rights
    on the imported model (django-import-export alone lets any staff account
    import, since the project sets no IMPORT_EXPORT_IMPORT_PERMISSION_CODE)."""
    return _is_staff(user) and has_model_perm(user, model, "add") and has_model_perm(user, model, "change")


def may_export(user, model) -> bool:
    """An export shows what the changelist shows: staff who may see the model."""
    return _is_staff(user) and (has_model_perm(user, model, "view") or has_model_perm(user, model, "change"))


def may_export_census(user) -> bool:
    """The census workbook carries people's e-mail addresses and ORCID iDs
    beside the initiatives: staff who may change initiatives, not everyone
    who may look at them."""
    from initiatives.models import Initiative

    return _is_staff(user) and has_model_perm(user, Initiative, "change")
