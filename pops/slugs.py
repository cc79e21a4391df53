"""The one rule for a new unique slug, shared by the census's services and
the import (which may not import each other): the slugified text, cut to fit
the model's slug field, with -2, -3... until no row has it yet."""

from __future__ import annotations

from django.utils.text import slugify


def unique_slug(model, text: str, *, taken: set[str] | None = None) -> str:
    """A slug for a new row of `model` (which has a unique `slug` field)
    that no row has yet, within the field's length; the model's name when
    the text has no letter or digit to make a slug of. With `taken` (the
    slugs already used, read once by a bulk import) the set is asked instead
    of the database, and the new slug is added to it."""
    max_length = model._meta.get_field("slug").max_length
    base = slugify(text)[:max_length].strip("-") or model._meta.model_name

    def used(slug: str) -> bool:
        return slug in taken if taken is not None else model._default_manager.filter(slug=slug).exists()

    slug, n = base, 1
    while used(slug):
        n += 1
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)].rstrip("-") + suffix
    if taken is not None:
        taken.add(slug)
    return slug
