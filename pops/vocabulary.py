"""Shared building blocks for the staff-editable controlled vocabularies."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VocabularyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def by_natural_key(self, value: str):
        """Match a code or a label in any language, case-insensitively.

        Imports and the command line name things the way people write them:
        "Gestione del territorio", "Land management" or "gestione-territorio".
        """
        value = (value or "").strip()
        query = models.Q(code__iexact=value)
        for field in ("name_it", "name_en"):
            query |= models.Q(**{f"{field}__iexact": value})
        return self.filter(query)


class Vocabulary(models.Model):
    """A label with a stable code, ordered for display and editable by staff.

    Codes are what imports, exports and fixtures refer to; labels are
    translated (see each app's translation.py) and may change freely.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_other = models.BooleanField(
        _("asks for free text"), default=False, help_text=_('An "Other" entry, completed by a free-text field.')
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive entries stay on old records but are not offered in forms.")
    )

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name
