"""The import and export buttons that the admin adds to initiatives,
organisations and people (django-import-export), with the portal's rules:
files checked before they are read, CSV with commas or semicolons, every bad
row's column and reason written out in the preview, an import confirmed all
or nothing (a row that no longer validates at confirmation, say because a
department it names was deleted after the preview, writes nothing and shows
the problems again), files of more than POPS_IMPORT_ASYNC_ROWS rows previewed
and imported by Celery tasks (exchange.imports, the import job's page), every
export neutralised and recorded, and a template to start from."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm

from impact.anvur import export_record
from impact.models import ExportRecord
from initiatives.exchange.imports import (
    IMPORT_FORMATS,
    RESOURCES,
    count_rows,
    import_job_create,
    row_errors,
    validate_columns,
    validate_upload,
)
from initiatives.exchange.resources import EXAMPLES
from initiatives.services.permissions import may_export, may_import
from initiatives.tasks import run_import_job
from pops.spreadsheets import CSV, export_response

logger = logging.getLogger(__name__)


def _failed(result) -> bool:
    return result.has_errors() or result.has_validation_errors()


def _problems_context(result) -> dict:
    problems = row_errors(result)
    return {"row_problems": problems, "bad_rows": len({problem.row for problem in problems if problem.row})}


class CheckedImportForm(ImportForm):
    """The upload, refused with a sentence before its rows are read when its
    type, size or archive is wrong (exchange.imports.validate_upload), when
    the format chosen is not the file's, or when its first row names none of
    the chosen import's columns."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.import_formats = formats
        self.import_resources = resources

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        validate_upload(upload, max_bytes=settings.POPS_IMPORT_MAX_BYTES)
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is not None and not self.has_error("import_file") and cleaned.get("format"):
            expected = self.import_formats[int(cleaned["format"])]().get_extension()
            extension = upload.name.rpartition(".")[2].lower()
            if extension != expected:
                self.add_error(
                    "import_file",
                    _("The file is named “%(name)s” but the format chosen is %(format)s: choose %(extension)s.")
                    % {"name": upload.name, "format": expected.upper(), "extension": extension.upper()},
                )
                return cleaned
            resource_class = self.import_resources[int(cleaned.get("resource") or 0)]
            try:
                validate_columns(upload, resource_class=resource_class)
            except ValidationError as exc:
                self.add_error("import_file", exc)
        return cleaned


class DataImportExportMixin(ImportExportMixin):
    import_formats = IMPORT_FORMATS
    export_formats = [base_formats.CSV, base_formats.XLSX]
    import_form_class = CheckedImportForm
    import_export_change_list_template = "admin/impact/change_list_import_export.html"
    import_template_name = "admin/impact/import.html"

    def has_import_permission(self, request) -> bool:
        """The import page, its confirmation, the template and a large
        import's job (the library's default lets every staff account in)."""
        return may_import(request.user, self.model)

    def has_export_permission(self, request) -> bool:
        return may_export(request.user, self.model)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(require_safe(self.import_template_view)),
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request):
        """A CSV with the import columns and one example row."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource_class = self.resource_classes[0]
        resource = resource_class()
        header = resource.get_export_headers()
        example = EXAMPLES.get(resource_class, {})
        return export_response(
            header,
            [[example.get(name, "") for name in header]],
            fmt=CSV,
            filename=f"{self.model._meta.model_name}-import",
        )

    def import_action(self, request, **kwargs):
        """The upload and its dry-run preview. A file of more than
        POPS_IMPORT_ASYNC_ROWS rows is previewed by a Celery task instead (an
        ImportJob in its dry-run phase, run once this request's transaction
        commits), and staff follow it, then confirm it, on the job's page.
        When rows are bad, the page lists each problem (row, column, reason)
        as text, in place of the library's table whose reasons only show on
        hover."""
        job = self._dry_run_job(request) if request.method == "POST" else None
        if job is not None:
            run_import_job.delay_on_commit(job.pk)
            return HttpResponseRedirect(reverse("admin:impact_importjob_status", args=[job.pk]))
        response = super().import_action(request, **kwargs)
        result = response.context_data.get("result") if isinstance(response, TemplateResponse) else None
        if result is not None and _failed(result):
            response.context_data.update(_problems_context(result))
        return response

    def add_data_read_fail_error_to_form(self, form, e):
        """A file the library could not read: the readers' sentence (they
        raise ValidationError), never the name of an exception."""
        if isinstance(e, ValidationError):
            for message in e.messages:
                form.add_error("import_file", message)
            return
        logger.exception("An import file could not be read", exc_info=e)
        form.add_error(
            "import_file",
            _("This file could not be read: check that it is a CSV or XLSX file, in the format chosen."),
        )

    def _dry_run_job(self, request):
        """The dry-run job of a valid upload (type and size checked by the
        form before the file is read) of more than POPS_IMPORT_ASYNC_ROWS
        rows; None for anything else, which the library's preview handles
        at once (the form's errors, a file it cannot read, a small file)."""
        if not self.has_import_permission(request) or self.is_skip_import_confirm_enabled():
            return None
        form = self.create_import_form(request)
        if not form.is_valid():
            return None
        upload = form.cleaned_data["import_file"]
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
        if not upload.name.lower().endswith("." + input_format.get_extension()):
            return None  # the chosen format is not the file's: the library says it cannot read it
        data = b"".join(upload.chunks())
        upload.seek(0)
        threshold = settings.POPS_IMPORT_ASYNC_ROWS
        rows = count_rows(data=data, filename=upload.name, more_than=threshold)
        if rows is None or rows <= threshold:
            return None
        resource_class = self.choose_import_resource_class(form, request)
        kind = next(kind for kind, known in RESOURCES.items() if known is resource_class)
        return import_job_create(
            kind=kind, data=data, filename=upload.name, total_rows=rows, user=request.user, dry_run=True
        )

    def get_import_data_kwargs(self, **kwargs):
        """Every import the admin runs, the confirmed one included, is rolled
        back whole when a row does not validate (the library's default keeps
        the valid rows and skips the others)."""
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        """After the confirmed import: the changelist with a success message,
        or, when a row failed after all (nothing was written), the import page
        again with every problem and the form to upload a corrected file."""
        if _failed(result):
            return self._confirmation_failed(request, result)
        return super().process_result(result, request)

    def _confirmation_failed(self, request, result):
        form_class = self.get_import_form_class(request)
        resource_classes = self.get_import_resource_classes(request)
        form = form_class(self.get_import_formats(), resource_classes, initial=self.get_import_form_initial(request))
        resources = [
            resource_class(**self.get_import_resource_kwargs(request=request, form=form))
            for resource_class in resource_classes
        ]
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [
                (resource.get_display_name(), [f.column_name for f in resource.get_user_visible_fields()])
                for resource in resources
            ],
            "import_error_display": self.import_error_display,
            "result": result,
            "confirmation_failed": True,
            **_problems_context(result),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def get_data_for_export(self, request, queryset, **kwargs):
        """The exported rows (the resource's `filter_export` decides which of
        the changelist's, and prefetches what they read), counted for the
        record: the rows actually written, never the whole queryset loaded
        to count it."""
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        request.pops_export_rows = len(dataset)
        return dataset

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        export_record(
            kind=ExportRecord.Kind.RESOURCE,
            fmt=file_format.get_extension(),
            filters={"model": self.model._meta.label, "query": request.GET.urlencode()},
            row_count=request.pops_export_rows,
            user=request.user,
        )
        return data
