"""The researchers' side of the census: thin views over steps, services,
permissions and the workflow."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from initiatives.services import conversation, leads, permissions
from initiatives.services import initiatives as services
from initiatives.services.campaigns import campaign_record_response
from initiatives.services.review import possible_duplicates
from initiatives.services.workflow import allowed_targets, initiative_transition
from stakeholders.models import Organisation

from ..models import (
    CampaignInvitation,
    CoauthorInvitation,
    FormDraft,
    Initiative,
    InitiativeMessage,
    LeadNomination,
    Participation,
    Person,
    StateTransition,
)
from .forms import InviteForm
from .steps import STEPS, STEPS_BY_SLUG, SUMMARY_PREFETCH, StepForms, initiative_summary, next_step, querydict

State = Initiative.State


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """“My initiatives”: everything the researcher takes part in, what they
    may do with each, and the latest word from staff."""
    initiatives = list(
        Initiative.objects.editable_by(request.user)
        .select_related("revision_of")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=StateTransition.objects.order_by("-at", "-id"),
                to_attr="transitions_newest_first",
            ),
            Prefetch(
                "messages",
                queryset=InitiativeMessage.objects.filter(from_staff=True).order_by("-created_at", "-id"),
                to_attr="staff_messages",
            ),
            # Read by the permission rules (is_author) instead of a query per row.
            Prefetch("participations", queryset=Participation.objects.select_related("person")),
            Prefetch(
                "lead_nominations",
                queryset=LeadNomination.objects.filter(status=LeadNomination.Status.PENDING).select_related(
                    "person__user"
                ),
                to_attr="pending_lead_nominations",
            ),
        )
        .order_by("-updated_at")
    )
    for initiative in initiatives:
        initiative.may_delete = permissions.can_delete(request.user, initiative)
        initiative.may_withdraw = State.DRAFT in allowed_targets(initiative, request.user)
        initiative.may_converse = permissions.can_converse(request.user, initiative)
        initiative.latest_from_staff = conversation.latest_from_staff(
            initiative.transitions_newest_first, initiative.staff_messages
        )
        initiative.lead_nomination = leads.pending_nomination(initiative)
    nominations = permissions.nominations_for(request.user).select_related("initiative", "nominated_by")
    return render(request, "census/dashboard.html", {"initiatives": initiatives, "nominations": list(nominations)})


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page, then the draft goes for good."""
    initiative = permissions.initiative_for(request.user, pk)
    if not permissions.can_delete(request.user, initiative):
        raise PermissionDenied(str(services.NOT_DELETABLE))
    if request.method == "POST":
        services.initiative_delete_draft(initiative=initiative, by=request.user)
        messages.success(request, _("The draft “%(title)s” was deleted.") % {"title": initiative.title})
        return redirect("census:dashboard")
    return render(request, "census/delete.html", {"initiative": initiative})


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a submission back: it is a draft again (a recorded move)."""
    initiative = permissions.initiative_for(request.user, pk)
    try:
        initiative_transition(initiative=initiative, to=State.DRAFT, by=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("“%(title)s” is a draft again: edit it and submit it when it is ready.") % {"title": initiative.title},
        )
    return redirect("census:dashboard")


@login_required
@require_POST
def message(request: HttpRequest, pk: int) -> HttpResponse:
    """A researcher writes to POPS staff in the initiative's thread."""
    initiative = permissions.initiative_for_conversation(request.user, pk)
    try:
        conversation.message_post(
            initiative=initiative, by=request.user, body=request.POST.get("body", ""), from_staff=False
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Message sent: POPS staff are notified by e-mail."))
    return redirect(reverse("census:review", args=[initiative.pk]) + "#conversation")


def _step_context(request, step, forms: StepForms, initiative, *, restored=False, show_errors=True) -> dict:
    error_links = forms.error_links() if show_errors and forms.form.is_bound else []
    return {
        "steps": STEPS,
        "step": step,
        "forms": forms,
        "initiative": initiative,
        "restored": restored,
        "show_errors": show_errors,
        "lead_nomination": leads.pending_nomination(initiative),
        "error_links": error_links,
        "error_intro": ngettext(
            "Nothing was saved: please correct the problem marked below.",
            "Nothing was saved: please correct the %(count)s problems marked below.",
            len(error_links),
        )
        % {"count": len(error_links)},
        "autosave_url": reverse("census:autosave", args=[initiative.pk, step.slug])
        if initiative
        else reverse("census:autosave-new"),
        "organisation_suggestions_url": reverse("census:organisation-suggestions"),
        "person_suggestions_url": reverse("census:person-suggestions"),
        "map_config": {
            "tileUrl": settings.POPS_MAP_TILE_URL,
            "attribution": settings.POPS_MAP_TILE_ATTRIBUTION,
            "maxZoom": 18,
        },
    }


def _saved_message(initiative) -> str:
    if initiative.revision_of_id:
        # A working copy of a published initiative (services.initiative_start_update).
        return _(
            "Saved in your proposed update. The public keeps seeing the published version until you submit the "
            "update and POPS staff approve it."
        )
    return _("Saved. Nothing is public until POPS staff publish the initiative.")


def _nominated_message(nomination) -> str:
    if not nomination.email:
        return _(
            "%(name)s has no e-mail address, so they cannot be asked to confirm that they are the lead contact: "
            "add their address. Until they accept, the lead contact stays as it was."
        ) % {"name": nomination.person}
    return _(
        "%(name)s is asked by e-mail to confirm that they are the lead contact. Until they accept, "
        "they do not see or edit the initiative, and the lead contact stays as it was."
    ) % {"name": nomination.person}


def _consent_messages(saved) -> list[str]:
    """What the people step asked of people who must consent first."""
    if saved is None:
        return []
    found = [_nominated_message(saved.nomination)] if saved.nomination is not None else []
    if saved.invited:
        found.append(
            _(
                "An invitation to edit this initiative was sent to %(addresses)s: they become co-authors "
                "once they accept it."
            )
            % {"addresses": ", ".join(saved.invited)}
        )
    if saved.waiting:
        found.append(
            _("%(addresses)s already received an invitation to edit this initiative and have not accepted it yet.")
            % {"addresses": ", ".join(saved.waiting)}
        )
    for person in saved.not_invited:
        found.append(
            _(
                "%(name)s has no e-mail address, so they cannot be invited to edit this initiative: "
                "add their address to make them a co-author."
            )
            % {"name": person}
        )
    return found


def _render_step(request, step, initiative):
    if request.method == "POST":
        forms = StepForms(step, initiative=initiative, user=request.user, data=request.POST, files=request.FILES)
        if forms.is_valid():
            initiative = forms.save()
            messages.success(request, _saved_message(initiative))
            for message in _consent_messages(forms.people_saved):
                messages.info(request, message)
            following = next_step(step)
            if "continue" in request.POST:
                if following:
                    return redirect("census:step", initiative.pk, following.slug)
                return redirect("census:review", initiative.pk)
            return redirect("census:step", initiative.pk, step.slug)
        # Not valid: what was typed becomes the step's draft, so that it is
        # still there when the researcher comes back to the step (an autosave
        # only runs a moment after typing stops, and may never have run).
        services.form_draft_save(user=request.user, initiative=initiative, step=step.slug, data=_typed(request))
        return render(request, "census/step.html", _step_context(request, step, forms, initiative), status=400)

    draft = FormDraft.objects.filter(user=request.user, initiative=initiative, step=step.slug).first()
    if draft and (initiative is None or draft.updated_at > initiative.updated_at):
        forms = StepForms(step, initiative=initiative, user=request.user, data=querydict(draft.data))
        forms.hide_errors()  # bound, so the typed values show; judged only when saved
        return render(
            request,
            "census/step.html",
            _step_context(request, step, forms, initiative, restored=True, show_errors=False),
        )
    forms = StepForms(step, initiative=initiative, user=request.user)
    return render(request, "census/step.html", _step_context(request, step, forms, initiative))


def _typed(request: HttpRequest) -> dict[str, list[str]]:
    """The fields of a posted step as a draft keeps them."""
    return {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}


@login_required
def initiative_new(request: HttpRequest) -> HttpResponse:
    return _render_step(request, STEPS[0], None)


@login_required
def initiative_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    initiative = permissions.initiative_for(request.user, pk)
    if step not in STEPS_BY_SLUG:
        raise Http404
    if not permissions.can_edit(request.user, initiative):
        if request.method == "POST":
            raise PermissionDenied
        return redirect("census:review", initiative.pk)
    return _render_step(request, STEPS_BY_SLUG[step], initiative)


@login_required
@require_POST
def autosave(request: HttpRequest, pk: int | None = None, step: str = "who") -> JsonResponse:
    """Keep what was typed, valid or not, so that nothing is lost."""
    initiative = permissions.initiative_for(request.user, pk) if pk else None
    if step not in STEPS_BY_SLUG:
        raise Http404
    if initiative is not None and not permissions.can_edit(request.user, initiative):
        raise PermissionDenied
    draft = services.form_draft_save(user=request.user, initiative=initiative, step=step, data=_typed(request))
    return JsonResponse({"saved_at": draft.updated_at.isoformat()})


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything entered, what is missing, and the submit button."""
    initiative = permissions.initiative_for(request.user, pk)
    initiative = (
        Initiative.objects.filter(pk=initiative.pk)
        .select_related("revision_of")
        .prefetch_related(
            *SUMMARY_PREFETCH,
            Prefetch("transitions", queryset=StateTransition.objects.select_related("by").order_by("-at", "-id")),
        )
        .get()
    )
    editable = permissions.can_edit(request.user, initiative)
    return render(
        request,
        "census/review.html",
        {
            "steps": STEPS,
            "initiative": initiative,
            "summary": initiative_summary(initiative),
            "editable": editable,
            "missing": services.missing_for_submission(initiative) if editable else [],
            "can_propose_update": permissions.can_propose_update(request.user, initiative),
            "can_invite": permissions.can_invite(request.user, initiative),
            "invite_form": InviteForm(),
            "lead_nomination": leads.pending_nomination(initiative),
            "pending_update": initiative.revisions.first() if initiative.state == State.PUBLISHED else None,
            # Only published look-alikes: other people's drafts stay private.
            "similar": [i for i in possible_duplicates(initiative) if i.state == State.PUBLISHED] if editable else [],
            "thread": conversation.thread(initiative) if permissions.can_converse(request.user, initiative) else None,
        },
    )


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = permissions.initiative_for(request.user, pk)
    missing = services.missing_for_submission(initiative)
    if missing:
        messages.error(request, _("The initiative cannot be submitted yet: some information is missing."))
        return redirect("census:review", initiative.pk)
    try:
        initiative_transition(initiative=initiative, to=State.SUBMITTED, by=request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("census:review", initiative.pk)
    campaign_record_response(user=request.user)
    messages.success(request, _("Submitted. POPS staff will review it; you will receive an e-mail when they respond."))
    return redirect("census:dashboard")


@login_required
@require_POST
def propose_update(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = permissions.initiative_for(request.user, pk)
    if not permissions.can_propose_update(request.user, initiative):
        raise PermissionDenied
    copy = services.initiative_start_update(initiative=initiative, by=request.user)
    messages.info(
        request,
        _("You are editing a proposed update. The public keeps seeing the published version until staff approve it."),
    )
    return redirect("census:step", copy.pk, STEPS[0].slug)


@login_required
@require_POST
def invite_coauthor(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = permissions.initiative_for(request.user, pk)
    if not permissions.can_invite(request.user, initiative):
        raise PermissionDenied
    form = InviteForm(request.POST)
    if form.is_valid():
        services.coauthor_invite(initiative=initiative, email=form.cleaned_data["email"], by=request.user)
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    else:
        messages.error(request, _("Enter a valid e-mail address to invite a colleague."))
    return redirect("census:review", initiative.pk)


@login_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """A co-author invitation's link: only the account it was sent to sees
    which initiative it is about and may accept it, while it is valid."""
    invitation = CoauthorInvitation.by_link(token, CoauthorInvitation.objects.select_related("initiative"))
    if invitation is None:
        raise Http404
    if not invitation.link_is_valid():
        return _link_expired(request)
    if request.method == "POST":
        try:
            services.coauthor_accept(invitation=invitation, user=request.user)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("census:dashboard")
        messages.success(request, _("You are now a co-author of this initiative."))
        return redirect("census:review", invitation.initiative.pk)
    return render(
        request, "census/accept_invitation.html", {"invitation": invitation, "for_you": invitation.is_for(request.user)}
    )


@login_required
def lead_nomination(request: HttpRequest, token: str) -> HttpResponse:
    """A lead nomination's link: only the person named sees which initiative
    it is about and may accept or decline it, once, while it is valid."""
    nomination = LeadNomination.by_link(
        token, LeadNomination.objects.select_related("initiative", "person", "nominated_by")
    )
    if nomination is None:
        raise Http404
    if not nomination.link_is_valid():
        return _link_expired(request)
    if request.method == "POST":
        return _answer_nomination(request, nomination)
    return render(
        request,
        "census/lead_nomination.html",
        {"nomination": nomination, "for_you": permissions.is_nominee(request.user, nomination)},
    )


@login_required
@require_POST
def lead_nomination_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or decline from "My initiatives" (the user's own nominations only)."""
    return _answer_nomination(request, permissions.nomination_for(request.user, pk))


def _answer_nomination(request: HttpRequest, nomination: LeadNomination) -> HttpResponse:
    accept = request.POST.get("answer") == "accept"
    try:
        if accept:
            leads.lead_accept(nomination=nomination, user=request.user)
        else:
            leads.lead_decline(nomination=nomination, user=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("census:dashboard")
    title = nomination.initiative.title
    if accept:
        messages.success(request, _("You are now the lead contact of “%(title)s”.") % {"title": title})
        return redirect("census:review", nomination.initiative_id)
    messages.success(
        request, _("You declined to be the lead contact of “%(title)s”: who named you is told.") % {"title": title}
    )
    return redirect("census:dashboard")


def _link_expired(request: HttpRequest) -> HttpResponse:
    return render(request, "census/link_expired.html", status=410)


@login_required
def organisation_suggestions(request: HttpRequest) -> JsonResponse:
    """Names of organisations in the register, for the partner field's suggestions."""
    query = request.GET.get("q", "").strip()
    names = []
    if len(query) >= 2:
        names = list(
            Organisation.objects.filter(name__icontains=query).order_by("name").values_list("name", flat=True)[:10]
        )
    return JsonResponse({"results": names}, json_dumps_params={"ensure_ascii": False})


def campaign_link(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link of a campaign e-mail: first visit recorded; a person
    without a password yet is taken to choose one (Django's reset token, which
    the new password spends: once it is set, the link only leads to the
    sign-in), the others to sign in. It stops opening after the campaign."""
    invitation = CampaignInvitation.by_link(
        token, CampaignInvitation.objects.select_related("person__user", "campaign")
    )
    if invitation is None:
        raise Http404
    if not invitation.link_is_valid():
        return _link_expired(request)
    if invitation.opened_at is None:
        invitation.opened_at = timezone.now()
        invitation.save(update_fields=["opened_at"])
    user = invitation.person.user
    if request.user.is_authenticated:
        return redirect("census:dashboard")
    if user is not None and not user.has_usable_password():
        return redirect(
            "password_reset_confirm",
            uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
            token=default_token_generator.make_token(user),
        )
    return redirect(f"{reverse('login')}?next={reverse('census:dashboard')}")


@login_required
def person_suggestions(request: HttpRequest) -> JsonResponse:
    """People in the register, for the people rows' suggestions: name,
    department and role, never the e-mail. A name (or part of one, each word
    in the first or last name) suggests up to ten people; an e-mail finds
    only the person whose address it is, typed in full, so that nobody can
    list the register's addresses by typing part of them."""
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= 2:
        if "@" in query:
            people = Person.objects.filter(email__iexact=query)
        else:
            people = Person.objects.all()
            for word in query.split():
                people = people.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
        results = [
            {
                "first_name": p.first_name,
                "last_name": p.last_name,
                "department": p.department_id,
                "department_name": p.department.name if p.department else "",
                "role": p.get_role_display(),
            }
            for p in people.select_related("department").order_by("last_name", "first_name", "pk")[:10]
        ]
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
