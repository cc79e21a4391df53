from modeltranslation.translator import TranslationOptions, register
from simple_history import register as register_history

from .models import OrganisationType, TargetGroup, TerritorialDemand


@register(OrganisationType)
class OrganisationTypeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(TargetGroup)
class TargetGroupTranslation(TranslationOptions):
    fields = ("name", "description")


@register(TerritorialDemand)
class TerritorialDemandTranslation(TranslationOptions):
    fields = ("title", "description")


# Registered after the translated columns exist (see initiatives/translation.py).
register_history(TerritorialDemand)
