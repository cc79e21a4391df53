"""Admin building blocks shared by the apps."""

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


class InternalRecordAdmin(admin.ModelAdmin):
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
