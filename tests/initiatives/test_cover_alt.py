"""A cover image always has a text alternative, at least in Italian (the English
page falls back to it): the model says so, and the admin shows it."""

import io
from html.parser import HTMLParser

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

MESSAGE = "Describe the cover image in Italian: screen readers read this text in its place."


def png(name: str = "cover.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_a_cover_image_without_an_italian_description_does_not_validate():
    initiative = InitiativeFactory(cover_alt_it="", cover_alt_en="A community garden")
    initiative.cover_image = png()
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        initiative.full_clean()
    with translation.override("en"):
        assert raised.value.message_dict == {"cover_alt_it": [MESSAGE]}
    initiative.cover_alt_it = "   "  # blank is no description either
    with pytest.raises(ValidationError, match="cover_alt_it"):
        initiative.full_clean()


def test_a_cover_image_with_an_italian_description_or_no_image_validates():
    initiative = InitiativeFactory(cover_alt_it="", cover_alt_en="")
    initiative.full_clean()  # no image: nothing to describe
    initiative.cover_image = png()
    initiative.cover_alt_it = "Un orto condiviso tra i palazzi"
    initiative.full_clean()


def test_a_form_without_the_description_is_not_asked_for_it():
    # Census steps edit other fields of an initiative that may already have a
    # cover without a description: they are neither blocked nor broken by it.
    class TitleForm(forms.ModelForm):
        class Meta:
            model = Initiative
            fields = ["title_it"]

    initiative = InitiativeFactory(cover_alt_it="")
    initiative.cover_image = png()
    form = TitleForm({"title_it": "Nuovo titolo"}, instance=initiative)
    assert form.is_valid(), form.errors


class FormFields(HTMLParser):
    """The values a browser would send for the form with id `form_id`."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select = self.textarea = None

    def add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or not attrs.get("name") and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("file", "submit", "button", "image"):
                self.add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.add(self.select, attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.add(self.textarea, "")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.data[self.textarea][-1] = self.data[self.textarea][-1].removeprefix("\n")
            self.textarea = None
        elif tag == "form":
            self.inside = False


def test_the_admin_asks_for_the_description_of_a_new_cover(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    initiative = InitiativeFactory(published=True, cover_alt_it="", cover_alt_en="")
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    parser = FormFields("initiative_form")
    parser.feed(client.get(url).content.decode())
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    assert "cover_alt_it" in data and "_save" not in data

    response = client.post(url, {**data, "cover_image": png()})
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert errors["cover_alt_it"] == [MESSAGE]
    assert MESSAGE in response.content.decode()
    initiative.refresh_from_db()
    assert not initiative.cover_image

    response = client.post(url, {**data, "cover_image": png(), "cover_alt_it": "Un orto condiviso tra i palazzi"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    initiative.refresh_from_db()
    assert initiative.cover_image and initiative.cover_alt_it == "Un orto condiviso tra i palazzi"
