"""What the initiatives produce and change, and the classifications used to
report it (SDGs, ANVUR fields of action and public-engagement categories)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pops.storage import private_storage
from pops.text import NormalisedTextMixin
from pops.vocabulary import Vocabulary, VocabularyQuerySet


class SDG(models.Model):
    """A UN Sustainable Development Goal."""

    number = models.PositiveSmallIntegerField(
        _("number"), unique=True, validators=[MinValueValidator(1), MaxValueValidator(17)]
    )
    name = models.CharField(_("name"), max_length=120)
    color = models.CharField(_("colour"), max_length=7, help_text=_("Official colour, e.g. #E5243B."))

    class Meta:
        verbose_name = _("Sustainable Development Goal")
        verbose_name_plural = _("Sustainable Development Goals")
        ordering = ["number"]
        constraints = [models.CheckConstraint(condition=Q(number__gte=1, number__lte=17), name="sdg_number_1_to_17")]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class EditionQuerySet(VocabularyQuerySet):
    def for_year(self, year: int):
        """The entries of the edition in force in a reporting year."""
        return self.filter(valid_from__lte=year).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year))


class AnvurVocabulary(Vocabulary):
    """An ANVUR classification entry, versioned by reporting year.

    ANVUR revises its lists: a new edition gets new rows (with new
    `valid_from`), and old records keep pointing at the edition they used.
    """

    code = models.CharField(_("code"), max_length=16)
    valid_from = models.PositiveSmallIntegerField(_("valid from (year)"))
    valid_to = models.PositiveSmallIntegerField(_("valid to (year)"), null=True, blank=True)

    objects = EditionQuerySet.as_manager()

    class Meta(Vocabulary.Meta):
        abstract = True
        ordering = ["-valid_from", "position"]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class FieldOfAction(AnvurVocabulary):
    """A VQR third-mission field of action ("campo d'azione", a–j)."""

    class Meta(AnvurVocabulary.Meta):
        verbose_name = _("ANVUR field of action")
        verbose_name_plural = _("ANVUR fields of action")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="field_of_action_unique_code_per_edition"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="field_of_action_valid_to_after_from",
            ),
        ]


class PublicEngagementCategory(AnvurVocabulary):
    """A SUA-TM/IS public-engagement category."""

    class Meta(AnvurVocabulary.Meta):
        verbose_name = _("ANVUR public-engagement category")
        verbose_name_plural = _("ANVUR public-engagement categories")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="pe_category_unique_code_per_edition"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pe_category_valid_to_after_from",
            ),
        ]


class ProductCategory(Vocabulary):
    examples = models.TextField(_("examples"), blank=True)

    class Meta(Vocabulary.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")


class Product(NormalisedTextMixin, models.Model):
    """An output of an initiative (a report, a device, a community hub...)."""

    initiative = models.ForeignKey(
        "initiatives.Initiative", models.CASCADE, related_name="products", verbose_name=_("initiative")
    )
    category = models.ForeignKey(ProductCategory, models.PROTECT, related_name="products", verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["initiative", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1950, year__lte=2100), name="product_year_plausible"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Impact(NormalisedTextMixin, models.Model):
    """An expected or achieved change, with its indicator."""

    class Kind(models.TextChoices):
        EXPECTED = "expected", _("Expected")
        ACHIEVED = "achieved", _("Achieved")

    KIND_SYNONYMS = {
        Kind.EXPECTED: ("atteso", "attesa", "previsto", "prevista", "expected impact"),
        Kind.ACHIEVED: ("raggiunto", "raggiunta", "ottenuto", "ottenuta", "conseguito", "realizzato"),
    }

    class Category(models.TextChoices):
        SOCIAL = "social", _("Social")
        CULTURAL = "cultural", _("Cultural")
        ECONOMIC = "economic", _("Economic")
        ENVIRONMENTAL = "environmental", _("Environmental")
        HEALTH = "health", _("Health and well-being")
        EDUCATIONAL = "educational", _("Educational")

    CATEGORY_SYNONYMS = {
        Category.SOCIAL: ("sociale",),
        Category.CULTURAL: ("culturale",),
        Category.ECONOMIC: ("economico", "economica"),
        Category.ENVIRONMENTAL: ("ambientale", "ambiente"),
        Category.HEALTH: ("salute", "benessere", "salute e benessere", "sanitario"),
        Category.EDUCATIONAL: ("educativo", "educativa", "formativo", "istruzione", "formazione"),
    }

    initiative = models.ForeignKey(
        "initiatives.Initiative", models.CASCADE, related_name="impacts", verbose_name=_("initiative")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.EXPECTED)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.SOCIAL)
    description = models.TextField(_("description"))
    indicator = models.CharField(_("indicator"), max_length=255, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(_("measured value"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    measured_on = models.DateField(_("measured on"), null=True, blank=True)
    evidence_url = models.URLField(_("evidence link"), blank=True)
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("impact")
        verbose_name_plural = _("impacts")
        ordering = ["initiative", "position", "id"]
        indexes = [models.Index(fields=["kind", "category"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.indicator or self.description[:60]}"


class ExportRecord(models.Model):
    """One export of data out of the portal: who, when, with which filters,
    and how many rows (ANVUR reports, summaries, open data downloads)."""

    class Kind(models.TextChoices):
        ANVUR = "anvur", _("ANVUR third-mission export")
        SUMMARY = "summary", _("ANVUR summary")
        RESOURCE = "resource", _("Admin export")
        OPEN_DATA = "open_data", _("Open data download")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=20)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_records",
        verbose_name=_("by"),
    )
    source = models.CharField(
        _("from"), max_length=20, default="admin", help_text=_("admin, command line, or public download.")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.format}, {self.row_count})"


class ImportJob(models.Model):
    """A large import run by Celery tasks: the stored file, who started it,
    its progress and its outcome (counts, or every bad row).

    A job uploaded in the admin starts in the *dry run* phase: a task checks
    every row and writes nothing, then the job is *checked* (its `preview`
    holds the counts of new, updated and unchanged rows and of possible
    duplicates, and what each row would change; its `errors` every bad row)
    or *failed* (no row could be imported). Staff confirm a checked job with
    their choices (the state new initiatives arrive in, each possible
    duplicate's fate, and, when rows are bad, to import the valid rows only),
    which moves it to the *import* phase: another task checks everything
    again and writes all rows or none, or the valid ones only.

    The file is only kept while it is useful: deleted as soon as the job
    succeeds, POPS_IMPORT_FILE_RETENTION_DAYS days after it fails or after it
    was created if it never finishes (a preview nobody confirms), and with the
    job (see exchange.imports)."""

    class Phase(models.TextChoices):
        DRY_RUN = "dry_run", _("Dry run")
        IMPORT = "import", _("Import")

    class Kind(models.TextChoices):
        INITIATIVES = "initiatives", _("Initiatives")
        ORGANISATIONS = "organisations", _("Organisations")
        PEOPLE = "people", _("People")
        CENSUS = "census", _("Census workbook")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(
        _("file"),
        upload_to="imports/",
        storage=private_storage,
        blank=True,
        help_text=_("Deleted when the import succeeds, and some days after it fails."),
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.IMPORT)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_rows = models.PositiveIntegerField(_("created"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated"), default=0)
    skipped_rows = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(
        _("preview"),
        default=dict,
        blank=True,
        help_text=_(
            "What the dry run found: the numbers of new, updated and unchanged rows and of possible duplicates, "
            "and what each row would change."
        ),
    )
    # What staff chose when they confirmed the dry run's preview.
    duplicate_choices = models.JSONField(
        _("choices about possible duplicates"),
        default=dict,
        blank=True,
        # A census workbook's: "new", "skip" or "update:<slug>" (exchange.census_import).
        help_text=_("By row of the file: “new” (create a new initiative) or “update-<id>” (update that one)."),
    )
    arrival_state = models.CharField(
        _("new initiatives arrive as"),
        max_length=20,
        blank=True,
        help_text=_("Submitted or draft: an import never publishes."),
    )
    valid_rows_only = models.BooleanField(
        _("valid rows only"),
        default=False,
        help_text=_("Import the rows without errors and leave out the others (otherwise: all rows or none)."),
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, help_text=_("The language of who uploaded the file: the messages'.")
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name or self.file.name} ({self.get_state_display()})"

    @property
    def in_progress(self) -> bool:
        """A task has this job to run, or is running it."""
        return self.state in (self.State.PENDING, self.State.RUNNING)

    @property
    def has_bad_rows(self) -> bool:
        return any(error.get("row") for error in self.errors or ())

    @property
    def can_be_confirmed(self) -> bool:
        """A dry run that found rows to import, waiting for staff to confirm
        it (with bad rows among them, only to import the valid rows)."""
        return self.phase == self.Phase.DRY_RUN and self.state == self.State.CHECKED


@receiver(post_delete, sender=ImportJob, dispatch_uid="impact-import-job-file")
def _delete_import_job_file(sender, instance: ImportJob, **kwargs) -> None:
    """A deleted job takes its stored file with it, once the deletion is
    committed (a rolled-back deletion keeps both). A signal, because it is the
    one hook that sees every deletion: the admin's, a queryset's, a cascade."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))
