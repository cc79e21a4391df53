"""Admin building blocks shared by the apps."""

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin


class VocabularyAdmin(TranslationAdmin):
    """Staff edit every controlled vocabulary the same way."""

    list_display = ("code", "name", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_it", "name_en")
    ordering = ("position", "code")


class EditionAdmin(VocabularyAdmin):
    """ANVUR vocabularies, versioned by reporting year."""

    list_display = ("code", "name", "valid_from", "valid_to", "position", "is_active")
    list_filter = ("valid_from", "is_active")
    ordering = ("-valid_from", "position")


def register_vocabularies(site: admin.AdminSite, models, admin_class=VocabularyAdmin) -> None:
    for model in models:
        site.register(model, admin_class)
