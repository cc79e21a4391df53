from django.contrib import admin
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from pops.admin import EditionAdmin, VocabularyAdmin, register_vocabularies

from .models import SDG, FieldOfAction, Impact, Product, ProductCategory, PublicEngagementCategory

register_vocabularies(admin.site, [FieldOfAction, PublicEngagementCategory], EditionAdmin)
register_vocabularies(admin.site, [ProductCategory], VocabularyAdmin)


@admin.register(SDG)
class SDGAdmin(TranslationAdmin):
    list_display = ("number", "name", "color")
    search_fields = ("name_it", "name_en", "=number")


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ("title", "category", "initiative", "year")
    list_filter = ("category", "year")
    list_select_related = ("category", "initiative")
    search_fields = ("title", "initiative__title_it")
    autocomplete_fields = ("initiative", "category")


@admin.register(Impact)
class ImpactAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "initiative", "kind", "category", "people_reached")
    list_filter = ("kind", "category")
    list_select_related = ("initiative",)
    search_fields = ("description", "indicator", "initiative__title_it")
    autocomplete_fields = ("initiative",)
