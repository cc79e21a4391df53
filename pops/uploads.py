"""Uploaded images (initiative covers): checked, re-encoded, named by us, and
removed from storage when replaced or deleted.

A cover must be at most POPS_COVER_MAX_BYTES, have a raster image's extension
and be one, as Pillow reads it (an SVG, which can carry scripts, is refused by
extension and by content). What is stored is Pillow's re-encoding of what it
read, without the original's metadata (a phone photo's GPS position), under a
random name: nothing the uploader chose reaches the public media folder.
"""

from __future__ import annotations

import io
import uuid
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models.signals import post_delete, post_init
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

# Pillow format -> the extension stored.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
EXTENSIONS = {"jpg", "jpeg", "png", "webp"}
# Larger images are refused before they are decoded (a small file may
# declare a huge canvas).
MAX_PIXELS = 40_000_000

ERROR_TOO_LARGE = _("The image is %(size)s: at most %(limit)s is accepted.")
ERROR_EXTENSION = _("Upload a JPEG, PNG or WebP image (not %(extension)s).")
ERROR_NOT_AN_IMAGE = _("The file is not a JPEG, PNG or WebP image, or it is damaged.")


def _read_image(file) -> Image.Image:
    """The image in `file`, fully decoded, or ValidationError."""
    file.seek(0)
    try:
        with Image.open(file) as probe:
            if probe.format not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(ERROR_NOT_AN_IMAGE, code="cover_not_an_image")
            probe.verify()
        file.seek(0)
        image = Image.open(file)
        image.load()
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds for a bad file.
        raise ValidationError(ERROR_NOT_AN_IMAGE, code="cover_not_an_image") from error
    finally:
        file.seek(0)
    return image


def _check_size_and_extension(value) -> None:
    limit = settings.POPS_COVER_MAX_BYTES
    if value.size > limit:
        raise ValidationError(
            ERROR_TOO_LARGE,
            code="cover_too_large",
            params={"size": filesizeformat(value.size), "limit": filesizeformat(limit)},
        )
    extension = PurePosixPath(value.name or "").suffix.lower().lstrip(".")
    if extension not in EXTENSIONS:
        raise ValidationError(ERROR_EXTENSION, code="cover_extension", params={"extension": extension or "?"})


@deconstructible
class CoverImageValidator:
    """Size, extension and content of a cover image."""

    def __call__(self, value) -> None:
        if not value or getattr(value, "_committed", True):
            return  # nothing new uploaded
        _check_size_and_extension(value)
        _read_image(value.file)

    def __eq__(self, other) -> bool:
        return isinstance(other, CoverImageValidator)


def reencode(file) -> ContentFile:
    """The image re-encoded by Pillow in its own format, upright, without
    metadata, under a random name."""
    image = _read_image(file)
    fmt = image.format
    image = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    options = {"JPEG": {"quality": 88, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 88}}[fmt]
    image.save(out, format=fmt, **options)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[fmt]}")


def _delete_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


class CoverImageFormField(forms.ImageField):
    """The form field: size and extension are told before the content is read
    (a 30 MB file is not decoded to be refused)."""

    def to_python(self, data):
        if data is not None and hasattr(data, "size"):
            _check_size_and_extension(data)
        return super().to_python(data)


class CoverImageField(models.ImageField):
    """An ImageField whose new files are checked (CoverImageValidator),
    re-encoded under a random name, and whose previous file is deleted from
    storage once the row with its replacement (or the row) is saved (deleted)."""

    default_validators = [CoverImageValidator()]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CoverImageFormField, **kwargs})

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            post_init.connect(self._remember_file, sender=cls, weak=False)
            post_delete.connect(self._delete_file, sender=cls, weak=False)

    def _remember_file(self, instance, **kwargs) -> None:
        value = instance.__dict__.get(self.attname)
        instance.__dict__[f"_{self.attname}_stored"] = str(value or "")

    def pre_save(self, instance, add):
        file = getattr(instance, self.attname)
        if file and not file._committed:
            file.file = reencode(file.file)
            file.name = file.file.name
        file = super().pre_save(instance, add)
        before = instance.__dict__.get(f"_{self.attname}_stored", "")
        now = str(file or "")
        if before and before != now:
            _delete_on_commit(self.storage, before)
        instance.__dict__[f"_{self.attname}_stored"] = now
        return file

    def _delete_file(self, instance, **kwargs) -> None:
        _delete_on_commit(self.storage, str(getattr(instance, self.attname) or ""))
