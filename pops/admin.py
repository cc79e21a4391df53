"""Admin building blocks shared by the apps."""

import re

from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import ManyToManyField
from django.utils.encoding import force_str
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from modeltranslation.admin import TranslationAdmin
from modeltranslation.translator import NotRegistered, translator
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from pops.text import word_diff

# --- Messages that read right whatever the model's gender -------------------------
#
# Django's admin says "The {name} “{obj}” was changed successfully.", which
# Italian words for a masculine noun ("Il iniziativa … è stato modificato");
# most of the portal's models are feminine (iniziativa, persona,
# organizzazione, campagna). The messages below say the same with the noun
# in apposition, so that no article or participle agrees with it.

DJANGO_MESSAGES = [
    # (Django's msgid, the portal's msgid); {name}/{obj} or %(...)s as Django writes them.
    (
        "The {name} “{obj}” was added successfully. You may add another {name} below.",
        gettext_lazy("Added: {name} “{obj}”. You can add another one below."),
    ),
    (
        "The {name} “{obj}” was added successfully. You may edit it again below.",
        gettext_lazy("Added: {name} “{obj}”. You can go on editing it below."),
    ),
    ("The {name} “{obj}” was added successfully.", gettext_lazy("Added: {name} “{obj}”.")),
    (
        "The {name} “{obj}” was changed successfully. You may edit it again below.",
        gettext_lazy("Changes saved: {name} “{obj}”. You can go on editing it below."),
    ),
    (
        "The {name} “{obj}” was changed successfully. You may add another {name} below.",
        gettext_lazy("Changes saved: {name} “{obj}”. You can add another one below."),
    ),
    ("The {name} “{obj}” was changed successfully.", gettext_lazy("Changes saved: {name} “{obj}”.")),
    ("The %(name)s “%(obj)s” was deleted successfully.", gettext_lazy("Deleted: %(name)s “%(obj)s”.")),
    ("Successfully deleted %(count)d %(items)s.", gettext_lazy("Deleted: %(count)s %(items)s.")),
    ("%(count)s %(name)s was changed successfully.", gettext_lazy("Changes saved: %(count)s %(name)s.")),
    ("%(count)s %(name)s were changed successfully.", gettext_lazy("Changes saved: %(count)s %(name)s.")),
]

_PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)[sd]")


def _pattern(template: str) -> re.Pattern:
    """A regular expression that reads the placeholders' values back from a
    message written with `template` (a repeated placeholder matches the same text)."""
    parts, seen, end = [], set(), 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1) or match.group(2)
        parts.append(re.escape(template[end : match.start()]))
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        end = match.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts), re.DOTALL)


def neutral_message(message):
    """`message` reworded as the portal says it when it is one of Django's
    admin messages in the active language (see DJANGO_MESSAGES); otherwise
    `message` unchanged."""
    from django.utils.translation import gettext as translate

    text = str(message)
    for django_msgid, ours in DJANGO_MESSAGES:
        found = _pattern(translate(django_msgid)).fullmatch(text)
        if found is None:
            continue
        values = found.groupdict()
        if "{" in django_msgid:
            # format_html escaped the values already: they stay as they are.
            safe = isinstance(message, SafeData)
            return format_html(str(ours), **{k: mark_safe(v) if safe else v for k, v in values.items()})
        return str(ours) % values
    return message


class NeutralMessagesMixin:
    """Every ModelAdmin of the portal: Django's messages reworded (above)."""

    def message_user(self, request, message, *args, **kwargs):
        return super().message_user(request, neutral_message(message), *args, **kwargs)


@admin.action(permissions=["delete"], description=gettext_lazy("Delete the selected rows (%(verbose_name_plural)s)"))
def delete_selected_rows(modeladmin, request, queryset):
    """Django's "delete selected", named without an adjective that agrees with the model."""
    return delete_selected(modeladmin, request, queryset)


delete_selected_rows.__name__ = "delete_selected"
admin.site.add_action(delete_selected_rows, "delete_selected")


def translated_base_fields(model) -> set[str]:
    """The fields modeltranslation mirrors into `<name>_it` and `<name>_en`:
    the bare one repeats the default language's, so a history lists the two
    languages and not the same change twice."""
    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


class FullChangeHelper(HistoricalRecordContextHelper):
    """A past change in full, word by word: django-simple-history shortens
    long values ("[179 chars]") and shows the whole old and new texts."""

    def stringify_delta_change_values(self, change, old, new):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, ManyToManyField) or isinstance(old, list) or isinstance(new, list):
            return (
                conditional_escape(", ".join(map(str, old or [])) or "—"),
                conditional_escape(", ".join(map(str, new or [])) or "—"),
            )
        before, after = word_diff("" if old is None else str(old), "" if new is None else str(new))
        return before or "—", after or "—"


class HistoryAdmin(NeutralMessagesMixin, SimpleHistoryAdmin):
    """django-simple-history's admin, with its revert page behind the right to
    change, every change shown in full, each language's field once, and every
    string of its pages translated (templates/simple_history/).

    The library shows a past version to whoever may see the history, and
    saves whatever that page posts back (the "revert") without asking for the
    right to change the object: a staff account with only the right to view
    could overwrite any field. Here a post needs the right to change it."""

    object_history_template = "simple_history/pops_object_history.html"
    object_history_list_template = "simple_history/pops_object_history_list.html"
    object_history_form_template = "simple_history/pops_object_history_form.html"

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_history_permission(request, obj):
                raise PermissionDenied
        # The library names the page after its historical model ("historical
        # initiative"): the page is about the object, and says so.
        extra_context = {"opts": self.model._meta, **(extra_context or {})}
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        columns = [
            (name, getattr(getattr(self, name, None), "short_description", name))
            for name in self.get_history_list_display(request)
        ]
        extra_context = {"history_columns": columns, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def history_view_title(self, request, obj):
        return _("History of “%(object)s”") % {"object": force_str(obj)}

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            return _("A past version of “%(object)s”") % {"object": force_str(obj)}
        return _("Revert “%(object)s” to a past version") % {"object": force_str(obj)}

    def get_historical_record_context_helper(self, request, historical_record):
        return FullChangeHelper(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """As the library does, without the bare copy of translated fields."""
        excluded = sorted(translated_base_fields(self.model))
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=excluded, foreign_keys_are_objs=foreign_keys_are_objs
                )
                previous.history_delta_changes = self.get_historical_record_context_helper(
                    request, previous
                ).context_for_delta_changes(delta)
            previous = current


class InternalRecordAdmin(NeutralMessagesMixin, admin.ModelAdmin):
    """A table the portal writes for itself (state transitions, the e-mail
    outbox, unsaved forms, invitations, export records, import jobs): staff
    read it, nobody adds, edits or deletes a row by hand, and the desk lists
    it apart, under "Internal records"."""

    internal_record = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VocabularyAdmin(NeutralMessagesMixin, TranslationAdmin):
    """Staff edit every controlled vocabulary the same way."""

    list_display = ("code", "name", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    # Synonyms (how people write an entry, which imports recognise) are
    # edited on the entry's page and found by the search too.
    search_fields = ("code", "name_it", "name_en", "synonyms")
    ordering = ("position", "code")


class EditionAdmin(VocabularyAdmin):
    """ANVUR vocabularies, versioned by reporting year."""

    list_display = ("code", "name", "valid_from", "valid_to", "position", "is_active")
    list_filter = ("valid_from", "is_active")
    ordering = ("-valid_from", "position")


def register_vocabularies(site: admin.AdminSite, models, admin_class=VocabularyAdmin) -> None:
    for model in models:
        site.register(model, admin_class)


# --- Login lockouts (django-axes) -------------------------------------------------
# Registered here rather than by axes (AXES_ENABLE_ADMIN = False): this module is
# imported by every app's admin, so autodiscovery registers them once, read-only.


class AccessAttemptAdmin(NeutralMessagesMixin, admin.ModelAdmin):
    """Failed logins by username and address. Deleting a row unlocks it."""

    list_display = ("attempt_time", "username", "ip_address", "path_info", "failures_since_start")
    list_filter = ("attempt_time", "path_info")
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    fields = readonly_fields = (
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "attempt_time",
        "failures_since_start",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AccessLogAdmin(AccessAttemptAdmin):
    """Successful logins and their logouts."""

    list_display = ("attempt_time", "logout_time", "username", "ip_address", "path_info")
    list_filter = ("attempt_time", "logout_time", "path_info")
    fields = readonly_fields = ("username", "ip_address", "user_agent", "path_info", "attempt_time", "logout_time")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(AccessAttempt, AccessAttemptAdmin)
admin.site.register(AccessLog, AccessLogAdmin)


# --- Second factors (django-otp) ------------------------------------------------
# Enrolment is self-service (pops/admin_site.py): here staff only see who has
# one and delete a lost device, so that its owner enrols again at the next
# sign-in. No secret or recovery code is shown, none is typed in by hand.


class SecondFactorDeviceAdmin(NeutralMessagesMixin, admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    list_filter = ("confirmed", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    fields = readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)
    admin.site.register(_device_model, SecondFactorDeviceAdmin)
