from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from .models import (
    CensusCampaign,
    Competence,
    DegreeProgramme,
    Department,
    Initiative,
    Priority,
    Sector,
    SitePage,
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


@register(SitePage)
class SitePageTranslation(TranslationOptions):
    fields = ("title", "body", "non_accessible_content", "evaluation_details")
    required_languages = {"it": ("title",), "default": ()}


# simple-history builds the historical model from the fields that exist when it
# is registered: registering here, after modeltranslation has added the `_it`
# and `_en` columns, keeps both languages in the history.
register_history(Initiative, m2m_fields=["sectors", "themes", "departments", "sdgs"])
register_history(CensusCampaign, m2m_fields=["target_departments"])
register_history(SitePage)
