"""The showcase's one form: a visitor's message to a person (services.contact)."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

NAME_MAX = 100
MESSAGE_MIN = 10
MESSAGE_MAX = 5000

# A name is one line of text: no line breaks or other control characters,
# which would also end an e-mail header.
one_line = RegexValidator(r"[\x00-\x1f\x7f]", _("Write your name on one line."), inverse_match=True)


class ContactForm(forms.Form):
    """Name, address and message, the consent to what the notice says, and a
    honeypot: a field hidden from people and screen readers that only a
    robot fills in (`is_robot`)."""

    HONEYPOT = "website"

    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX, validators=[one_line])
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("The recipient answers you at this address."),
    )
    message = forms.CharField(
        label=_("Message"),
        min_length=MESSAGE_MIN,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    consent = forms.BooleanField(
        label=_("I have read the notice above and agree that my name, e-mail address and message are sent."),
        error_messages={"required": _("Tick the box to agree to the notice, or the message cannot be sent.")},
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    # The error summary names a field by a short label where its own is a sentence.
    SUMMARY_LABELS = {"consent": _("Consent")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In the language of the request, not of the module's import.
        self.fields["message"].help_text = _("At most %(count)s characters.") % {"count": MESSAGE_MAX}
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        for name in ("name", "email", "message"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["consent"].widget.attrs.setdefault("class", "form-check-input")
        for name, field in self.fields.items():
            if field.help_text and name != self.HONEYPOT:
                field.widget.attrs["aria-describedby"] = f"id_{name}_helptext"

    def full_clean(self):
        """Each field in error says so to assistive technologies, and names
        its message (shown beside it, `initiatives/_contact_field.html`)."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = " ".join(filter(None, [f"id_{name}_error", attrs.get("aria-describedby")]))

    def error_links(self) -> list[tuple[str, str, str]]:
        """(field id, short label, messages) of each field in error, in the form's order."""
        return [
            (field.auto_id, self.SUMMARY_LABELS.get(field.name, field.label), " ".join(field.errors))
            for field in self.visible_fields()
            if field.errors
        ]

    def is_robot(self) -> bool:
        """Whether the hidden field came back filled in."""
        return bool(self.data.get(self.HONEYPOT, "").strip())
