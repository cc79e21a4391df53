"""The census workbook in the admin of initiatives: download the template,
export a selection, upload a filled workbook, see its dry run (what would be
new, updated or unchanged, every problem by sheet, row and column, every
possible duplicate side by side with the initiative it may be), choose,
confirm, and download the rows left out to correct them.

The pages are thin: the work is census_export, census_import and
census_jobs'; the rights are services.permissions' (may_import, may_export).
"""

from __future__ import annotations

import tempfile

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from impact.anvur import export_record
from impact.models import ExportRecord, ImportJob
from initiatives.exchange.census_export import write_census_template, write_census_workbook
from initiatives.exchange.census_format import SHEETS_BY_NAME
from initiatives.exchange.census_import import CHOICE_NEW, CHOICE_SKIP, CHOICE_UPDATE, SHOWN
from initiatives.exchange.census_jobs import (
    ARRIVAL_LABELS,
    census_job_confirm,
    census_job_create,
    census_job_rejected_rows,
)
from initiatives.models import Initiative
from initiatives.services.permissions import may_export_census, may_import
from initiatives.services.workflow import ARRIVAL_STATES
from initiatives.tasks import run_census_job
from pops.spreadsheets import CONTENT_TYPES, XLSX

MODE_ALL = "all"
MODE_VALID = "valid"


class CensusUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Census workbook (.xlsx)"),
        help_text=gettext_lazy(
            "The sheets of the template: initiatives, people, partnerships, places, products, impacts."
        ),
    )
    arrival = forms.ChoiceField(
        label=gettext_lazy("New initiatives arrive as"),
        choices=[(state, ARRIVAL_LABELS[state]) for state in ARRIVAL_STATES],
        initial=ARRIVAL_STATES[0],
        widget=forms.RadioSelect,
        help_text=gettext_lazy("An import never publishes: publish them from the review queue."),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have problems"),
        choices=[
            (MODE_ALL, gettext_lazy("Import nothing (all or nothing)")),
            (MODE_VALID, gettext_lazy("Import the initiatives without problems; download the others to correct")),
        ],
        initial=MODE_ALL,
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(
                _("The census workbook is an .xlsx file: “%(name)s” is not.") % {"name": upload.name}, code="file_type"
            )
        if upload.size > settings.POPS_IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is too large (%(size)d MB; at most %(max)d MB).")
                % {"size": upload.size // 2**20 + 1, "max": settings.POPS_IMPORT_MAX_BYTES // 2**20},
                code="file_size",
            )
        return upload


def _workbook_response(write, filename: str) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    result = write(handle)
    handle.seek(0)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[XLSX])
    response.pops_rows = result
    return response


class CensusWorkbookAdminMixin:
    """Added to the initiatives' ModelAdmin."""

    # The changelist buttons: the census workbook beside the flat import and export.
    import_export_change_list_template = "admin/initiatives/census_change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("census/", view(self.census_import_view), name="initiatives_initiative_census_import"),
            path(
                "census/template/",
                view(require_safe(self.census_template_view)),
                name="initiatives_initiative_census_template",
            ),
            path(
                "census/download/",
                view(require_safe(self.census_export_view)),
                name="initiatives_initiative_census_download",
            ),
            path(
                "census/<int:job_id>/",
                view(require_safe(self.census_job_view)),
                name="initiatives_initiative_census_job",
            ),
            path(
                "census/<int:job_id>/confirm/",
                view(require_POST(self.census_confirm_view)),
                name="initiatives_initiative_census_confirm",
            ),
            path(
                "census/<int:job_id>/rejected/",
                view(require_safe(self.census_rejected_view)),
                name="initiatives_initiative_census_rejected",
            ),
            *super().get_urls(),
        ]

    # --- Rights ---

    def has_census_import_permission(self, request) -> bool:
        return may_import(request.user, Initiative)

    def has_census_export_permission(self, request) -> bool:
        return may_export_census(request.user)

    def _census_job(self, request, job_id: int) -> ImportJob:
        """Who uploaded a workbook follows its job, while they may import."""
        if not self.has_census_import_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ImportJob, pk=job_id, kind=ImportJob.Kind.CENSUS)
        if job.user_id != request.user.pk:
            raise PermissionDenied
        return job

    # --- Export ---

    @admin.action(
        description=gettext_lazy("Export the selected initiatives as a census workbook"), permissions=["census_export"]
    )
    def export_census_workbook(self, request, queryset):
        return self._census_export(request, queryset)

    def census_export_view(self, request):
        if not self.has_census_export_permission(request):
            raise PermissionDenied
        return self._census_export(request, Initiative.objects.all())

    def _census_export(self, request, queryset):
        response = _workbook_response(lambda stream: write_census_workbook(queryset, stream), "census.xlsx")
        export_record(
            kind=ExportRecord.Kind.RESOURCE,
            fmt="xlsx",
            filters={"model": "census", "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)[:1000]},
            row_count=response.pops_rows,
            user=request.user,
        )
        return response

    def census_template_view(self, request):
        if not self.has_census_import_permission(request):
            raise PermissionDenied
        return _workbook_response(write_census_template, "census-template.xlsx")

    # --- Import ---

    def _census_context(self, request, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "template_url": reverse("admin:initiatives_initiative_census_template"),
            **extra,
        }

    def census_import_view(self, request):
        if not self.has_census_import_permission(request):
            raise PermissionDenied
        form = CensusUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            job = census_job_create(
                data=b"".join(upload.chunks()),
                filename=upload.name,
                user=request.user,
                arrival=form.cleaned_data["arrival"],
                valid_only=form.cleaned_data["mode"] == MODE_VALID,
                language=translation.get_language() or "",
            )
            run_census_job.delay_on_commit(job.pk)
            return HttpResponseRedirect(reverse("admin:initiatives_initiative_census_job", args=[job.pk]))
        context = self._census_context(request, title=_("Import a census workbook"), form=form)
        return TemplateResponse(request, "admin/initiatives/census_import.html", context)

    def census_job_view(self, request, job_id: int):
        job = self._census_job(request, job_id)
        preview = job.preview or {}
        problems = _labelled(preview.get("problems", []) if job.state != ImportJob.State.FAILED else job.errors)
        entries = preview.get("entries", [])
        context = self._census_context(
            request,
            title=_("Census workbook “%(name)s”") % {"name": job.original_name},
            job=job,
            in_progress=job.in_progress,
            totals=preview.get("totals", {}),
            problems=problems,
            notices=preview.get("notices", []),
            duplicates=[
                {
                    **d,
                    "comparison": [
                        {**row, "label": _column_label("initiatives", row["column"])} for row in d["comparison"]
                    ],
                }
                for d in preview.get("duplicates", [])
            ],
            changed=[e for e in entries if e["outcome"] in ("new", "update")][:SHOWN],
            valid_only=job.valid_rows_only,
            arrival=ARRIVAL_LABELS.get(job.arrival_state, ""),
            may_confirm=job.phase == ImportJob.Phase.DRY_RUN and job.state == ImportJob.State.CHECKED,
            choice_new=CHOICE_NEW,
            choice_skip=CHOICE_SKIP,
            choice_update=CHOICE_UPDATE,
            has_rejected=bool(job.file) and any(e["outcome"] in ("invalid", "duplicate") for e in entries),
            review_url=reverse("admin:initiatives_initiative_changelist") + "?state__exact=submitted",
        )
        return TemplateResponse(request, "admin/initiatives/census_job.html", context)

    def census_confirm_view(self, request, job_id: int):
        job = self._census_job(request, job_id)
        choices = {
            d["key"]: request.POST[f"choice-{d['key']}"]
            for d in (job.preview or {}).get("duplicates", [])
            if request.POST.get(f"choice-{d['key']}")
        }
        try:
            job = census_job_confirm(job=job, choices=choices)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            run_census_job.delay_on_commit(job.pk)
        return HttpResponseRedirect(reverse("admin:initiatives_initiative_census_job", args=[job.pk]))

    def census_rejected_view(self, request, job_id: int):
        job = self._census_job(request, job_id)
        data = census_job_rejected_rows(job)
        if data is None:
            messages.info(request, _("There are no rows to correct in this file (or it was deleted)."))
            return HttpResponseRedirect(reverse("admin:initiatives_initiative_census_job", args=[job.pk]))
        response = HttpResponse(data, content_type=CONTENT_TYPES[XLSX])
        response["Content-Disposition"] = 'attachment; filename="census-to-correct.xlsx"'
        return response


def _column_label(sheet: str, column: str) -> str:
    """A column as staff see it in the preview: its header, then its meaning."""
    known = SHEETS_BY_NAME.get(sheet)
    if known is None or not column:
        return column
    try:
        return f"{column} — {known.column(column).help}"
    except StopIteration:
        return column


def _labelled(problems: list[dict]) -> list[dict]:
    return [
        {
            **problem,
            "sheet_label": str(SHEETS_BY_NAME[problem["sheet"]].title)
            if problem.get("sheet") in SHEETS_BY_NAME
            else "",
        }
        for problem in problems
    ]


def finished_message(job: ImportJob) -> str:
    return ngettext(
        "Import finished: %(created)d new initiative, %(updated)d updated, %(unchanged)d unchanged.",
        "Import finished: %(created)d new initiatives, %(updated)d updated, %(unchanged)d unchanged.",
        job.created_rows,
    ) % {"created": job.created_rows, "updated": job.updated_rows, "unchanged": job.skipped_rows}
