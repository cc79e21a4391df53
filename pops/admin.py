"""Admin building blocks shared by the apps."""

from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin, with its revert page behind the right to change.

    The library shows a past version to whoever may see the history, and
    saves whatever that page posts back (the "revert") without asking for the
    right to change the object: a staff account with only the right to view
    could overwrite any field. Here a post needs the right to change it."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_history_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class VocabularyAdmin(TranslationAdmin):
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


class AccessAttemptAdmin(admin.ModelAdmin):
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
