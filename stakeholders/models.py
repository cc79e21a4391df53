"""Who the initiatives work with and for."""

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pops.text import NormalisedTextMixin
from pops.vocabulary import Vocabulary


class OrganisationType(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("organisation type")
        verbose_name_plural = _("organisation types")


class TargetGroup(Vocabulary):
    """Beneficiaries an initiative is for (schools, elderly people, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")


class OrganisationQuerySet(models.QuerySet):
    def with_published_initiatives(self):
        """Organisations that are partners, in any role, of a public initiative."""
        public = apps.get_model("initiatives", "Initiative").objects.public()
        return self.filter(partnerships__initiative__in=public).distinct()


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=270, unique=True)
    type = models.ForeignKey(OrganisationType, models.PROTECT, related_name="organisations", verbose_name=_("type"))
    type_other = models.CharField(_("other type"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="IT", blank=True, help_text=_("ISO 3166 code; empty when not known.")
    )
    tax_code = models.CharField(
        _("VAT number or fiscal code"),
        max_length=32,
        blank=True,
        help_text=_("Partita IVA or codice fiscale, when known: imports recognise the organisation by it."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = OrganisationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_code"], condition=~models.Q(tax_code=""), name="organisation_unique_tax_code"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Partnership(NormalisedTextMixin, models.Model):
    """An organisation's role in an initiative."""

    class Role(models.TextChoices):
        PARTNER = "partner", _("Partner")
        CO_DESIGNER = "co_designer", _("Co-designer")
        FUNDER = "funder", _("Funder")
        BENEFICIARY = "beneficiary", _("Beneficiary")
        CLIENT = "client", _("Client")

    ROLE_SYNONYMS = {
        Role.PARTNER: ("partner di progetto", "partenariato"),
        Role.CO_DESIGNER: ("co-progettista", "coprogettista", "co-progettazione", "co-design"),
        Role.FUNDER: ("finanziatore", "finanziatrice", "ente finanziatore", "sponsor", "finanziamento"),
        Role.BENEFICIARY: ("beneficiario", "beneficiaria", "destinatario", "destinataria"),
        Role.CLIENT: ("committente", "cliente"),
    }

    # Which roles make an organisation one of an initiative's "partners": a
    # word each output means in its own way (README, "Partners").
    # - The open data, the API and the showcase: every organisation the
    #   initiative works with, whatever its role.
    ALL_ROLES = tuple(Role)
    # - The import and export's "partners" column: the organisations in this
    #   one role, which an import replaces (and creates in), leaving the
    #   other roles alone.
    IMPORT_ROLE = Role.PARTNER
    # - ANVUR: those that carry the initiative out with the university, as
    #   partners or as co-designers. Funders are reported as external
    #   funding, beneficiaries and clients are whom the initiative is for.
    ANVUR_PARTNER_ROLES = (Role.PARTNER, Role.CO_DESIGNER)

    initiative = models.ForeignKey(
        "initiatives.Initiative", models.CASCADE, related_name="partnerships", verbose_name=_("initiative")
    )
    organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="partnerships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARTNER)
    funding_call = models.CharField(
        _("funding call"),
        max_length=255,
        blank=True,
        help_text=_("The call or programme under which the organisation funds the initiative, by name."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["initiative", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "organisation", "role"], name="partnership_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_role_display()}"

    @staticmethod
    def names(initiative, roles) -> list[str]:
        """The names of the initiative's organisations in `roles`, in the
        initiative's order (from `initiative.partnerships.all()`: prefetch
        them, with their organisations, for many initiatives)."""
        return [p.organisation.name for p in initiative.partnerships.all() if p.role in roles]


class TerritorialDemand(models.Model):
    """A need posted by an outside organisation, to be met with the community's
    competences and initiatives."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("Being addressed")
        MET = "met", _("Met")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, models.CASCADE, related_name="demands", verbose_name=_("organisation")
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"))
    sectors = models.ManyToManyField(
        "initiatives.Sector", blank=True, related_name="demands", verbose_name=_("sectors")
    )
    target_groups = models.ManyToManyField(
        TargetGroup, blank=True, related_name="demands", verbose_name=_("target groups")
    )
    competences = models.ManyToManyField(
        "initiatives.Competence", blank=True, related_name="demands", verbose_name=_("competences sought")
    )
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    posted_on = models.DateField(_("posted on"), default=timezone.localdate)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    initiatives = models.ManyToManyField(
        "initiatives.Initiative",
        blank=True,
        related_name="demands_met",
        verbose_name=_("initiatives responding"),
    )

    class Meta:
        verbose_name = _("territorial demand")
        verbose_name_plural = _("territorial demands")
        ordering = ["-posted_on", "title"]
        indexes = [models.Index(fields=["status", "-posted_on"])]

    def __str__(self) -> str:
        return self.title
