"""Staff's merge screens inside the admin: two initiatives side by side, the
confirmation of what the merge will do, the list of merges and their undo.

Every page asks the InitiativeAdmin's `has_merge_permission` (the rule is
`services.permissions.may_merge_initiatives`) before it reads or writes; the
rules of merging and undoing are `services.merging`'s."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from initiatives.services import merging

from .models import Initiative, InitiativeMerge

EXACTLY_TWO = gettext_lazy("Select exactly two initiatives to compare and merge (you selected %(count)d).")

PICK_A, PICK_B, PICK_BOTH = "a", "b", "both"


class MergeForm(forms.Form):
    """The curator's answers about initiatives A and B: which survives, and
    for each field and set whose value it keeps."""

    def __init__(self, *args, a: Initiative, b: Initiative, compared_fields, compared_sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.a, self.b = a, b
        self.fields["survivor"] = forms.ChoiceField(
            label=gettext_lazy("Initiative kept"),
            choices=[(PICK_A, a.title), (PICK_B, b.title)],
            widget=forms.RadioSelect,
        )
        sides = [(PICK_A, "A"), (PICK_B, "B")]
        for compared in compared_fields:
            self.fields[f"field_{compared.choice.key}"] = forms.ChoiceField(
                label=compared.choice.label, choices=sides, initial=compared.default
            )
        for compared in compared_sets:
            self.fields[f"set_{compared.name}"] = forms.ChoiceField(
                label=compared.label, choices=[*sides, (PICK_BOTH, _("both"))], initial=compared.default
            )

    def survivor_and_other(self) -> tuple[Initiative, Initiative]:
        if self.cleaned_data["survivor"] == PICK_A:
            return self.a, self.b
        return self.b, self.a

    def answers(self) -> tuple[dict, dict]:
        """The answers as the service takes them (survivor, other, combine)."""
        kept = self.cleaned_data["survivor"]

        def side(pick: str) -> str:
            if pick == PICK_BOTH:
                return merging.COMBINE
            return merging.SURVIVOR if pick == kept else merging.OTHER

        fields = {key[len("field_") :]: side(v) for key, v in self.cleaned_data.items() if key.startswith("field_")}
        sets = {key[len("set_") :]: side(v) for key, v in self.cleaned_data.items() if key.startswith("set_")}
        return fields, sets


def _check(model_admin, request) -> None:
    if not model_admin.has_merge_permission(request):
        raise PermissionDenied


def merge_selected(model_admin, request, queryset):
    """The changelist action: exactly two selected open their comparison."""
    selected = list(queryset.order_by("created_at", "pk").values_list("pk", flat=True)[:3])
    if len(selected) != 2:
        model_admin.message_user(request, EXACTLY_TWO % {"count": queryset.count()}, messages.WARNING)
        return None
    return redirect(_compare_url(*selected))


def _compare_url(a: int, b: int) -> str:
    return f"{reverse('admin:initiatives_initiative_merge_compare', args=[a])}?with={b}"


def _pair(request, object_id) -> tuple[Initiative, Initiative]:
    try:
        other_id = int(request.GET.get("with") or request.POST.get("with") or "")
    except ValueError:
        raise Http404 from None
    related = ("participations__person", "partnerships__organisation", "products__category", "places", "impacts")
    queryset = Initiative.objects.prefetch_related(*Initiative.CLASSIFICATIONS).prefetch_related(*related)
    return get_object_or_404(queryset, pk=object_id), get_object_or_404(queryset, pk=other_id)


def merge_compare(model_admin, request, object_id):
    """GET: A and B side by side with the curator's choices. POST: the
    choices checked, then a page saying what the merge will do; POST with
    `confirm`: the merge, then the list of merges."""
    _check(model_admin, request)
    a, b = _pair(request, object_id)
    problems = merging.merge_problems(a, b)
    compared_fields, compared_sets = merging.merge_comparison(a, b)
    default = PICK_A if merging.default_survivor(a, b).pk == a.pk else PICK_B
    posted = request.method == "POST" and "back" not in request.POST
    form = MergeForm(
        request.POST if request.method == "POST" else None,
        initial={"survivor": default},
        a=a,
        b=b,
        compared_fields=compared_fields,
        compared_sets=compared_sets,
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Initiative._meta,
        "a": a,
        "b": b,
        "form": form,
        "problems": problems,
    }
    if posted and not problems and form.is_valid():
        survivor, other = form.survivor_and_other()
        fields, sets = form.answers()
        if "confirm" in request.POST:
            try:
                merge = merging.initiatives_merge(
                    survivor=survivor, other=other, fields=fields, sets=sets, by=request.user
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("“%(other)s” was merged into “%(survivor)s”. You can undo it from this list.")
                    % {"other": other.title, "survivor": survivor.title},
                )
                return redirect(f"{reverse('admin:initiatives_initiative_merges')}#merge-{merge.pk}")
        else:
            chosen = {c.choice.key: c for c in compared_fields}
            labelled_sets = {c.name: c.label for c in compared_sets}
            return TemplateResponse(
                request,
                "admin/initiatives/merge_confirmation.html",
                {
                    **context,
                    "title": _("Confirm the merge"),
                    "survivor": survivor,
                    "other": other,
                    "taken": [chosen[key].choice.label for key, answer in fields.items() if answer == merging.OTHER],
                    "sets_taken": [labelled_sets[n] for n, answer in sets.items() if answer == merging.OTHER],
                    "sets_combined": [
                        labelled_sets[n]
                        for n, answer in sets.items()
                        if answer == merging.COMBINE and not next(c for c in compared_sets if c.name == n).same
                    ],
                },
            )
    form_fields = {name: form[name] for name in form.fields}
    context.update(
        {
            "title": _("Compare and merge"),
            "survivor_field": form["survivor"],
            "sides": [(a, PICK_A), (b, PICK_B)],
            "rows": [(c, form_fields[f"field_{c.choice.key}"]) for c in compared_fields],
            "sets": [(c, form_fields[f"set_{c.name}"]) for c in compared_sets],
            "differing": sum(not c.same for c in compared_fields) + sum(not c.same for c in compared_sets),
        }
    )
    return TemplateResponse(request, "admin/initiatives/merge_compare.html", context)


def merge_list(model_admin, request):
    _check(model_admin, request)
    merges = InitiativeMerge.objects.select_related("survivor", "merged", "by", "undone_by").order_by("-at", "-id")[
        :200
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Merges of initiatives"),
        "opts": Initiative._meta,
        "merges": merges,
    }
    return TemplateResponse(request, "admin/initiatives/merge_list.html", context)


def merge_undo(model_admin, request, merge_id):
    """GET: what undoing will do, or why it cannot. POST: undo."""
    _check(model_admin, request)
    merge = get_object_or_404(InitiativeMerge.objects.select_related("survivor", "merged", "by"), pk=merge_id)
    problems = merging.undo_problems(merge)
    if request.method == "POST" and not problems:
        try:
            merging.merge_undo(merge=merge, by=request.user)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                _("Merge undone: “%(merged)s” is back at its own address, “%(survivor)s” has its previous values.")
                % {"merged": merge.merged.title, "survivor": merge.survivor.title},
            )
            return HttpResponseRedirect(reverse("admin:initiatives_initiative_merges"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Undo the merge"),
        "opts": Initiative._meta,
        "merge": merge,
        "problems": problems,
    }
    return TemplateResponse(request, "admin/initiatives/merge_undo.html", context)


def merge_urls(model_admin):
    from django.urls import path

    wrap = model_admin.admin_site.admin_view
    both = require_http_methods(["GET", "HEAD", "POST"])
    return [
        path(
            "merges/",
            wrap(require_safe(lambda request: merge_list(model_admin, request))),
            name="initiatives_initiative_merges",
        ),
        path(
            "merges/<int:merge_id>/undo/",
            wrap(both(lambda request, merge_id: merge_undo(model_admin, request, merge_id))),
            name="initiatives_initiative_merge_undo",
        ),
        path(
            "<path:object_id>/merge/",
            wrap(both(lambda request, object_id: merge_compare(model_admin, request, object_id))),
            name="initiatives_initiative_merge_compare",
        ),
    ]
