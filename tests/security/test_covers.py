"""Cover images: size, extension and content checked, re-encoded under a
generated name, and removed from storage when replaced or deleted."""

import io

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from initiatives.factories import InitiativeFactory
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def image(name="cover.jpg", fmt="JPEG", size=(40, 30), exif=None) -> SimpleUploadedFile:
    out = io.BytesIO()
    picture = Image.new("RGB", size, (20, 120, 200))
    picture.save(out, fmt, **({"exif": exif} if exif else {}))
    return SimpleUploadedFile(name, out.getvalue())


class CoverForm(forms.ModelForm):
    """What the admin and the census build: a ModelForm over the field."""

    class Meta:
        model = Initiative
        fields = ["cover_image"]


def upload(initiative, file):
    form = CoverForm(instance=initiative, files={"cover_image": file}, data={})
    return form


def errors_of(initiative, file) -> list[str]:
    with translation.override("en"):
        form = upload(initiative, file)
        form.is_valid()
        return [str(message) for message in form.errors.get("cover_image", [])]


@pytest.fixture
def initiative():
    return InitiativeFactory(cover_alt_it="Un orto")


def test_a_thirty_megabyte_upload_is_refused(initiative):
    big = SimpleUploadedFile("cover.jpg", b"\xff\xd8" + b"0" * (30 * 1024 * 1024))
    assert errors_of(initiative, big) == ["The image is 30.0\xa0MB: at most 5.0\xa0MB is accepted."]


def test_the_limit_is_a_setting(initiative, settings):
    settings.POPS_COVER_MAX_BYTES = 100
    assert "at most 100" in errors_of(initiative, image())[0]


@pytest.mark.parametrize(
    "file",
    [
        SimpleUploadedFile("cover.svg", SVG),
        SimpleUploadedFile("cover.png", SVG),
        SimpleUploadedFile("cover.jpg", b"GIF89a not an image at all"),
        SimpleUploadedFile("cover.html", b"<html>"),
    ],
    ids=["svg", "svg-named-png", "garbage-named-jpg", "html"],
)
def test_anything_but_a_raster_image_is_refused(initiative, file):
    assert errors_of(initiative, file)


def test_a_gif_is_refused_even_though_pillow_reads_it(initiative):
    assert errors_of(initiative, image("cover.gif", "GIF"))
    assert errors_of(initiative, image("cover.png", "GIF"))


def test_the_model_refuses_a_bad_file_without_a_form(initiative):
    initiative.cover_image = SimpleUploadedFile("cover.svg", SVG)
    with pytest.raises(ValidationError) as raised:
        initiative.full_clean()
    assert "cover_image" in raised.value.message_dict


def test_an_accepted_cover_is_re_encoded_under_a_generated_name_without_metadata(initiative):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    form = upload(initiative, image("Mario Rossi's home.jpg", exif=exif.tobytes()))
    assert form.is_valid(), form.errors
    form.save()
    initiative.refresh_from_db()
    name = initiative.cover_image.name
    assert name.startswith("initiatives/covers/") and name.endswith(".jpg")
    assert "Rossi" not in name and len(name.rsplit("/", 1)[1]) == len("0" * 32 + ".jpg")
    with default_storage.open(name) as stored, Image.open(stored) as picture:
        assert picture.format == "JPEG" and picture.size == (40, 30)
        assert not picture.getexif()


def test_a_replaced_or_cleared_cover_is_deleted_from_storage(initiative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(initiative, image()).save()
    first = initiative.cover_image.name
    assert default_storage.exists(first)

    initiative = Initiative.objects.get(pk=initiative.pk)
    with django_capture_on_commit_callbacks(execute=True):
        upload(initiative, image("again.png", "PNG")).save()
    second = initiative.cover_image.name
    assert second != first and second.endswith(".png")
    assert not default_storage.exists(first) and default_storage.exists(second)

    initiative = Initiative.objects.get(pk=initiative.pk)
    with django_capture_on_commit_callbacks(execute=True):
        CoverForm(instance=initiative, data={"cover_image-clear": "on"}, files={}).save()
    assert not default_storage.exists(second)


def test_a_deleted_initiative_takes_its_cover_with_it(initiative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(initiative, image()).save()
    name = initiative.cover_image.name
    with django_capture_on_commit_callbacks(execute=True):
        Initiative.objects.get(pk=initiative.pk).delete()
    assert not default_storage.exists(name)


def test_saving_other_fields_keeps_the_cover(initiative, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(initiative, image()).save()
    name = initiative.cover_image.name
    initiative = Initiative.objects.get(pk=initiative.pk)
    initiative.title_it = "Nuovo titolo"
    with django_capture_on_commit_callbacks(execute=True):
        initiative.save()
    assert default_storage.exists(name)
