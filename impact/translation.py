from modeltranslation.translator import TranslationOptions, register

from .models import SDG, FieldOfAction, ProductCategory, PublicEngagementCategory


@register(SDG)
class SDGTranslation(TranslationOptions):
    fields = ("name",)


@register(FieldOfAction)
class FieldOfActionTranslation(TranslationOptions):
    fields = ("name", "description")


@register(PublicEngagementCategory)
class PublicEngagementCategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(ProductCategory)
class ProductCategoryTranslation(TranslationOptions):
    fields = ("name", "description", "examples")
