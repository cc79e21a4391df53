"""Text as staff compare it: one line-ending convention, and word-by-word diffs.

Browsers post textareas with CRLF line endings while the workbook import and
the shell write LF: the same description saved two ways compared as changed.
Every text the census stores is kept with LF (`NormalisedTextMixin`), and a
change is shown word by word (`word_diff`), not as a whole text struck out
and written again."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.db import models
from django.utils.html import format_html, format_html_join, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

_LINE_ENDINGS = re.compile(r"\r\n?")
# A word, or a run of punctuation, with the blanks after it: joining the pieces
# gives the text back, and "Torino." → "Torino e cintura." inserts two words.
_WORDS = re.compile(r"\w+\s*|[^\w\s]+\s*|\s+")

DELETED = _("deleted")
INSERTED = _("inserted")


def normalise_line_endings(value):
    """CRLF and lone CR become LF; anything that is not a string is returned as is."""
    if isinstance(value, str) and "\r" in value:
        return _LINE_ENDINGS.sub("\n", value)
    return value


def text_field_names(model) -> list[str]:
    """The model's concrete text columns (CharField and TextField, translated
    columns included): those whose line endings are normalised."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField)) and not field.choices
    ]


class NormalisedTextMixin:
    """Keeps every text column of a model with LF line endings, whoever writes it.

    Both the model forms and the imports validate through `clean_fields()`
    before they write (a bulk import writes without `save()`), and services
    write through `save()`: each normalises, so no path stores a CR."""

    def normalise_text(self) -> None:
        for name in text_field_names(type(self)):
            value = getattr(self, name, None)
            if isinstance(value, str) and "\r" in value:
                setattr(self, name, normalise_line_endings(value))

    def clean_fields(self, exclude=None):
        self.normalise_text()
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        self.normalise_text()
        super().save(*args, **kwargs)


def word_diff(before: str, after: str) -> tuple[SafeString, SafeString]:
    """The two texts as HTML, with the words removed from `before` in
    <del> and those added to `after` in <ins>; each mark carries a visually
    hidden label ("deleted", "inserted") for screen readers, which do not
    announce the elements themselves. Line breaks are kept as <br>."""
    old, new = _WORDS.findall(before or ""), _WORDS.findall(after or "")
    matcher = SequenceMatcher(None, [w.strip() for w in old], [w.strip() for w in new], autojunk=False)
    left: list[SafeString] = []
    right: list[SafeString] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(_text("".join(old[i1:i2])))
            right.append(_text("".join(new[j1:j2])))
            continue
        if i2 > i1:
            left.append(_mark("del", DELETED, "".join(old[i1:i2])))
        if j2 > j1:
            right.append(_mark("ins", INSERTED, "".join(new[j1:j2])))
    return mark_safe("".join(left)), mark_safe("".join(right))


def _text(value: str) -> SafeString:
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in value.split("\n")))


def _mark(tag: str, label, value: str) -> SafeString:
    # The trailing blank stays outside the mark, so that it does not underline a space.
    stripped = value.rstrip()
    return format_html(
        '<{tag}><span class="visually-hidden">{label} </span>{text}</{tag}>{tail}',
        tag=mark_safe(tag),
        label=label,
        text=_text(stripped),
        tail=_text(value[len(stripped) :]),
    )


# --- Plain text with a little structure ---------------------------------------------

_HEADINGS = (("### ", "h3"), ("## ", "h2"))
_LIST_ITEM = "- "


def simple_markup(text: str) -> SafeString:
    """Text that staff type in the admin (a site page) as HTML, escaped
    throughout: a blank line separates paragraphs, a line starting with "## "
    is a heading (h2; "### " an h3), consecutive lines starting with "- " are
    a list, other line breaks are kept; web and e-mail addresses become
    links (Django's `urlize`, which escapes everything else). No HTML typed
    by staff reaches the page as markup."""
    html: list[SafeString] = []
    paragraph: list[str] = []
    items: list[str] = []
    for raw in [*normalise_line_endings(text or "").split("\n"), ""]:
        line = raw.strip()
        heading = next(((tag, line[len(mark) :]) for mark, tag in _HEADINGS if line.startswith(mark)), None)
        is_item = line.startswith(_LIST_ITEM)
        if paragraph and (not line or heading or is_item):
            html.append(format_html("<p>{}</p>", mark_safe("<br>".join(_inline(part) for part in paragraph))))
            paragraph = []
        if items and not is_item:
            html.append(format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_inline(i),) for i in items))))
            items = []
        if heading:
            tag, title = heading
            html.append(format_html("<{tag}>{title}</{tag}>", tag=tag, title=_inline(title.strip())))
        elif is_item:
            items.append(line[len(_LIST_ITEM) :].strip())
        elif line:
            paragraph.append(line)
    return mark_safe("\n".join(html))


def _inline(text: str) -> SafeString:
    return mark_safe(urlize(text, autoescape=True))
