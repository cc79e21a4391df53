"""Shared building blocks for the staff-editable controlled vocabularies."""

import difflib
import re
import unicodedata

from django.db import models
from django.utils.text import get_text_list
from django.utils.translation import gettext
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


# --- Naming an entry in an import, and saying what went wrong -----------------------------

# A list short enough to print whole in a message about a value it lacks.
LISTED_IN_FULL = 12


def _quoted(values) -> str:
    return ", ".join(f'"{value}"' for value in values)


class Lookup:
    """The entries of one list as an import file names them, and the messages
    about a cell that names none or several of them: the one place where
    both imports (the flat CSV and the census workbook) match a value.

    `entries` is the list (or a callable that reads it, on first use: the
    list is read once per import, never per cell); `names(entry)` every
    spelling of an entry; `shown(entry)` how a message writes it; `what` what
    an entry is ("department"). With `editions`, entries carry `valid_from`
    and `valid_to` (ANVUR's lists, one edition per reporting year): a code
    that several editions share names the one in force in `year`, else the
    newest. `listed=False` never prints the list whole (a register such as
    the organisations); `hint` replaces the suggestions (the SDGs' "1 to
    17"); `advice` follows every message about an unknown value."""

    def __init__(
        self,
        entries,
        names,
        *,
        what,
        shown=str,
        editions: bool = False,
        listed: bool = True,
        hint="",
        advice="",
    ):
        self._source = entries
        self._names = names
        self._index = None
        self.what = what
        self.shown = shown
        self.editions = editions
        self.listed = listed
        self._hint = hint
        self._advice = advice

    @classmethod
    def of_choices(cls, choices, synonyms=None, *, what, advice=""):
        """A TextChoices class as a list: each choice by its code, its label
        in every language and the synonyms the model keeps beside it."""
        index = choice_index(choices, synonyms)
        labels = dict(choices.choices)
        lookup = cls(index.entries, None, what=what, shown=lambda code: str(labels.get(code, code)), advice=advice)
        lookup._index = index
        return lookup

    @property
    def index(self) -> LabelIndex:
        if self._index is None:
            source = self._source() if callable(self._source) else self._source
            self._index = LabelIndex(source, self._names)
        return self._index

    @property
    def entries(self) -> list:
        return self.index.entries

    def find(self, text, *, year: int | None = None) -> list:
        """The entries `text` names (more than one: it is ambiguous)."""
        found = self.index.find(text)
        if len(found) > 1 and self.editions:
            in_force = [
                entry
                for entry in found
                if year is not None and entry.valid_from <= year and (entry.valid_to is None or year <= entry.valid_to)
            ]
            if in_force:
                found = in_force
            else:
                newest = max(entry.valid_from for entry in found)
                found = [entry for entry in found if entry.valid_from == newest]
        return found

    def allowed(self) -> list[str] | None:
        """Every value one may write, when there are few enough to list."""
        if not self.listed:
            return None
        shown = list(dict.fromkeys(str(self.shown(entry)) for entry in self.entries))
        return shown if len(shown) <= LISTED_IN_FULL else None

    def closest(self, text) -> list[str]:
        """The (at most three) entries nearest to a value that names none."""
        found = []
        for spelling in self.index.closest(text, n=6):
            for entry in self.find(spelling):
                name = str(self.shown(entry))
                if name not in found:
                    found.append(name)
        return found[:3]

    def hint(self, unknown: list[str]) -> str:
        """What to write instead of values that name nothing."""
        if self._hint:
            return str(self._hint)
        allowed = self.allowed()
        if allowed:
            return gettext("Write one of: %(allowed)s.") % {"allowed": ", ".join(allowed)}
        hints = []
        for value in unknown:
            closest = self.closest(value)
            if not closest:
                continue
            suggestions = get_text_list([f'"{name}"' for name in closest], gettext("or"))
            if len(unknown) == 1:
                hints.append(gettext("Did you mean %(suggestions)s?") % {"suggestions": suggestions})
            else:
                hints.append(
                    gettext('For "%(value)s", did you mean %(suggestions)s?')
                    % {"value": value, "suggestions": suggestions}
                )
        return " ".join(hints)

    def unknown_message(self, unknown: list[str]) -> str:
        if len(unknown) == 1:
            head = gettext('Unknown %(what)s "%(value)s".') % {"what": self.what, "value": unknown[0]}
        else:
            head = gettext("Unknown %(what)s %(names)s.") % {"what": self.what, "names": _quoted(unknown)}
        return " ".join(part for part in (head, self.hint(unknown), str(self._advice)) if part)

    def ambiguous_message(self, text, entries) -> str:
        head = gettext('"%(value)s" names more than one %(what)s.') % {"value": text, "what": self.what}
        could_be = gettext("It could be: %(entries)s.") % {"entries": _quoted(self.shown(e) for e in entries)}
        return f"{head} {could_be}"

    def get(self, text, *, year: int | None = None):
        """The one entry `text` names, or a ValueError saying why not."""
        found = self.find(text, year=year)
        if not found:
            raise ValueError(self.unknown_message([text]))
        if len(found) > 1:
            raise ValueError(self.ambiguous_message(text, found))
        return found[0]

    def get_many(self, parts, *, year: int | None = None) -> list:
        """The entries several values name, each once, or one ValueError
        naming every value that names none or several."""
        found, unknown, ambiguous = [], [], []
        for part in parts:
            entries = self.find(part, year=year)
            if not entries:
                unknown.append(part)
            elif len(entries) > 1:
                ambiguous.append(self.ambiguous_message(part, entries))
            elif entries[0] not in found:
                found.append(entries[0])
        if unknown or ambiguous:
            raise ValueError(" ".join(([self.unknown_message(unknown)] if unknown else []) + ambiguous))
        return found
