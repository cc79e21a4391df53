"""The institution's strategy that initiatives are mapped to.

Plans change every cycle, so everything hangs off a `Plan` edition: the Action
Plan's visions and intervention areas, and the PIAO's pillars, strategic
objectives and organisational performance objectives.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    class Kind(models.TextChoices):
        ACTION_PLAN = "action_plan", _("Action Plan")
        PIAO = "piao", _("PIAO")
        STRATEGIC_PLAN = "strategic_plan", _("Strategic Plan")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    source = models.TextField(_("source document"), blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-start_year", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")),
                name="plan_end_year_after_start_year",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Vision(models.Model):
    """An Action Plan "Focus/Visione", e.g. "Ateneo riconoscibile e riconosciuto"."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="visions", verbose_name=_("plan"))
    code = models.SlugField(_("code"), max_length=150)
    name = models.CharField(_("name"), max_length=255)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("vision")
        verbose_name_plural = _("visions")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="vision_unique_code_per_plan")]

    def __str__(self) -> str:
        return self.name


class InterventionAreaQuerySet(models.QuerySet):
    def with_vision(self):
        return self.select_related("vision", "vision__plan")


class InterventionArea(models.Model):
    """One of the Action Plan's intervention areas ("aree di intervento")."""

    vision = models.ForeignKey(Vision, models.CASCADE, related_name="areas", verbose_name=_("vision"))
    code = models.SlugField(_("code"), max_length=150)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_("Other ways people write this area, one per line: imports recognise them."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = InterventionAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("intervention area")
        verbose_name_plural = _("intervention areas")
        ordering = ["vision__plan", "vision__position", "position"]
        constraints = [models.UniqueConstraint(fields=["vision", "code"], name="area_unique_code_per_vision")]

    def __str__(self) -> str:
        return self.name


class Structure(models.Model):
    """An organisational unit of the university (AAF, APEC, ...) from the PIAO legend."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class StrategicPillar(models.Model):
    """A Strategic Plan pillar ("Le persone", ..., "Processi interni")."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="pillars", verbose_name=_("plan"))
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("strategic pillar")
        verbose_name_plural = _("strategic pillars")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="pillar_unique_code_per_plan")]

    def __str__(self) -> str:
        return self.name


class StrategicObjective(models.Model):
    """A Strategic Plan objective such as "RS.3"; some have no code in the source."""

    pillar = models.ForeignKey(StrategicPillar, models.CASCADE, related_name="objectives", verbose_name=_("pillar"))
    code = models.CharField(_("code"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=255)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        ordering = ["pillar__plan", "pillar__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["pillar", "code"],
                condition=~Q(code=""),
                name="objective_unique_code_per_pillar",
            ),
            models.UniqueConstraint(fields=["pillar", "title"], name="objective_unique_title_per_pillar"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}" if self.code else self.title


class PerformanceObjective(models.Model):
    """A PIAO organisational performance objective with its three levels.

    Each level (threshold, target, excellence) has a value, as scored in the
    PIAO table, and a description of what reaching it means.
    """

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="performance_objectives", verbose_name=_("plan"))
    code = models.CharField(_("code"), max_length=32)
    pillar = models.ForeignKey(
        StrategicPillar, models.PROTECT, related_name="performance_objectives", verbose_name=_("pillar")
    )
    strategic_objective = models.ForeignKey(
        StrategicObjective,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="performance_objectives",
        verbose_name=_("strategic objective"),
    )
    title = models.CharField(_("title"), max_length=500)
    purpose = models.TextField(_("purpose"), blank=True)
    responsible_structure = models.ForeignKey(
        Structure, models.PROTECT, related_name="responsible_for", verbose_name=_("responsible structure")
    )
    structures = models.ManyToManyField(
        Structure,
        through="PerformanceObjectiveAssignment",
        related_name="assigned_objectives",
        verbose_name=_("assigned structures"),
    )
    threshold_value = models.DecimalField(_("threshold value"), max_digits=14, decimal_places=2, null=True, blank=True)
    threshold_description = models.TextField(_("threshold description"), blank=True)
    target_value = models.DecimalField(_("target value"), max_digits=14, decimal_places=2, null=True, blank=True)
    target_description = models.TextField(_("target description"), blank=True)
    excellence_value = models.DecimalField(
        _("excellence value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    excellence_description = models.TextField(_("excellence description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("performance objective")
        verbose_name_plural = _("performance objectives")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="performance_objective_unique_code_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def levels(self) -> list[tuple[str, object, str]]:
        """The three levels in order, as (label, value, description)."""
        return [
            (_("Threshold"), self.threshold_value, self.threshold_description),
            (_("Target"), self.target_value, self.target_description),
            (_("Excellence"), self.excellence_value, self.excellence_description),
        ]


class PerformanceObjectiveAssignment(models.Model):
    objective = models.ForeignKey(
        PerformanceObjective, models.CASCADE, related_name="assignments", verbose_name=_("objective")
    )
    structure = models.ForeignKey(Structure, models.PROTECT, related_name="assignments", verbose_name=_("structure"))
    weight = models.PositiveSmallIntegerField(
        _("weight (%)"), null=True, blank=True, help_text=_("Share of the structure's objectives, 0–100.")
    )

    class Meta:
        verbose_name = _("assigned structure")
        verbose_name_plural = _("assigned structures")
        ordering = ["objective", "structure__code"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "structure"], name="assignment_unique_structure"),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gte=0, weight__lte=100),
                name="assignment_weight_between_0_and_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.structure.code} ({self.weight}%)" if self.weight is not None else self.structure.code
