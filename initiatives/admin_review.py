"""The staff review screens inside the admin: the queue, one initiative's
review (diff, completeness, look-alikes, and the workflow move) and the
changelist's bulk publication (with its confirmation page).

The pages ask the InitiativeAdmin's `has_review_permission` (the rule is
`services.permissions.is_staff_reviewer`), the bulk action its
`has_publish_permission` (`may_publish`); the workflow table then says which
moves the reviewer may make."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from initiatives.services.conversation import message_post, thread
from initiatives.services.initiatives import missing_for_submission
from initiatives.services.leads import pending_nomination
from initiatives.services.review import changes_since_approved, possible_duplicates, snapshot
from initiatives.services.workflow import (
    TRANSITIONS,
    allowed_targets,
    author_emails,
    initiative_transition,
    initiatives_publish,
    notifies_authors,
    publication_plan,
    recipients_of,
)

from .models import Initiative

State = Initiative.State


# The decision as staff say it, rather than the state it leads to.
ACTION_LABELS = {
    State.PUBLISHED: gettext_lazy("Publish"),
    State.CHANGES_REQUESTED: gettext_lazy("Request changes"),
    State.REJECTED: gettext_lazy("Reject"),
    State.ARCHIVED: gettext_lazy("Archive"),
    State.SUBMITTED: gettext_lazy("Submit for review"),
}


class ReviewForm(forms.Form):
    to = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect)
    message = forms.CharField(
        label=gettext_lazy("Message to the researchers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=gettext_lazy("Required when you request changes or reject; sent by e-mail and shown on their page."),
    )
    # An opt-out rather than a ticked "notify" box: a decision posted without
    # it e-mails as it always did.
    quiet = forms.BooleanField(
        label=gettext_lazy("Do not e-mail anyone about this decision"),
        required=False,
        help_text=gettext_lazy("For a historical import, say: the move is recorded all the same."),
    )

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(t, ACTION_LABELS.get(t, State(t).label)) for t in targets]


def review_queue(model_admin, request):
    if not model_admin.has_review_permission(request):
        raise PermissionDenied
    queue = (
        Initiative.objects.filter(state__in=[State.SUBMITTED, State.CHANGES_REQUESTED], merged_into__isnull=True)
        .select_related("revision_of", "created_by")
        .order_by("submitted_at", "created_at")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Review queue"),
        "opts": Initiative._meta,
        "queue": queue,
        "may_publish": model_admin.has_publish_permission(request),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/initiatives/review_queue.html", context)


def review(model_admin, request, object_id):
    if not model_admin.has_review_permission(request):
        raise PermissionDenied
    initiative = get_object_or_404(
        Initiative.objects.select_related("revision_of", "created_by", "campaign").prefetch_related(
            "transitions__by",
            "participations__person",
            "partnerships__organisation",
            "places",
            "products__category",
            "impacts",
            *Initiative.CLASSIFICATIONS,
        ),
        pk=object_id,
    )
    if not model_admin.has_review_permission(request, initiative):
        raise PermissionDenied
    targets = allowed_targets(initiative, request.user)
    form = ReviewForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"]
        notify = not form.cleaned_data["quiet"]
        nobody_to_write_to = notify and notifies_authors(initiative, to) and not recipients_of(initiative, to)
        try:
            initiative_transition(
                initiative=initiative, to=to, by=request.user, message=form.cleaned_data["message"], notify=notify
            )
        except ValidationError as error:
            form.add_error("message", error.message_dict.get("message", error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Done: “%(title)s” is now %(state)s.")
                % {
                    "title": initiative.title,
                    "state": State(to).label.lower(),
                },
            )
            if nobody_to_write_to:
                messages.warning(request, str(NOBODY_E_MAILED))
            return redirect("admin:initiatives_initiative_review_queue")
    record = snapshot(initiative)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Review: %(title)s") % {"title": initiative.title},
        "opts": Initiative._meta,
        "original": initiative,
        "initiative": initiative,
        "form": form,
        # The whole record as the public will read it, and what changed in it.
        "record": record,
        "changes": changes_since_approved(initiative, current=record),
        "missing": missing_for_submission(initiative),
        "lead_nomination": pending_nomination(initiative),
        "duplicates": possible_duplicates(initiative),
        "rules": TRANSITIONS,
        # Requests for changes, publication, rejection would reach nobody.
        "nobody_to_write_to": any(notifies_authors(initiative, t) for t in targets)
        and not any(author_emails(initiative)),
        **conversation_context(initiative),
    }
    return TemplateResponse(request, "admin/initiatives/review.html", context)


# --- The conversation with the authors (beside the decision) ---------------------------


def conversation_context(initiative) -> dict:
    """What the review page's thread shows: every message, oldest first, and
    whether anyone can be e-mailed."""
    return {"thread": thread(initiative), "thread_reaches_nobody": not any(author_emails(initiative))}


def review_message(model_admin, request, object_id):
    """Staff write to the authors in the initiative's thread."""
    if not model_admin.has_review_permission(request):
        raise PermissionDenied
    initiative = get_object_or_404(Initiative, pk=object_id)
    try:
        message_post(initiative=initiative, by=request.user, body=request.POST.get("body", ""), from_staff=True)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Message sent to the authors."))
    return redirect(reverse("admin:initiatives_initiative_review", args=[initiative.pk]) + "#conversation")


NOBODY_E_MAILED = gettext_lazy(
    "Nobody was e-mailed: the initiative has no author with an e-mail address. "
    "The message is kept in its workflow history."
)


# --- Publishing the selected initiatives (a changelist action) ------------------------


def publish_selected(model_admin, request, queryset):
    """The body of InitiativeAdmin's bulk action: a confirmation page that
    lists what will be published and what will be skipped, with the choice
    of e-mailing the authors; then the workflow service publishes."""
    selected = list(queryset.select_related("revision_of").order_by("submitted_at", "pk"))
    back_to_queue = request.POST.get("next") == "queue"
    if request.POST.get("confirm") == "yes":
        notify = request.POST.get("notify") == "on"
        result = initiatives_publish(initiatives=selected, by=request.user, notify=notify)
        if result.published:
            published = ngettext(
                "%(count)d initiative published.", "%(count)d initiatives published.", len(result.published)
            ) % {"count": len(result.published)}
            emails = _("Their authors with an e-mail address are notified.") if notify else _("Nobody was e-mailed.")
            model_admin.message_user(request, f"{published} {emails}", messages.SUCCESS)
        if result.skipped:
            model_admin.message_user(request, _skipped_message(result.skipped), messages.WARNING)
        return redirect("admin:initiatives_initiative_review_queue") if back_to_queue else None

    plan = publication_plan(selected)
    if not plan.published:
        model_admin.message_user(request, _skipped_message(plan.skipped), messages.WARNING)
        return redirect("admin:initiatives_initiative_review_queue") if back_to_queue else None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Publish the selected initiatives"),
        "opts": Initiative._meta,
        "plan": plan,
        "queryset": selected,
        "back_to_queue": back_to_queue,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/initiatives/publish_confirmation.html", context)


def _skipped_message(skipped) -> str:
    heading = ngettext(
        "%(count)d initiative was not published:", "%(count)d initiatives were not published:", len(skipped)
    ) % {"count": len(skipped)}
    return " ".join([heading, *(f"“{s.initiative.title}”: {s.reason}" for s in skipped)])


def review_urls(model_admin):
    from django.urls import path

    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "review-queue/",
            wrap(require_safe(lambda request: review_queue(model_admin, request))),
            name="initiatives_initiative_review_queue",
        ),
        path(
            "<path:object_id>/review/message/",
            wrap(require_POST(lambda request, object_id: review_message(model_admin, request, object_id))),
            name="initiatives_initiative_review_message",
        ),
        path(
            "<path:object_id>/review/",
            wrap(lambda request, object_id: review(model_admin, request, object_id)),
            name="initiatives_initiative_review",
        ),
    ]
