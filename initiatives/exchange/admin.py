"""The import and export buttons that the admin adds to initiatives,
organisations and people (django-import-export), with the portal's rules:
files checked before they are read, CSV with commas or semicolons, a preview
in labels (what each row creates or changes, every bad row's column and
reason written out, each possible duplicate compared field by field with the
initiative it resembles, for staff to choose: update it or create a new
one), an import confirmed all or nothing or, when rows are bad and staff say
so, for the valid rows only (the bad ones downloadable as a file to correct
and import again); a confirmation where a row no longer validates (say a
department it names was deleted after the preview) writes nothing and shows
the problems again. Files of more than POPS_IMPORT_ASYNC_ROWS rows are
previewed and imported by Celery tasks (exchange.imports, the import job's
page), every export is neutralised and recorded, and a template is offered
to start from."""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import get_text_list
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ImportForm

from impact.anvur import export_record
from impact.models import ExportRecord
from initiatives.exchange.imports import (
    IMPORT_FORMATS,
    RESOURCES,
    bad_row_count,
    clean_arrival_state,
    count_rows,
    duplicate_choices_from,
    import_job_create,
    preview_for_display,
    rejected_download_name,
    rejected_file_open,
    rejected_file_save,
    row_errors,
    validate_columns,
    validate_upload,
    whole_file_failed,
)
from initiatives.exchange.resources import DUPLICATE, EXAMPLES
from initiatives.models import Initiative
from initiatives.services.permissions import may_export, may_import
from initiatives.services.workflow import ARRIVAL_STATES
from initiatives.tasks import run_import_job
from pops.spreadsheets import CSV, export_response

logger = logging.getLogger(__name__)


def arrival_choices() -> list[tuple[str, str]]:
    """The states new initiatives may arrive in, as staff choose them."""
    wording = {
        Initiative.State.SUBMITTED: _("Submitted: in the review queue, for staff to publish"),
        Initiative.State.DRAFT: _("Drafts: for their authors to complete and submit"),
    }
    return [(state, wording[state]) for state in ARRIVAL_STATES]


def confirmation_context(
    *, model, preview, problems, action: str, hidden_fields=(), rejected_url: str = "", arrival: str = ""
) -> dict:
    """What admin/impact/import_preview.html needs to show a preview and,
    when there is something to import, the form that confirms it."""
    bad = bad_row_count(problems)
    context = {
        "preview": preview,
        "row_problems": problems,
        "bad_rows": bad,
        "rejected_url": rejected_url,
        "confirm": None,
    }
    if preview is not None and action and preview["importable"]:
        context["confirm"] = {
            "action": action,
            "hidden": list(hidden_fields),
            "asks_arrival": model is Initiative,
            "arrival_choices": arrival_choices(),
            "arrival": arrival or ARRIVAL_STATES[0],
            "importable": preview["importable"],
            "valid_rows_only": bool(bad),
        }
    return context


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


class ChoicesConfirmImportForm(ConfirmImportForm):
    """The confirmation of a preview, with staff's choices: the state new
    initiatives arrive in and, when rows are bad, to import the valid rows
    only (the choices about possible duplicates are posted beside it, one
    `duplicate-<row>` each)."""

    arrival_state = forms.ChoiceField(choices=(), required=False)
    valid_rows_only = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["arrival_state"].choices = [("", ""), *arrival_choices()]


class DataImportExportMixin(ImportExportMixin):
    import_formats = IMPORT_FORMATS
    export_formats = [base_formats.CSV, base_formats.XLSX]
    import_form_class = CheckedImportForm
    confirm_form_class = ChoicesConfirmImportForm
    import_export_change_list_template = "admin/impact/change_list_import_export.html"
    import_template_name = "admin/impact/import.html"

    def has_import_permission(self, request) -> bool:
        """The import page, its confirmation, the template, the rows to
        correct and a large import's job (the library's default lets every
        staff account in)."""
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
            path(
                "import/rejected/<str:name>/",
                self.admin_site.admin_view(require_safe(self.import_rejected_view)),
                name="{}_{}_import_rejected".format(*info),
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

    def import_rejected_view(self, request, name: str):
        """The file of rows to correct that a preview or an import wrote
        (exchange.imports.rejected_file_save), while it is kept."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            stored = rejected_file_open(name)
        except FileNotFoundError:
            raise Http404(_("This file of rows to correct has been deleted.")) from None
        return FileResponse(stored, as_attachment=True, filename=rejected_download_name(name))

    def rejected_url(self, name: str) -> str:
        if not name:
            return ""
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_import_rejected", args=[name])

    def import_action(self, request, **kwargs):
        """The upload and its dry-run preview. A file of more than
        POPS_IMPORT_ASYNC_ROWS rows is previewed by a Celery task instead (an
        ImportJob in its dry-run phase, run once this request's transaction
        commits), and staff follow it, then confirm it, on the job's page.
        The preview is the portal's (admin/impact/import_preview.html): the
        library's table of every column, in codes, is not shown."""
        job = self._dry_run_job(request) if request.method == "POST" else None
        if job is not None:
            run_import_job.delay_on_commit(job.pk)
            return HttpResponseRedirect(reverse("admin:impact_importjob_status", args=[job.pk]))
        response = super().import_action(request, **kwargs)
        context = response.context_data if isinstance(response, TemplateResponse) else None
        result = context.get("result") if context else None
        if result is not None:
            form = context["form"]
            problems = row_errors(result)
            confirm_form = context.get("confirm_form")
            preview = None if whole_file_failed(result) else preview_for_display(result.report.as_dict(), self.model)
            if confirm_form is None and preview is not None and preview["importable"]:
                # Bad rows, and others to import: staff may import the valid ones only.
                confirm_form = self.create_confirm_form(request, import_form=form)
            rejected = ""
            if problems and preview is not None:
                rejected = rejected_file_save(result=result, filename=form.cleaned_data["import_file"].name)
            context.update(
                confirmation_context(
                    model=self.model,
                    preview=preview,
                    problems=problems,
                    action=reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_process_import")
                    if confirm_form is not None
                    else "",
                    hidden_fields=confirm_form.hidden_fields() if confirm_form is not None else (),
                    rejected_url=self.rejected_url(rejected),
                )
            )
            if confirm_form is not None:
                context["confirm_form"] = confirm_form
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
            kind=kind,
            data=data,
            filename=upload.name,
            total_rows=rows,
            user=request.user,
            dry_run=True,
            language=get_language() or settings.LANGUAGE_CODE,
        )

    @staticmethod
    def _confirmation(form) -> dict:
        """Staff's choices, from a valid confirmation form."""
        if not isinstance(form, ChoicesConfirmImportForm) or not form.is_bound or not form.is_valid():
            return {}
        return form.cleaned_data

    def get_import_resource_kwargs(self, request, **kwargs):
        """At confirmation, the resource is given staff's choices: what to do
        with each possible duplicate, the state new initiatives arrive in."""
        options = super().get_import_resource_kwargs(request, **kwargs)
        chosen = self._confirmation(kwargs.get("form"))
        if chosen:
            options["duplicate_choices"] = duplicate_choices_from(request.POST)
            arrival = clean_arrival_state(self.model, chosen.get("arrival_state", ""))
            if arrival:
                options["arrival_state"] = arrival
        return options

    def get_import_data_kwargs(self, **kwargs):
        """Every import the admin runs, the confirmed one included, is rolled
        back whole when a row does not validate (the library's default keeps
        the valid rows and skips the others), unless staff chose to import
        the valid rows only."""
        chosen = self._confirmation(kwargs.get("form"))
        request = kwargs.get("request")
        valid_rows_only = bool(chosen.get("valid_rows_only"))
        if request is not None:
            request.pops_valid_rows_only = valid_rows_only
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = not valid_rows_only
        return kwargs

    def process_result(self, result, request):
        """After the confirmed import: the changelist with a message saying
        what was imported (and what was left out, with the file of rows to
        correct), or, when a row failed after all in an all-or-nothing
        import (nothing was written), the import page again with every
        problem and the form to upload a corrected file."""
        valid_rows_only = getattr(request, "pops_valid_rows_only", False)
        if whole_file_failed(result) or (result.has_validation_errors() and not valid_rows_only):
            return self._confirmation_failed(request, result)
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        """What the import did, in the user's language (the library's own
        message is not in the portal's translations)."""
        counts = result.report.counts
        messages.success(
            request,
            # Labelled counts: Italian agrees no adjective with the model's gender.
            _("Import of %(what)s finished. New: %(new)d; updated: %(updated)d; unchanged: %(unchanged)d.")
            % {
                "new": counts["new"],
                "updated": counts["update"],
                "unchanged": counts["skip"],
                "what": self.model._meta.verbose_name_plural,
            },
        )
        bad, undecided = bad_row_count(row_errors(result)), counts[DUPLICATE]
        if not bad and not undecided:
            return
        left_out = []
        if bad:
            left_out.append(ngettext("%(count)d row with errors", "%(count)d rows with errors", bad) % {"count": bad})
        if undecided:
            left_out.append(
                ngettext(
                    "%(count)d possible duplicate without a choice",
                    "%(count)d possible duplicates without a choice",
                    undecided,
                )
                % {"count": undecided}
            )
        rejected = rejected_file_save(result=result, filename=request.POST.get("original_file_name", ""))
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Not imported: %(rows)s.") % {"rows": get_text_list(left_out, _("and"))},
                self.rejected_url(rejected),
                _("Download them to correct and import again."),
            ),
        )

    def _confirmation_failed(self, request, result):
        form_class = self.get_import_form_class(request)
        resource_classes = self.get_import_resource_classes(request)
        form = form_class(self.get_import_formats(), resource_classes, initial=self.get_import_form_initial(request))
        resources = [
            resource_class(**self.get_import_resource_kwargs(request=request, form=form))
            for resource_class in resource_classes
        ]
        problems = row_errors(result)
        rejected = ""
        if not whole_file_failed(result):
            rejected = rejected_file_save(result=result, filename=request.POST.get("original_file_name", ""))
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
            **confirmation_context(
                model=self.model,
                preview=None,
                problems=problems,
                action="",
                rejected_url=self.rejected_url(rejected),
            ),
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
