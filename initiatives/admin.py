from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from impact.models import Impact, Product
from pops.admin import VocabularyAdmin, register_vocabularies
from stakeholders.models import Partnership

from .models import (
    CampaignInvitation,
    CensusCampaign,
    CoauthorInvitation,
    Competence,
    DegreeProgramme,
    Department,
    FormDraft,
    Initiative,
    OutboundEmail,
    Participation,
    Person,
    Place,
    Priority,
    Sector,
    StateTransition,
    SupportKind,
    Theme,
)

admin.site.site_header = _("PoliTO per il Sociale — administration")
admin.site.site_title = _("POPS administration")
admin.site.index_title = _("Census, curation and reporting")

register_vocabularies(admin.site, [Department, Sector, Theme, SupportKind, Priority, Competence])


@admin.register(DegreeProgramme)
class DegreeProgrammeAdmin(VocabularyAdmin):
    list_display = ("code", "name", "department", "level", "position", "is_active")
    list_filter = ("level", "department", "is_active")
    list_select_related = ("department",)
    autocomplete_fields = ("department",)


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ("last_name", "first_name", "department", "role", "public_profile")
    list_filter = ("department", "role", "public_profile")
    list_select_related = ("department",)
    search_fields = ("last_name", "first_name", "email", "orcid")
    autocomplete_fields = ("user", "department", "degree_programme", "competences")
    prepopulated_fields = {"slug": ("first_name", "last_name")}


class ParticipationInline(admin.TabularInline):
    model = Participation
    autocomplete_fields = ("person",)
    fields = ("person", "role", "contribution", "can_edit", "position")
    extra = 0


class PartnershipInline(admin.TabularInline):
    model = Partnership
    autocomplete_fields = ("organisation",)
    fields = ("organisation", "role", "position")
    extra = 0


class PlaceInline(admin.TabularInline):
    model = Place
    fields = ("municipality", "province", "region", "country", "latitude", "longitude")
    extra = 0


class ProductInline(admin.StackedInline):
    model = Product
    fields = (("title", "category", "year"), "description", "url", "position")
    extra = 0


class ImpactInline(admin.StackedInline):
    model = Impact
    fields = (
        ("kind", "category"),
        "description",
        ("indicator", "unit"),
        ("baseline", "target", "value"),
        ("measured_on", "people_reached"),
        "evidence_url",
    )
    extra = 0


class StateTransitionInline(admin.TabularInline):
    model = StateTransition
    fields = ("at", "from_state", "to_state", "by", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ("title", "state", "lead_contact", "start_date", "scale", "updated_at")
    list_filter = ("state", "featured", "scale", "departments", "sectors", "campaign", "sdgs")
    search_fields = ("title_it", "title_en", "summary_it", "keywords", "slug")
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("title_it",)}
    autocomplete_fields = (
        "departments",
        "target_groups",
        "sectors",
        "themes",
        "support_kinds",
        "pe_categories",
        "fields_of_action",
        "intervention_areas",
        "strategic_objectives",
        "performance_objectives",
        "sdgs",
        "priorities",
        "campaign",
        "created_by",
        "revision_of",
    )
    readonly_fields = ("created_at", "updated_at", "submitted_at", "published_at")
    inlines = [
        ParticipationInline,
        PartnershipInline,
        PlaceInline,
        ProductInline,
        ImpactInline,
        StateTransitionInline,
    ]
    fieldsets = (
        (
            _("Who we are"),
            {
                "fields": (
                    "title_it",
                    "title_en",
                    "slug",
                    "summary_it",
                    "summary_en",
                    "description_it",
                    "description_en",
                    "objectives_it",
                    "objectives_en",
                    "departments",
                    "target_groups",
                )
            },
        ),
        (
            _("What we do"),
            {
                "fields": (
                    ("sectors", "sector_other"),
                    "themes",
                    ("support_kinds", "support_other"),
                    ("start_date", "end_date", "scale"),
                    "website",
                    ("cover_image", "cover_alt_it", "cover_alt_en"),
                    "keywords",
                    ("budget", "external_funding"),
                    "pe_categories",
                    "fields_of_action",
                    "intervention_areas",
                    "strategic_objectives",
                    "performance_objectives",
                )
            },
        ),
        (
            _("Impact and reach"),
            {
                "fields": (
                    "sdgs",
                    ("participants", "web_accesses", "publication_copies", "media_audience"),
                    ("impact_evaluated", "impact_evaluation_notes"),
                )
            },
        ),
        (_("What we want to become"), {"fields": ("needs", "wishes", "priorities")}),
        (
            _("Census"),
            {
                "fields": (
                    "campaign",
                    ("state", "featured"),
                    "revision_of",
                    "created_by",
                    ("created_at", "updated_at"),
                    ("submitted_at", "published_at"),
                )
            },
        ),
    )

    def get_queryset(self, request):
        # The lead contact column reads prefetched participations: no query per row.
        return super().get_queryset(request).prefetch_related("participations__person")

    @admin.display(description=_("lead contact"))
    def lead_contact(self, obj: Initiative):
        return obj.lead() or "—"


@admin.register(CensusCampaign)
class CensusCampaignAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ("name", "year", "opens_on", "closes_on", "invitation_count")
    list_filter = ("year",)
    search_fields = ("name_it", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_it",)}
    autocomplete_fields = ("target_departments", "target_people")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(invitation_total=Count("invitations"))

    @admin.display(description=_("invitations"), ordering="invitation_total")
    def invitation_count(self, obj) -> int:
        return obj.invitation_total


@admin.register(CampaignInvitation)
class CampaignInvitationAdmin(admin.ModelAdmin):
    list_display = ("person", "campaign", "invited_at", "reminders_sent", "responded_at")
    list_filter = ("campaign",)
    list_select_related = ("person", "campaign")
    search_fields = ("person__last_name", "person__email")
    autocomplete_fields = ("campaign", "person")
    readonly_fields = ("token",)


@admin.register(Participation)
class ParticipationAdmin(SimpleHistoryAdmin):
    list_display = ("person", "initiative", "role", "can_edit")
    list_filter = ("role", "can_edit")
    list_select_related = ("person", "initiative")
    search_fields = ("person__last_name", "initiative__title_it")
    autocomplete_fields = ("person", "initiative")


@admin.register(Place)
class PlaceAdmin(SimpleHistoryAdmin):
    list_display = ("municipality", "province", "region", "initiative", "latitude", "longitude")
    list_filter = ("region", "province")
    list_select_related = ("initiative",)
    search_fields = ("municipality", "initiative__title_it")
    autocomplete_fields = ("initiative",)


@admin.register(StateTransition)
class StateTransitionAdmin(admin.ModelAdmin):
    list_display = ("initiative", "from_state", "to_state", "by", "at")
    list_filter = ("to_state", "from_state")
    list_select_related = ("initiative", "by")
    search_fields = ("initiative__title_it", "message")
    autocomplete_fields = ("initiative", "by")
    date_hierarchy = "at"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("subject", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject", "to")
    readonly_fields = ("created_at", "sent_at", "attempts", "last_error")


@admin.register(CoauthorInvitation)
class CoauthorInvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "initiative", "invited_by", "created_at", "accepted_at")
    list_filter = ("accepted_at",)
    list_select_related = ("initiative", "invited_by")
    search_fields = ("email", "initiative__title_it")
    autocomplete_fields = ("initiative", "invited_by", "accepted_by")
    readonly_fields = ("token", "created_at")


@admin.register(FormDraft)
class FormDraftAdmin(admin.ModelAdmin):
    list_display = ("user", "initiative", "step", "updated_at")
    list_filter = ("step",)
    list_select_related = ("user", "initiative")
    search_fields = ("user__username", "initiative__title_it")
    autocomplete_fields = ("user", "initiative")
