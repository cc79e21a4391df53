"""Shared building blocks for the staff-editable controlled vocabularies."""

import difflib
import re
import unicodedata

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
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_(
            "Other ways people write this entry, one per line (e.g. “no profit”): imports recognise them, "
            "ignoring case, accents and apostrophe style."
        ),
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


# --- Matching what people write -------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "′": "'"})
_SEPARATORS = re.compile(r"[\s_\-–—]+")


def normalise_label(text) -> str:
    """The form in which two spellings of one value compare equal: case,
    accents, apostrophe style (’ or '), hyphens, underscores and repeated
    spaces ignored ("Società benefit", "societa-benefit" and "SOCIETÀ  BENEFIT"
    are one)."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", text.translate(_APOSTROPHES)).strip(" .;:").casefold()


def synonym_list(text: str) -> list[str]:
    """The synonyms of an entry, one per line (blank lines ignored)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class LabelIndex:
    """Every way of naming the entries of a vocabulary, normalised, built
    once for a whole import so that matching a cell costs no query.

    `names(entry)` gives the spellings of an entry (code, labels in every
    language, synonyms); `find(text)` the entries a cell names (more than one
    means it is ambiguous), `closest(text)` the spellings nearest to a value
    that matches nothing, for the message that says what was meant."""

    def __init__(self, entries, names):
        self._by_name: dict[str, list] = {}
        self._spellings: dict[str, tuple] = {}
        self.entries = list(entries)
        for entry in self.entries:
            for name in names(entry):
                key = normalise_label(name)
                if not key:
                    continue
                bucket = self._by_name.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
                self._spellings.setdefault(key, (str(name), entry))

    def find(self, text) -> list:
        return list(self._by_name.get(normalise_label(text), ()))

    def closest(self, text, n: int = 3) -> list[str]:
        """Up to `n` spellings near `text`, one per entry."""
        keys = difflib.get_close_matches(normalise_label(text), list(self._spellings), n=4 * n, cutoff=0.6)
        found, entries = [], []
        for key in keys:
            spelling, entry = self._spellings[key]
            if entry not in entries:
                entries.append(entry)
                found.append(spelling)
        return found[:n]


def vocabulary_names(entry) -> list[str]:
    """How an entry of a Vocabulary (or anything with a code, translated
    names and synonyms) may be written."""
    names = [getattr(entry, "code", "")]
    for language in ("it", "en"):
        names.append(getattr(entry, f"name_{language}", None) or "")
    names.append(getattr(entry, "name", "") or "")
    names += synonym_list(getattr(entry, "synonyms", ""))
    return [str(name) for name in names if name]


def choice_index(choices, synonyms=None) -> LabelIndex:
    """A LabelIndex of a TextChoices class: each choice by its code, its
    label in every language and the synonyms the model keeps beside it
    (`{value: ("spelling", ...)}`)."""
    from django.conf import settings
    from django.utils import translation

    synonyms = synonyms or {}

    def names(value):
        label = dict(choices.choices)[value]
        spellings = [value]
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                spellings.append(str(label))
        return spellings + list(synonyms.get(value, ()))

    return LabelIndex(choices.values, names)
