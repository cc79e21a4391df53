"""The import and export buttons that the admin adds to initiatives,
organisations and people (django-import-export), with the portal's rules:
files checked before they are read, CSV with commas or semicolons, every
export neutralised and recorded, and a template to start from."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import path
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm

from .anvur import export_record
from .exports import CSV, export_response
from .imports import IMPORT_FORMATS, validate_upload
from .models import ExportRecord
from .resources import EXAMPLES


class CheckedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        validate_upload(upload, max_bytes=settings.POPS_IMPORT_MAX_BYTES)
        return upload


class DataImportExportMixin(ImportExportMixin):
    import_formats = IMPORT_FORMATS
    export_formats = [base_formats.CSV, base_formats.XLSX]
    import_form_class = CheckedImportForm
    import_export_change_list_template = "admin/impact/change_list_import_export.html"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
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

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        export_record(
            kind=ExportRecord.Kind.RESOURCE,
            fmt=file_format.get_extension(),
            filters={"model": self.model._meta.label, "query": request.GET.urlencode()},
            row_count=len(queryset),
            user=request.user,
        )
        return data
