from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe
from modeltranslation.admin import TranslationAdmin

from initiatives.exchange.admin import confirmation_context
from initiatives.exchange.imports import (
    RESOURCES,
    import_job_confirm,
    import_job_status,
    job_problems,
    preview_for_display,
)
from initiatives.models import Initiative
from initiatives.services.permissions import may_export
from initiatives.tasks import run_import_job
from pops.admin import (
    EditionAdmin,
    HistoryAdmin,
    InternalRecordAdmin,
    NeutralMessagesMixin,
    VocabularyAdmin,
    register_vocabularies,
)
from pops.spreadsheets import export_response

from . import anvur
from .forms import REPORT, AnvurExportForm
from .models import (
    SDG,
    ExportRecord,
    FieldOfAction,
    Impact,
    ImportJob,
    Product,
    ProductCategory,
    PublicEngagementCategory,
)

register_vocabularies(admin.site, [FieldOfAction, PublicEngagementCategory], EditionAdmin)
register_vocabularies(admin.site, [ProductCategory], VocabularyAdmin)


@admin.register(SDG)
class SDGAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("number", "name", "color")
    search_fields = ("name_it", "name_en", "=number")


@admin.register(Product)
class ProductAdmin(HistoryAdmin):
    list_display = ("title", "category", "initiative", "year")
    list_filter = ("category", "year")
    list_select_related = ("category", "initiative")
    search_fields = ("title", "initiative__title_it")
    autocomplete_fields = ("initiative", "category")


@admin.register(Impact)
class ImpactAdmin(HistoryAdmin):
    list_display = ("__str__", "initiative", "kind", "category", "people_reached")
    list_filter = ("kind", "category")
    list_select_related = ("initiative",)
    search_fields = ("description", "indicator", "initiative__title_it")
    autocomplete_fields = ("initiative",)


@admin.register(ExportRecord)
class ExportRecordAdmin(InternalRecordAdmin):
    """The log of exports, and the ANVUR export form (a button on the list)."""

    list_display = ("created_at", "kind", "format", "row_count", "user", "source")
    list_filter = ("kind", "format", "source")
    list_select_related = ("user",)
    readonly_fields = ("kind", "format", "filters", "row_count", "user", "source", "created_at")
    change_list_template = "admin/impact/exportrecord/change_list.html"

    def has_anvur_export_permission(self, request, obj=None) -> bool:
        """The ANVUR export reads initiatives: who may export them."""
        return may_export(request.user, Initiative)

    def get_urls(self):
        return [
            path("anvur/", self.admin_site.admin_view(self.anvur_view), name="impact_anvur_export"),
            *super().get_urls(),
        ]

    def anvur_view(self, request):
        """The form (GET), and the download when it is filled in (GET too:
        nothing is posted; the download writes its ExportRecord)."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not self.has_anvur_export_permission(request):
            raise PermissionDenied
        form = AnvurExportForm(request.GET if "year" in request.GET else None)
        if form.is_valid():
            data = form.cleaned_data
            return anvur_download(
                user=request.user,
                what=data["what"],
                year=data["year"],
                since=data["since"],
                departments=[d.code for d in data["departments"]],
                fields_of_action=data["fields_of_action"],
                states=data["states"],
                fmt=data["format"],
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("ANVUR third-mission export"),
            "form": form,
            "opts": self.model._meta,
            "columns": anvur.COLUMNS,
        }
        return TemplateResponse(request, "admin/impact/anvur_export.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(InternalRecordAdmin):
    """Large imports run by Celery: the list, and each job's page (progress,
    then the dry run's preview to confirm, or the import's outcome)."""

    list_display = (
        "created_at",
        "kind",
        "original_name",
        "phase",
        "state",
        "total_rows",
        "created_rows",
        "updated_rows",
        "user",
    )
    list_filter = ("phase", "state", "kind")
    list_select_related = ("user",)
    # The stored file is linked through `file_view` (media files are not
    # served in production, and only staff who may see the job may have it).
    fields = readonly_fields = (
        "kind",
        "original_name",
        "stored_file",
        "phase",
        "state",
        "total_rows",
        "processed_rows",
        "created_rows",
        "updated_rows",
        "skipped_rows",
        "preview",
        "errors",
        "arrival_state",
        "duplicate_choices",
        "valid_rows_only",
        "language",
        "user",
        "created_at",
        "started_at",
        "finished_at",
    )

    def get_urls(self):
        return [
            path(
                "<int:job_id>/status/",
                self.admin_site.admin_view(require_safe(self.status_view)),
                name="impact_importjob_status",
            ),
            path(
                "<int:job_id>/progress/",
                self.admin_site.admin_view(require_safe(self.progress_view)),
                name="impact_importjob_progress",
            ),
            path(
                "<int:job_id>/file/",
                self.admin_site.admin_view(require_safe(self.file_view)),
                name="impact_importjob_file",
            ),
            path(
                "<int:job_id>/confirm/",
                self.admin_site.admin_view(require_POST(self.confirm_view)),
                name="impact_importjob_confirm",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("file"))
    def stored_file(self, job: ImportJob) -> str:
        if not job.file:
            return _("deleted")
        url = reverse("admin:impact_importjob_file", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, job.original_name or job.file.name)

    def has_view_permission(self, request, obj=None) -> bool:
        """Staff with the right to see import jobs see them all; who uploaded
        a file sees its job while they may still import into its model."""
        if super().has_view_permission(request, obj):
            return True
        return obj is not None and self._may_confirm(request, obj)

    def _job(self, request, job_id: int) -> ImportJob:
        """The job behind every page of it (status, progress, file, confirm)."""
        job = get_object_or_404(ImportJob, pk=job_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def _may_confirm(self, request, job: ImportJob) -> bool:
        """Only who uploaded the file confirms it (the admin history of the
        import is written in their name), while they may still import."""
        resource = RESOURCES.get(job.kind)
        target = self.admin_site._registry.get(resource._meta.model) if resource else None
        return (
            job.user_id == request.user.pk
            and target is not None
            and getattr(target, "has_import_permission", lambda request: False)(request)
        )

    def status_view(self, request, job_id: int):
        """A progress bar that asks `progress_view` every second and shows
        the page again when the task is over: the dry run's preview (counts,
        every possible duplicate to decide about, what each row writes, every
        bad row, and the form to confirm it), or the import's outcome."""
        job = self._job(request, job_id)
        if job.kind == ImportJob.Kind.CENSUS:  # a census workbook has its own page
            return HttpResponseRedirect(reverse("admin:initiatives_initiative_census_job", args=[job.pk]))
        problems = job_problems(job)
        model = RESOURCES[job.kind]._meta.model
        model_admin = self.admin_site._registry.get(model)
        may_confirm = job.can_be_confirmed and self._may_confirm(request, job)
        rejected = (job.preview or {}).get("rejected", "")
        rejected_url = model_admin.rejected_url(rejected) if rejected and self._may_confirm(request, job) else ""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import of %(name)s") % {"name": job.original_name or job.file.name},
            "opts": self.model._meta,
            "job": job,
            "status": import_job_status(job),
            "retention_days": settings.POPS_IMPORT_FILE_RETENTION_DAYS,
            "confirmation_failed": job.phase == ImportJob.Phase.IMPORT and not job.valid_rows_only and bool(problems),
            "may_confirm": may_confirm,
            "upload_url": self._upload_url(job),
            "left_out": (job.preview or {}).get("left_out", 0),
            # What admin/impact/import_problems.html and import_preview.html show.
            **confirmation_context(
                model=model,
                preview=preview_for_display(job.preview, model) if job.phase == ImportJob.Phase.DRY_RUN else None,
                problems=problems,
                action=reverse("admin:impact_importjob_confirm", args=[job.pk]) if may_confirm else "",
                rejected_url=rejected_url,
            ),
        }
        return TemplateResponse(request, "admin/impact/importjob/status.html", context)

    def _upload_url(self, job: ImportJob) -> str:
        """The import page where a corrected file is uploaded again."""
        if job.kind not in RESOURCES:
            return ""
        opts = RESOURCES[job.kind]._meta.model._meta
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_import")
        except NoReverseMatch:
            return ""

    def confirm_view(self, request, job_id: int):
        """Confirm a checked dry run with staff's choices (the state new
        initiatives arrive in, each possible duplicate's fate, the valid
        rows only): the import task runs once this request's transaction
        commits. Anything else is refused with the reason."""
        job = self._job(request, job_id)
        if not self._may_confirm(request, job):
            raise PermissionDenied
        if job.kind == ImportJob.Kind.CENSUS:  # confirmed, with its choices, on its own page
            return HttpResponseRedirect(reverse("admin:initiatives_initiative_census_job", args=[job.pk]))
        status_url = reverse("admin:impact_importjob_status", args=[job.pk])
        try:
            job = import_job_confirm(
                job_id=job.pk,
                valid_rows_only=forms.BooleanField(required=False).clean(request.POST.get("valid_rows_only")),
                arrival_state=request.POST.get("arrival_state", ""),
                duplicate_choices=request.POST,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(status_url)

        run_import_job.delay_on_commit(job.pk)
        return HttpResponseRedirect(status_url)

    def progress_view(self, request, job_id: int):
        return JsonResponse(import_job_status(self._job(request, job_id)))

    def file_view(self, request, job_id: int):
        """The uploaded file, while it is kept (a failed job's, for some days)."""
        job = self._job(request, job_id)
        if not job.file:
            raise Http404(_("The file of this import has been deleted."))
        try:
            stored = job.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("The file of this import has been deleted.")) from None
        return FileResponse(stored, as_attachment=True, filename=job.original_name or job.file.name.rsplit("/", 1)[-1])


def anvur_download(*, user, what, year, since, departments, fields_of_action, states, fmt):
    """The HTTP download of an ANVUR export or summary (recorded)."""
    if what == REPORT:
        header, rows, _record = anvur.anvur_export(
            year=year, fmt=fmt, user=user, departments=departments, fields_of_action=fields_of_action, states=states
        )
        return export_response(header, rows, fmt=fmt, filename=f"anvur-terza-missione-{year}")
    years = range(since or year, year + 1)
    rows = anvur.summary_rows(years=years, by=what, states=states)
    anvur.export_record(
        kind=ExportRecord.Kind.SUMMARY,
        fmt=fmt,
        filters={"years": list(years), "by": what, "states": states},
        row_count=len(rows),
        user=user,
    )
    return export_response(anvur.SUMMARY_HEADER, rows, fmt=fmt, filename=f"anvur-{what}-{years[0]}-{year}")
