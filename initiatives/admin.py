from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from modeltranslation.admin import TranslationAdmin

from impact.models import Impact, Product
from initiatives.admin_merge import merge_selected, merge_urls
from initiatives.admin_review import publish_selected, review_urls
from initiatives.exchange.admin import DataImportExportMixin
from initiatives.exchange.census_admin import CensusWorkbookAdminMixin
from initiatives.exchange.resources import InitiativeResource, PersonResource
from initiatives.services.campaigns import campaign_figures, campaign_non_respondents
from initiatives.services.permissions import (
    has_author_account,
    is_staff_reviewer,
    may_merge_initiatives,
    may_publish,
    may_send_campaign_invitations,
)
from initiatives.services.workflow import WORKFLOW_FIELDS
from initiatives.showcase.cache import showcase_cache_invalidate
from initiatives.tasks import send_campaign_invitations
from pops.admin import HistoryAdmin, InternalRecordAdmin, VocabularyAdmin, register_vocabularies
from stakeholders.models import Partnership

from .models import (
    CampaignInvitation,
    CensusCampaign,
    CoauthorInvitation,
    Competence,
    ContactMessage,
    DegreeProgramme,
    Department,
    FormDraft,
    Initiative,
    LeadNomination,
    OutboundEmail,
    Participation,
    Person,
    Place,
    Priority,
    Sector,
    SitePage,
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
class PersonAdmin(DataImportExportMixin, HistoryAdmin):
    resource_classes = [PersonResource]
    list_display = ("last_name", "first_name", "department", "role", "public_profile")
    list_filter = ("department", "role", "public_profile", "accepts_messages")
    list_select_related = ("department",)
    search_fields = ("last_name", "first_name", "email", "orcid")
    readonly_fields = ("orcid_confirmed",)
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
class InitiativeAdmin(CensusWorkbookAdminMixin, DataImportExportMixin, HistoryAdmin, TranslationAdmin):
    resource_classes = [InitiativeResource]
    list_display = ("title", "state", "review_link", "lead_contact", "start_date", "scale", "updated_at")
    list_filter = ("state", "featured", "scale", "departments", "sectors", "campaign", "sdgs")
    search_fields = ("title_it", "title_en", "summary_it", "keywords", "slug")
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("title_it",)}
    autocomplete_fields = (*Initiative.CLASSIFICATIONS, "campaign", "created_by", "revision_of")
    # The workflow fields change only through the workflow (the review page,
    # the bulk publication): never by editing, nor by reverting to a past version.
    readonly_fields = ("state", "workflow_decisions", "created_at", "updated_at", "submitted_at", "published_at")
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
                    ("state", "workflow_decisions"),
                    "featured",
                    "revision_of",
                    "created_by",
                    ("created_at", "updated_at"),
                    ("submitted_at", "published_at"),
                )
            },
        ),
    )

    # The history credits each version to who edited it (history_user) and,
    # beside it, to who approved it: the curator of the publication recorded
    # at the same time in the workflow (StateTransition).
    history_list_display = ["approved_by"]

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        from django.db.models import OuterRef, Subquery

        approvals = StateTransition.objects.filter(
            initiative=OuterRef(pk_name), to_state=Initiative.State.PUBLISHED, at=OuterRef("history_date")
        )
        return (
            super()
            .get_history_queryset(request, history_manager, pk_name, object_id)
            .annotate(approver_name=Subquery(approvals.values("by__username")[:1]))
        )

    @admin.display(description=_("approved by"))
    def approved_by(self, record) -> str:
        return record.approver_name or "—"

    def save_model(self, request, obj, form, change):
        if change:
            # A revert from the history loads a past version whole: its state
            # and dates would replace the current ones, bypassing the workflow.
            # So would a merge's mark (undone from the merges page only).
            kept = (*WORKFLOW_FIELDS, "merged_into_id", "merged_at")
            current = Initiative.objects.filter(pk=obj.pk).values(*kept).first() or {}
            for name, value in current.items():
                setattr(obj, name, value)
        else:
            obj.state, obj.submitted_at, obj.published_at = Initiative.State.DRAFT, None, None
        super().save_model(request, obj, form, change)

    @admin.display(description=_("decisions"))
    def workflow_decisions(self, obj: Initiative | None):
        from django.urls import reverse
        from django.utils.html import format_html

        if obj is None or obj.pk is None:
            return _("A new initiative starts as a draft.")
        return format_html(
            '{} <a href="{}">{}</a>',
            _("The state changes only through the review decisions:"),
            reverse("admin:initiatives_initiative_review", args=[obj.pk]),
            _("open the review page"),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The public showcase caches figures and facets: a staff edit shows at once.
        showcase_cache_invalidate()

    actions = ["merge_duplicates", "publish_submitted", "export_census_workbook"]

    def has_merge_permission(self, request, obj=None) -> bool:
        return may_merge_initiatives(request.user)

    def has_publish_permission(self, request, obj=None) -> bool:
        """Publishing many at once: the right to publish one."""
        return may_publish(request.user)

    @admin.action(description=_("Publish selected submitted initiatives"), permissions=["publish"])
    def publish_submitted(self, request, queryset):
        """Through the workflow, after a confirmation page (admin_review)."""
        return publish_selected(self, request, queryset)

    def has_review_permission(self, request, obj=None) -> bool:
        """The review queue and each initiative's review page (admin_review)."""
        return is_staff_reviewer(request.user)

    @admin.action(
        description=_("Compare and merge the two selected initiatives (they are the same thing)"),
        permissions=["merge"],
    )
    def merge_duplicates(self, request, queryset):
        """Two at a time, through their comparison (admin_merge)."""
        return merge_selected(self, request, queryset)

    def get_urls(self):
        return review_urls(self) + merge_urls(self) + super().get_urls()

    @admin.display(description=_("review"))
    def review_link(self, obj: Initiative):
        from django.urls import reverse
        from django.utils.html import format_html

        waits_for_staff = obj.state in (Initiative.State.SUBMITTED, Initiative.State.CHANGES_REQUESTED)
        # An imported draft nobody can sign in for: only staff can submit it.
        if not waits_for_staff and not (obj.state == Initiative.State.DRAFT and not has_author_account(obj)):
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:initiatives_initiative_review", args=[obj.pk]), _("Review")
        )

    def get_queryset(self, request):
        # The lead contact column reads prefetched participations: no query per row.
        return super().get_queryset(request).prefetch_related("participations__person")

    @admin.display(description=_("lead contact"))
    def lead_contact(self, obj: Initiative):
        return obj.lead() or "—"


@admin.register(CensusCampaign)
class CensusCampaignAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("name", "year", "opens_on", "closes_on", "invitation_count", "figures_link")
    list_filter = ("year",)
    search_fields = ("name_it", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_it",)}
    autocomplete_fields = ("target_departments", "target_people")

    actions = ["send_invitations"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(invitation_total=Count("invitations"))

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "<path:object_id>/figures/",
                self.admin_site.admin_view(require_safe(self.figures_view)),
                name="initiatives_censuscampaign_figures",
            ),
            path(
                "<path:object_id>/figures/not-answered/",
                self.admin_site.admin_view(require_safe(self.non_respondents_view)),
                name="initiatives_censuscampaign_non_respondents",
            ),
        ] + super().get_urls()

    def has_invite_permission(self, request, obj=None) -> bool:
        return may_send_campaign_invitations(request.user)

    @admin.action(
        description=_("Send the invitations now (to who has not had one)"),
        permissions=["invite"],
    )
    def send_invitations(self, request, queryset):
        for campaign in queryset:
            send_campaign_invitations.delay_on_commit(campaign.pk)
        self.message_user(request, _("Invitations are being sent; the figures page shows them as they go."))

    def figures_view(self, request, object_id):
        """Read only: who may see the campaign sees its figures."""
        from django.shortcuts import get_object_or_404
        from django.template.response import TemplateResponse

        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(CensusCampaign, pk=object_id)
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        may_remind = self.has_invite_permission(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Response figures: %(name)s") % {"name": campaign.name},
            "opts": self.model._meta,
            "original": campaign,
            "figures": campaign_figures(campaign),
            # Names and addresses: for who may write to them (invite, remind).
            "may_remind": may_remind,
            "non_respondents": campaign_non_respondents(campaign) if may_remind else None,
        }
        return TemplateResponse(request, "admin/initiatives/campaign_figures.html", context)

    def non_respondents_view(self, request, object_id):
        """Who has not answered yet, as a file (CSV, Excel-CSV or XLSX, `?format=`):
        for who may send the invitations and reminders, since it holds addresses."""
        from django.http import Http404
        from django.shortcuts import get_object_or_404

        from pops.spreadsheets import CSV, FORMATS, export_response

        if not self.has_invite_permission(request):
            raise PermissionDenied
        fmt = request.GET.get("format", CSV)
        if fmt not in FORMATS:
            raise Http404
        campaign = get_object_or_404(CensusCampaign, pk=object_id)
        header = [
            str(_("last name")),
            str(_("first name")),
            str(_("e-mail")),
            str(_("department")),
            str(_("role")),
            str(_("invited on")),
            str(_("reminders sent")),
        ]
        rows = (
            (
                invitation.person.last_name,
                invitation.person.first_name,
                invitation.person.email,
                invitation.person.department.code if invitation.person.department else "",
                invitation.person.get_role_display(),
                timezone.localtime(invitation.invited_at).date() if invitation.invited_at else "",
                invitation.reminders_sent,
            )
            for invitation in campaign_non_respondents(campaign)
        )
        return export_response(header, rows, fmt=fmt, filename=f"{campaign.slug}-not-answered")

    @admin.display(description=_("figures"))
    def figures_link(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html(
            '<a href="{}">{}</a>', reverse("admin:initiatives_censuscampaign_figures", args=[obj.pk]), _("Figures")
        )

    @admin.display(description=_("invitations"), ordering="invitation_total")
    def invitation_count(self, obj) -> int:
        return obj.invitation_total


@admin.register(CampaignInvitation)
class CampaignInvitationAdmin(InternalRecordAdmin):
    list_display = ("person", "campaign", "invited_at", "reminders_sent", "responded_at")
    list_filter = ("campaign",)
    list_select_related = ("person", "campaign")
    search_fields = ("person__last_name", "person__email")
    autocomplete_fields = ("campaign", "person")
    # The link secret is not editable, so never shown: nothing here opens a personal link.


@admin.register(Participation)
class ParticipationAdmin(HistoryAdmin):
    list_display = ("person", "initiative", "role", "can_edit")
    list_filter = ("role", "can_edit")
    list_select_related = ("person", "initiative")
    search_fields = ("person__last_name", "initiative__title_it")
    autocomplete_fields = ("person", "initiative")


@admin.register(Place)
class PlaceAdmin(HistoryAdmin):
    list_display = ("municipality", "province", "region", "initiative", "latitude", "longitude")
    list_filter = ("region", "province")
    list_select_related = ("initiative",)
    search_fields = ("municipality", "initiative__title_it")
    autocomplete_fields = ("initiative",)


@admin.register(StateTransition)
class StateTransitionAdmin(InternalRecordAdmin):
    list_display = ("initiative", "from_state", "to_state", "by", "at")
    list_filter = ("to_state", "from_state")
    list_select_related = ("initiative", "by")
    search_fields = ("initiative__title_it", "message")
    autocomplete_fields = ("initiative", "by")
    date_hierarchy = "at"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(InternalRecordAdmin):
    list_display = ("subject", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject", "to")
    readonly_fields = ("created_at", "sent_at", "attempts", "last_error")
    # Bodies carry personal links (campaigns, co-author invitations): the
    # admin shows who was written to and whether it went, never the text.
    exclude = ("body",)


@admin.register(ContactMessage)
class ContactMessageAdmin(InternalRecordAdmin):
    """Visitors' messages relayed from the showcase (services.contact), kept
    for abuse handling until the daily purge (POPS_CONTACT_RETENTION_DAYS).
    `ip_hash` tells messages from one client address apart."""

    list_display = ("created_at", "sender_name", "sender_email", "recipient", "initiative", "ip_hash")
    list_select_related = ("recipient", "initiative")
    search_fields = ("sender_name", "sender_email", "recipient__last_name", "ip_hash")
    date_hierarchy = "created_at"
    fields = ("created_at", "recipient", "initiative", "sender_name", "sender_email", "message", "ip_hash")


@admin.register(CoauthorInvitation)
class CoauthorInvitationAdmin(InternalRecordAdmin):
    list_display = ("email", "initiative", "invited_by", "created_at", "accepted_at")
    list_filter = ("accepted_at",)
    list_select_related = ("initiative", "invited_by")
    search_fields = ("email", "initiative__title_it")
    autocomplete_fields = ("initiative", "invited_by", "accepted_by")
    readonly_fields = ("created_at",)


@admin.register(LeadNomination)
class LeadNominationAdmin(InternalRecordAdmin):
    """Nominations researchers made in the census, waiting for the person
    named or answered. Staff set a lead directly on the initiative (trusted:
    no confirmation); this table only shows the researchers' side."""

    list_display = ("person", "initiative", "nominated_by", "status", "created_at", "answered_at")
    list_filter = ("status",)
    list_select_related = ("person", "initiative", "nominated_by")
    search_fields = ("person__last_name", "person__email", "initiative__title_it")
    autocomplete_fields = ("initiative", "person", "nominated_by", "answered_by")
    readonly_fields = ("created_at",)


@admin.register(FormDraft)
class FormDraftAdmin(InternalRecordAdmin):
    list_display = ("user", "initiative", "step", "updated_at")
    list_filter = ("step",)
    list_select_related = ("user", "initiative")
    search_fields = ("user__username", "initiative__title_it")
    autocomplete_fields = ("user", "initiative")


@admin.register(SitePage)
class SitePageAdmin(HistoryAdmin, TranslationAdmin):
    """The accessibility statement, the privacy notice and the legal notes:
    one of each, created by the reference data; staff edit their text (each
    language) and, for the statement, the parts of AgID's model. Saving one
    shows at once on the site (signals.py replaces the showcase's cache
    version)."""

    list_display = ("title", "kind", "updated_on")
    readonly_fields = ("kind", "updated_on")
    fieldsets_common = ((None, {"fields": ("kind", "title", "body", "updated_on")}),)
    fieldsets_accessibility = (
        (
            _("Accessibility statement (AgID's model)"),
            {
                "description": _(
                    "The sections of AgID's model. The text above is its last section, “Information about the site”."
                ),
                "fields": (
                    "compliance_status",
                    "non_accessible_content",
                    ("evaluated_on", "evaluation_method"),
                    "evaluation_details",
                    "feedback_email",
                    "implementation_procedure_url",
                ),
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.fieldsets_common
        if obj is not None and obj.is_accessibility_statement:
            fieldsets += self.fieldsets_accessibility
        return self._patch_fieldsets(fieldsets)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
