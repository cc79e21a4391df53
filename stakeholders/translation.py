from modeltranslation.translator import TranslationOptions, register

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
