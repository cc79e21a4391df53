from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from initiatives.exchange.admin import DataImportExportMixin
from initiatives.exchange.resources import OrganisationResource
from pops.admin import HistoryAdmin, register_vocabularies

from .models import Organisation, OrganisationType, Partnership, TargetGroup, TerritorialDemand

register_vocabularies(admin.site, [OrganisationType, TargetGroup])


@admin.register(Organisation)
class OrganisationAdmin(DataImportExportMixin, HistoryAdmin):
    resource_classes = [OrganisationResource]
    list_display = ("name", "type", "municipality", "country")
    list_filter = ("type", "country")
    list_select_related = ("type",)
    search_fields = ("name", "municipality")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("type",)


@admin.register(Partnership)
class PartnershipAdmin(HistoryAdmin):
    list_display = ("organisation", "initiative", "role")
    list_filter = ("role",)
    list_select_related = ("organisation", "initiative")
    search_fields = ("organisation__name", "initiative__title_it")
    autocomplete_fields = ("organisation", "initiative")


@admin.register(TerritorialDemand)
class TerritorialDemandAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("title", "organisation", "status", "posted_on")
    list_filter = ("status", "sectors")
    list_select_related = ("organisation",)
    search_fields = ("title_it", "title_en", "organisation__name")
    autocomplete_fields = ("organisation", "sectors", "target_groups", "competences", "initiatives")
