from modeltranslation.translator import TranslationOptions, register

from .models import InterventionArea, PerformanceObjective, Plan, StrategicObjective, StrategicPillar, Vision


@register(Plan)
class PlanTranslation(TranslationOptions):
    fields = ("title",)


@register(Vision)
class VisionTranslation(TranslationOptions):
    fields = ("name",)


@register(InterventionArea)
class InterventionAreaTranslation(TranslationOptions):
    fields = ("name", "description")


@register(StrategicPillar)
class StrategicPillarTranslation(TranslationOptions):
    fields = ("name",)


@register(StrategicObjective)
class StrategicObjectiveTranslation(TranslationOptions):
    fields = ("title",)


@register(PerformanceObjective)
class PerformanceObjectiveTranslation(TranslationOptions):
    fields = ("title",)
