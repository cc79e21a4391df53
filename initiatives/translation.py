from modeltranslation.translator import TranslationOptions, register

from .models import (
    CensusCampaign,
    Competence,
    DegreeProgramme,
    Department,
    Initiative,
    Priority,
    Sector,
    SupportKind,
    Theme,
)


class VocabularyTranslation(TranslationOptions):
    fields = ("name", "description")


for model in (Department, DegreeProgramme, Sector, Theme, SupportKind, Priority, Competence):
    register(model)(type(f"{model.__name__}Translation", (VocabularyTranslation,), {}))


@register(Initiative)
class InitiativeTranslation(TranslationOptions):
    # Italian title is required; everything else may be filled in later and
    # English falls back to Italian.
    fields = ("title", "summary", "description", "objectives", "cover_alt")
    required_languages = {"it": ("title",), "default": ()}


@register(CensusCampaign)
class CensusCampaignTranslation(TranslationOptions):
    fields = ("name", "description")
