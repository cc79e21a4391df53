from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from pops.admin import NeutralMessagesMixin

from .models import (
    InterventionArea,
    PerformanceObjective,
    PerformanceObjectiveAssignment,
    Plan,
    StrategicObjective,
    StrategicPillar,
    Structure,
    Vision,
)


@admin.register(Plan)
class PlanAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("title", "kind", "code", "start_year", "end_year")
    list_filter = ("kind",)
    search_fields = ("title_it", "title_en", "code")


class InterventionAreaInline(TranslationTabularInline):
    model = InterventionArea
    fields = ("position", "code", "name_it", "name_en")
    extra = 0


@admin.register(Vision)
class VisionAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("name", "plan", "position")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    search_fields = ("name_it", "name_en", "code")
    inlines = [InterventionAreaInline]


@admin.register(InterventionArea)
class InterventionAreaAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("name", "vision", "position")
    list_filter = ("vision__plan", "vision")
    list_select_related = ("vision",)
    search_fields = ("name_it", "name_en", "code", "description_it", "synonyms")
    autocomplete_fields = ("vision",)


@admin.register(Structure)
class StructureAdmin(NeutralMessagesMixin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class StrategicObjectiveInline(TranslationTabularInline):
    model = StrategicObjective
    fields = ("position", "code", "title_it", "title_en")
    extra = 0


@admin.register(StrategicPillar)
class StrategicPillarAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("name", "plan", "position")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    search_fields = ("name_it", "name_en", "code")
    inlines = [StrategicObjectiveInline]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("code", "title", "pillar")
    list_filter = ("pillar__plan", "pillar")
    list_select_related = ("pillar",)
    search_fields = ("code", "title_it", "title_en")
    autocomplete_fields = ("pillar",)


class AssignmentInline(admin.TabularInline):
    model = PerformanceObjectiveAssignment
    autocomplete_fields = ("structure",)
    extra = 0


@admin.register(PerformanceObjective)
class PerformanceObjectiveAdmin(NeutralMessagesMixin, TranslationAdmin):
    list_display = ("code", "title", "strategic_objective", "responsible_structure", "target_value")
    list_filter = ("plan", "pillar", "responsible_structure")
    list_select_related = ("strategic_objective", "responsible_structure")
    search_fields = ("code", "title_it", "title_en", "purpose")
    autocomplete_fields = ("plan", "pillar", "strategic_objective", "responsible_structure")
    inlines = [AssignmentInline]
    fieldsets = (
        (None, {"fields": ("plan", "code", "position", "pillar", "strategic_objective")}),
        (None, {"fields": ("title_it", "title_en", "purpose", "responsible_structure")}),
        (_("Threshold"), {"fields": ("threshold_value", "threshold_description")}),
        (_("Target"), {"fields": ("target_value", "target_description")}),
        (_("Excellence"), {"fields": ("excellence_value", "excellence_description")}),
    )
