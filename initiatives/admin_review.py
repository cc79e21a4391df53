"""The staff review screens inside the admin: the queue and one initiative's
review (diff, completeness, look-alikes, and the workflow move).

Both pages ask the InitiativeAdmin's `has_review_permission` (the rule is
`services.permissions.is_staff_reviewer`); the workflow table then says which
moves the reviewer may make."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from initiatives.services.initiatives import missing_for_submission
from initiatives.services.review import changes_since_approved, possible_duplicates
from initiatives.services.workflow import TRANSITIONS, allowed_targets, initiative_transition

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

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(t, ACTION_LABELS.get(t, State(t).label)) for t in targets]


def review_queue(model_admin, request):
    if not model_admin.has_review_permission(request):
        raise PermissionDenied
    queue = (
        Initiative.objects.filter(state__in=[State.SUBMITTED, State.CHANGES_REQUESTED])
        .select_related("revision_of", "created_by")
        .order_by("submitted_at", "created_at")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Review queue"),
        "opts": Initiative._meta,
        "queue": queue,
    }
    return TemplateResponse(request, "admin/initiatives/review_queue.html", context)


def review(model_admin, request, object_id):
    if not model_admin.has_review_permission(request):
        raise PermissionDenied
    initiative = get_object_or_404(
        Initiative.objects.select_related("revision_of").prefetch_related("transitions__by"), pk=object_id
    )
    if not model_admin.has_review_permission(request, initiative):
        raise PermissionDenied
    targets = allowed_targets(initiative, request.user)
    form = ReviewForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            initiative_transition(
                initiative=initiative, to=form.cleaned_data["to"], by=request.user, message=form.cleaned_data["message"]
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
                    "state": State(form.cleaned_data["to"]).label.lower(),
                },
            )
            return redirect("admin:initiatives_initiative_review_queue")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Review: %(title)s") % {"title": initiative.title},
        "opts": Initiative._meta,
        "original": initiative,
        "initiative": initiative,
        "form": form,
        "changes": changes_since_approved(initiative),
        "missing": missing_for_submission(initiative),
        "duplicates": possible_duplicates(initiative),
        "rules": TRANSITIONS,
    }
    return TemplateResponse(request, "admin/initiatives/review.html", context)


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
            "<path:object_id>/review/",
            wrap(lambda request, object_id: review(model_admin, request, object_id)),
            name="initiatives_initiative_review",
        ),
    ]
