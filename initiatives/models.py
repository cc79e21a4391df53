"""The census itself: initiatives, the people who run them, campaigns.

Vocabularies (departments, sectors, themes, ...) are editable by staff and
loaded from fixtures/reference by `load_reference_data`.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pops.links import link_matches, link_pk, link_token, new_secret
from pops.text import NormalisedTextMixin
from pops.uploads import CoverImageField
from pops.vocabulary import Vocabulary

# --- Vocabularies -----------------------------------------------------------


class Department(Vocabulary):
    """A PoliTO department; `code` is its official acronym (DAD, DIST, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.code


class DegreeProgramme(Vocabulary):
    class Level(models.TextChoices):
        BACHELOR = "bachelor", _("Bachelor's degree")
        MASTER = "master", _("Master's degree")
        PHD = "phd", _("PhD programme")

    department = models.ForeignKey(
        Department, models.PROTECT, related_name="degree_programmes", verbose_name=_("department")
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)

    class Meta(Vocabulary.Meta):
        verbose_name = _("degree programme")
        verbose_name_plural = _("degree programmes")


class Sector(Vocabulary):
    """An "ambito e settore di intervento" from the 2022 workshop questionnaire."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class Theme(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class SupportKind(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("kind of support")
        verbose_name_plural = _("kinds of support")


class Priority(Vocabulary):
    """A priority of the POPS project as ranked at the 2022 workshop."""

    class Level(models.TextChoices):
        HIGHEST = "highest", _("Highest priority")
        HIGH = "high", _("High priority")
        MEDIUM = "medium", _("Medium priority")

    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.MEDIUM)

    class Meta(Vocabulary.Meta):
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")


class Competence(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("competence")
        verbose_name_plural = _("competences")


# --- People -----------------------------------------------------------------

orcid_validator = RegexValidator(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", _("Enter an ORCID iD such as 0000-0002-1825-0097."))


class PersonQuerySet(models.QuerySet):
    def in_directory(self):
        """People who opted in to the public directory."""
        return self.filter(public_profile=True)


class Person(models.Model):
    """A member of the Politecnico's community, with or without a login."""

    class Role(models.TextChoices):
        FULL_PROFESSOR = "full_professor", _("Full professor")
        ASSOCIATE_PROFESSOR = "associate_professor", _("Associate professor")
        RESEARCHER = "researcher", _("Researcher")
        RESEARCH_FELLOW = "research_fellow", _("Research fellow")
        PHD_STUDENT = "phd_student", _("PhD student")
        STAFF = "staff", _("Technical and administrative staff")
        STUDENT = "student", _("Student")
        OTHER = "other", _("Other")

    # How positions are written in sheets and e-mails, beside the labels of
    # every language (imports recognise them; see pops.vocabulary.choice_index).
    ROLE_SYNONYMS = {
        Role.FULL_PROFESSOR: ("professore ordinario", "professoressa ordinaria", "ordinario", "ordinaria", "PO"),
        Role.ASSOCIATE_PROFESSOR: ("professore associato", "professoressa associata", "associato", "associata"),
        Role.RESEARCHER: (
            "ricercatore",
            "ricercatrice",
            "ricercatore/ricercatrice",
            "ricercatore a tempo determinato",
            "ricercatrice a tempo determinato",
            "RTD",
            "RTDa",
            "RTDb",
            "RTT",
        ),
        Role.RESEARCH_FELLOW: ("assegnista", "assegnista di ricerca", "assegnista/borsista", "postdoc", "post-doc"),
        Role.PHD_STUDENT: ("dottorando", "dottoranda", "dottorando/a", "dottorando di ricerca", "PhD candidate"),
        Role.STAFF: (
            "personale tecnico-amministrativo",
            "personale tecnico amministrativo",
            "tecnico-amministrativo",
            "PTA",
            "TA",
        ),
        Role.STUDENT: ("studente", "studentessa", "studente/studentessa", "studenti"),
        Role.OTHER: ("altro", "altra"),
    }

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        NON_BINARY = "non_binary", _("Non-binary")
        UNDISCLOSED = "undisclosed", _("Prefer not to say")

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login"),
    )
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="people", verbose_name=_("department")
    )
    degree_programme = models.ForeignKey(
        DegreeProgramme,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("degree programme"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.RESEARCHER)
    gender = models.CharField(
        _("gender"),
        max_length=20,
        choices=Gender.choices,
        default=Gender.UNDISCLOSED,
        help_text=_("Only used in anonymous aggregate statistics."),
    )
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True, validators=[orcid_validator])
    # What ORCID sign-in trusts (pops/orcid/): an iD typed or imported above
    # proves nothing, so a change of `orcid` by any path undoes the link.
    orcid_confirmed = models.CharField(
        _("ORCID iD confirmed by ORCID"),
        max_length=19,
        blank=True,
        editable=False,
        help_text=_(
            "The iD ORCID confirmed when the person linked it from their profile; "
            "they can sign in with ORCID while the ORCID iD is this one."
        ),
    )
    competences = models.ManyToManyField(Competence, blank=True, related_name="people", verbose_name=_("competences"))
    bio = models.TextField(_("short biography"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails the portal sends them: the one they last signed in with."),
    )
    public_profile = models.BooleanField(
        _("listed in the public directory"),
        default=False,
        help_text=_("The person agreed to appear in the public directory of people and competences."),
    )
    accepts_messages = models.BooleanField(
        _("accepts messages from visitors"),
        default=False,
        help_text=_(
            "Visitors of the showcase may write to the person through a form on their page (or on the page "
            "of an initiative they lead); the portal relays the message by e-mail without showing the address."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PersonQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="person_unique_email"),
            models.UniqueConstraint(fields=["orcid"], condition=~Q(orcid=""), name="person_unique_orcid"),
        ]
        indexes = [models.Index(fields=["public_profile", "last_name"])]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("person-detail", kwargs={"slug": self.slug})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def contact_address(self) -> str:
        """Where the portal writes to the person: their login's address, else
        the one in the register ("" when there is neither)."""
        user = self.user if self.user_id else None
        return user.email if user is not None and user.email else self.email

    @property
    def orcid_linked(self) -> bool:
        """Whether ORCID confirmed the iD the profile holds (the person can
        sign in with ORCID)."""
        return bool(self.orcid) and self.orcid == self.orcid_confirmed


# --- Census campaigns ---------------------------------------------------------


class CensusCampaign(models.Model):
    """A yearly census round: who is invited, when it opens and closes."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    description = models.TextField(_("description"), blank=True)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    reminder_every_days = models.PositiveSmallIntegerField(
        _("remind every (days)"), default=7, validators=[MinValueValidator(1)]
    )
    target_departments = models.ManyToManyField(
        Department, blank=True, related_name="campaigns", verbose_name=_("target departments")
    )
    target_people = models.ManyToManyField(
        Person, blank=True, related_name="targeted_by_campaigns", verbose_name=_("target people")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("census campaign")
        verbose_name_plural = _("census campaigns")
        ordering = ["-year", "-opens_on"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="campaign_closes_after_it_opens")
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.opens_on <= on <= self.closes_on


def _new_token() -> str:
    """A row's link secret (the name early migrations refer to)."""
    return new_secret()


class PersonalLink(models.Model):
    """A row reached through a personal link sent by e-mail (see pops.links):
    the row keeps a random secret, the link carries a code made from it with
    the site's key, so nothing the admin or a backup shows opens the link."""

    LINK_PURPOSE = ""

    secret = models.CharField(_("link secret"), max_length=64, default=_new_token, editable=False)

    class Meta:
        abstract = True

    @property
    def link_token(self) -> str:
        return link_token(self.LINK_PURPOSE, self.pk, self.secret)

    @classmethod
    def by_link(cls, token: str, queryset=None):
        """The row a personal link names, or None (unknown, or not its code)."""
        pk = link_pk(token)
        if pk is None:
            return None
        row = (queryset if queryset is not None else cls._default_manager).filter(pk=pk).first()
        if row is None or not link_matches(cls.LINK_PURPOSE, token, row.pk, row.secret):
            return None
        return row


class CampaignInvitation(PersonalLink):
    """One person invited to a campaign, reached through a personal link,
    which opens until the campaign closes and POPS_CAMPAIGN_LINK_GRACE_DAYS
    more (a late answer is still welcome; a 2023 link in 2026 is not)."""

    LINK_PURPOSE = "campaign-invitation"

    campaign = models.ForeignKey(CensusCampaign, models.CASCADE, related_name="invitations", verbose_name=_("campaign"))
    person = models.ForeignKey(Person, models.CASCADE, related_name="invitations", verbose_name=_("person"))
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign invitation")
        verbose_name_plural = _("campaign invitations")
        ordering = ["campaign", "person"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="invitation_unique_person_per_campaign")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} — {self.person}"

    def link_expires_on(self):
        return self.campaign.closes_on + datetime.timedelta(days=settings.POPS_CAMPAIGN_LINK_GRACE_DAYS)

    def link_is_valid(self, today=None) -> bool:
        return (today or timezone.localdate()) <= self.link_expires_on()


# --- Initiatives --------------------------------------------------------------


# The errors of `Initiative.cross_field_errors`, by code.
END_BEFORE_START_CODE = "end_before_start"
END_BEFORE_START = _("The end date cannot be before the start date.")
FUNDING_OVER_BUDGET_CODE = "funding_over_budget"
FUNDING_OVER_BUDGET = _("External funding cannot be larger than the total budget.")


class InitiativeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=Initiative.State.PUBLISHED)

    def originals(self):
        """Initiatives proper, leaving out the working copies of proposed
        updates and the initiatives merged into another (kept only so that
        the merge can be undone)."""
        return self.filter(revision_of__isnull=True, merged_into__isnull=True)

    def public(self):
        """What the public may ever see, the one definition the showcase, the
        open data, the API, the sitemaps and the organisations' pages use:
        published originals (a working copy, or an initiative merged into
        another, is never public)."""
        return self.published().originals()

    def hidden(self) -> tuple:
        """Every initiative `public()` leaves out (together they partition the
        table), as two querysets that an index each serves: those in a state
        other than published, and the working copies. They are few, where the
        public ones are nearly the whole table, so "in neither" is the cheaper
        test of the two. The second also holds the initiatives merged into
        another (each of its two conditions has an index of its own)."""
        others = [state for state in Initiative.State.values if state != Initiative.State.PUBLISHED]
        return self.filter(state__in=others), self.filter(Q(revision_of__isnull=False) | Q(merged_into__isnull=False))

    def editable_by(self, user):
        """Initiatives a researcher may open: created by them or where they
        take part, leaving out those merged into another (the survivor is the
        one to open)."""
        if not user.is_authenticated:
            return self.none()
        return (
            self.filter(merged_into__isnull=True)
            .filter(Q(created_by=user) | Q(participations__person__user=user))
            .distinct()
        )

    def active_in_year(self, year: int):
        """Initiatives running at some point of the calendar year."""
        return self.filter(start_date__year__lte=year).filter(Q(end_date__isnull=True) | Q(end_date__year__gte=year))


class Initiative(NormalisedTextMixin, models.Model):
    """A social-impact initiative of the Politecnico's community."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        ARCHIVED = "archived", _("Archived")

    class Scale(models.TextChoices):
        LOCAL = "local", _("Local")
        REGIONAL = "regional", _("Regional")
        NATIONAL = "national", _("National")
        INTERNATIONAL = "international", _("International")

    # The fields that are not the initiative's content: its identity, its
    # place in the workflow and the census's bookkeeping. A proposed update
    # leaves them as the original has them, and the review's comparison of
    # versions does not list them.
    BOOKKEEPING_FIELDS = frozenset(
        {
            "id",
            "slug",
            "state",
            "revision_of",
            "featured",
            "campaign",
            "created_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "published_at",
            "merged_into",
            "merged_at",
        }
    )

    # The classifications: the many-to-many fields that link the initiative
    # to entries of a vocabulary or plan (not people, who have a through
    # model of their own), in the order the model declares them. Copying,
    # merging and comparing initiatives, the admin and the demo data use them
    # all; other modules list the subset they show.
    CLASSIFICATIONS = (
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
    )
    # The classifications that data exchange carries (the import/export
    # columns and the API's fields), in the order of their columns.
    EXCHANGED_CLASSIFICATIONS = (
        "departments",
        "sectors",
        "themes",
        "sdgs",
        "fields_of_action",
        "pe_categories",
        "intervention_areas",
    )

    # Who we are
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=320, unique=True)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Two or three sentences for the public."))
    description = models.TextField(_("description"), blank=True)
    objectives = models.TextField(_("specific objectives"), blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="initiatives", verbose_name=_("departments")
    )
    people = models.ManyToManyField(
        Person, through="Participation", related_name="initiatives", verbose_name=_("people")
    )
    target_groups = models.ManyToManyField(
        "stakeholders.TargetGroup", blank=True, related_name="initiatives", verbose_name=_("target groups")
    )

    # What we do
    sectors = models.ManyToManyField(Sector, blank=True, related_name="initiatives", verbose_name=_("sectors"))
    sector_other = models.CharField(_("other sector"), max_length=200, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="initiatives", verbose_name=_("themes"))
    support_kinds = models.ManyToManyField(
        SupportKind, blank=True, related_name="initiatives", verbose_name=_("kinds of support")
    )
    support_other = models.CharField(_("other kind of support"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(
        _("end date"), null=True, blank=True, help_text=_("Leave empty if the initiative is ongoing.")
    )
    scale = models.CharField(_("scale"), max_length=20, choices=Scale.choices, blank=True)
    website = models.URLField(_("website"), blank=True)
    # Checked, re-encoded and renamed on upload; deleted when replaced (pops/uploads.py).
    cover_image = CoverImageField(_("cover image"), upload_to="initiatives/covers/", blank=True)
    cover_alt = models.CharField(
        _("cover image description"),
        max_length=255,
        blank=True,
        help_text=_("What the image shows, for screen readers."),
    )
    keywords = models.CharField(
        _("keywords"), max_length=255, blank=True, help_text=_("Up to five, separated by commas.")
    )
    budget = models.DecimalField(
        _("total budget (€)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    external_funding = models.DecimalField(
        _("of which external funding (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    pe_categories = models.ManyToManyField(
        "impact.PublicEngagementCategory",
        blank=True,
        related_name="initiatives",
        verbose_name=_("ANVUR public-engagement categories"),
    )
    fields_of_action = models.ManyToManyField(
        "impact.FieldOfAction", blank=True, related_name="initiatives", verbose_name=_("ANVUR fields of action")
    )
    intervention_areas = models.ManyToManyField(
        "actionplan.InterventionArea", blank=True, related_name="initiatives", verbose_name=_("Action Plan areas")
    )
    strategic_objectives = models.ManyToManyField(
        "actionplan.StrategicObjective",
        blank=True,
        related_name="initiatives",
        verbose_name=_("strategic objectives"),
    )
    performance_objectives = models.ManyToManyField(
        "actionplan.PerformanceObjective",
        blank=True,
        related_name="initiatives",
        verbose_name=_("PIAO performance objectives"),
    )

    # Impact and reach (the figures ANVUR asks for)
    sdgs = models.ManyToManyField("impact.SDG", blank=True, related_name="initiatives", verbose_name=_("SDGs"))
    participants = models.PositiveIntegerField(_("actual participants"), null=True, blank=True)
    web_accesses = models.PositiveIntegerField(_("documented web accesses"), null=True, blank=True)
    publication_copies = models.PositiveIntegerField(_("copies of publications"), null=True, blank=True)
    media_audience = models.PositiveIntegerField(_("estimated radio/TV audience"), null=True, blank=True)
    impact_evaluated = models.BooleanField(
        _("impact evaluation done"), default=False, help_text=_("For example a questionnaire for participants.")
    )
    impact_evaluation_notes = models.TextField(_("how the impact was evaluated"), blank=True)

    # What we want to become
    needs = models.TextField(_("needs"), blank=True)
    wishes = models.TextField(_("wishes"), blank=True)
    priorities = models.ManyToManyField(Priority, blank=True, related_name="initiatives", verbose_name=_("priorities"))

    # Census and workflow
    campaign = models.ForeignKey(
        CensusCampaign,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("census campaign"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    revision_of = models.ForeignKey(
        "self",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="revisions",
        verbose_name=_("proposed update of"),
        help_text=_(
            "A change proposed to a published initiative: a working copy that replaces the public "
            "version only when staff approve it."
        ),
    )
    featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown among the featured initiatives on the home page.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_initiatives",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Set by a merge (services/merging.py): the initiative is hidden
    # everywhere, its address answers with a permanent redirect to the one it
    # was merged into, and the merge can be undone. PROTECT: the survivor is
    # deleted only once the merges into it are undone.
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_away",
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)

    objects = InitiativeQuerySet.as_manager()
    # History is registered in translation.py, after the translated columns exist.

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="initiative_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="initiative_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(external_funding__isnull=True) | Q(external_funding__gte=0),
                name="initiative_external_funding_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True)
                | Q(external_funding__isnull=True)
                | Q(external_funding__lte=F("budget")),
                name="initiative_external_funding_within_budget",
            ),
            models.UniqueConstraint(
                fields=["revision_of"],
                condition=Q(revision_of__isnull=False),
                name="initiative_one_open_revision",
                violation_error_message=_("An update of this initiative is already being prepared."),
            ),
            models.CheckConstraint(
                condition=Q(revision_of__isnull=True) | ~Q(state__in=["published", "archived"]),
                name="initiative_revision_never_public",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted", "changes_requested", "published", "rejected", "archived"]),
                name="initiative_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | (Q(merged_into__isnull=False, merged_at__isnull=False) & ~Q(merged_into=F("id"))),
                name="initiative_merged_into_another_with_its_date",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-published_at"]),
            models.Index(fields=["state", "start_date"]),
            models.Index(fields=["state", "scale"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("initiative-detail", kwargs={"slug": self.slug})

    def clean_fields(self, exclude=None) -> None:
        # The rules that name a field (the cover's text alternative, the dates,
        # the budget) are checked here rather than in clean(): a model form
        # without that field (most census steps) must not be asked about it
        # (Django raises ValueError for an error on a field a form lacks), and
        # unlike clean(), clean_fields() knows which fields a form leaves out
        # or has already rejected. Every writer validates through here: the
        # admin's and the census's model forms, and the import's full_clean().
        exclude = set(exclude or ())
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.error_dict
        else:
            errors = {}
        # A value that failed its own validation is not compared with others.
        for name, error in self.cross_field_errors(vars(self), exclude=exclude | set(errors)).items():
            errors.setdefault(name, []).append(error)
        try:
            self._clean_cover_alt(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def cross_field_errors(values, *, exclude=()) -> dict[str, ValidationError]:
        """The rules between an initiative's own values, the one definition
        (the CHECK constraints say the same in the database): the end date is
        not before the start date, the external funding is not more than the
        budget. `values` maps field names to values (a missing one is empty);
        a rule involving a field in `exclude` is not checked. The errors are
        keyed by field, with a code a writer may word in its own way."""
        errors = {}

        def given(*names: str) -> bool:
            return all(name not in exclude and values.get(name) is not None for name in names)

        if given("start_date", "end_date") and values["end_date"] < values["start_date"]:
            errors["end_date"] = ValidationError(END_BEFORE_START, code=END_BEFORE_START_CODE)
        if given("budget", "external_funding") and values["external_funding"] > values["budget"]:
            errors["external_funding"] = ValidationError(FUNDING_OVER_BUDGET, code=FUNDING_OVER_BUDGET_CODE)
        return errors

    def _clean_cover_alt(self, exclude) -> None:
        """A cover image needs a text alternative (WCAG 1.1.1), at least in
        Italian: the English page falls back to it."""
        if "cover_alt_it" in exclude or not self.cover_image or (self.cover_alt_it or "").strip():
            return
        raise ValidationError(
            {
                "cover_alt_it": ValidationError(
                    _("Describe the cover image in Italian: screen readers read this text in its place."),
                    code="cover_alt_required",
                )
            }
        )

    @classmethod
    def plain_m2m_fields(cls) -> list:
        """The fields of the CLASSIFICATIONS (sectors, SDGs...)."""
        return [cls._meta.get_field(name) for name in cls.CLASSIFICATIONS]

    @property
    def is_public(self) -> bool:
        """The row-level spelling of `Initiative.objects.public()`: published,
        not a working copy, not merged into another."""
        return self.state == self.State.PUBLISHED and self.revision_of_id is None and self.merged_into_id is None

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]

    def lead(self):
        """The lead contact, using prefetched participations when present."""
        for participation in self.participations.all():
            if participation.role == Participation.Role.LEAD:
                return participation.person
        return None


class Participation(NormalisedTextMixin, models.Model):
    """A person's part in an initiative."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead contact")
        MEMBER = "member", _("Team member")

    ROLE_SYNONYMS = {
        Role.LEAD: ("responsabile", "referente", "coordinatore", "coordinatrice", "responsabile scientifico", "lead"),
        Role.MEMBER: ("membro", "componente", "partecipante", "membro del gruppo", "gruppo di lavoro"),
    }

    initiative = models.ForeignKey(
        Initiative, models.CASCADE, related_name="participations", verbose_name=_("initiative")
    )
    person = models.ForeignKey(Person, models.PROTECT, related_name="participations", verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    contribution = models.CharField(_("contribution"), max_length=255, blank=True)
    can_edit = models.BooleanField(
        _("co-author"), default=False, help_text=_("May edit the initiative in the census forms.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["initiative", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "person"], name="participation_unique_person"),
            models.UniqueConstraint(
                fields=["initiative"], condition=Q(role="lead"), name="participation_one_lead_per_initiative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"


class Place(NormalisedTextMixin, models.Model):
    """Where an initiative happens; coordinates are optional (for the map)."""

    initiative = models.ForeignKey(Initiative, models.CASCADE, related_name="places", verbose_name=_("initiative"))
    municipality = models.CharField(_("municipality"), max_length=120)
    province = models.CharField(_("province"), max_length=2, blank=True, help_text=_("Two-letter code, e.g. TO."))
    region = models.CharField(_("region"), max_length=60, blank=True)
    country = models.CharField(_("country"), max_length=2, default="IT", help_text=_("ISO 3166 code."))
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["initiative", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                # Spelled out with isnull=False: a CHECK that evaluates to NULL passes.
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="place_coordinates_both_or_none_and_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} ({self.province})" if self.province else self.municipality

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class StateTransition(models.Model):
    """A record of every workflow step, kept for the review history."""

    initiative = models.ForeignKey(Initiative, models.CASCADE, related_name="transitions", verbose_name=_("initiative"))
    from_state = models.CharField(_("from"), max_length=20, choices=Initiative.State.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=Initiative.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("state transition")
        verbose_name_plural = _("state transitions")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["initiative", "-at"])]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.from_state} → {self.to_state}"


class InitiativeMerge(models.Model):
    """One merge of two initiatives found to be the same thing, as
    services/merging.py made it: who, when, the curator's choices, and what
    the survivor looked like before and just after, so that it can be undone."""

    survivor = models.ForeignKey(
        Initiative, models.CASCADE, related_name="merges_kept", verbose_name=_("initiative kept")
    )
    merged = models.ForeignKey(
        Initiative, models.CASCADE, related_name="merges_away", verbose_name=_("initiative merged into it")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # The titles as they were, in full (the history's change reason has room
    # for 100 characters only).
    description = models.TextField(_("description"))
    choices = models.JSONField(_("choices"), default=dict)
    survivor_before = models.JSONField(_("survivor before the merge"), default=list)
    survivor_after = models.JSONField(_("survivor after the merge"), default=dict)
    added_rows = models.JSONField(_("rows added to the survivor"), default=dict)
    removed_rows = models.JSONField(_("rows removed from the survivor"), default=dict)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("undone by")
    )

    class Meta:
        verbose_name = _("merge of initiatives")
        verbose_name_plural = _("merges of initiatives")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(survivor=F("merged")), name="initiative_merge_of_two"),
        ]

    def __str__(self) -> str:
        return self.description


class InitiativeMessage(models.Model):
    """A message of the conversation kept on an initiative between its
    authors and POPS staff (`services.conversation`). The messages staff
    write when they move it (a request for changes, a rejection) stay on
    their `StateTransition`; the thread shows both, oldest first."""

    initiative = models.ForeignKey(Initiative, models.CASCADE, related_name="messages", verbose_name=_("initiative"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("message"))
    from_staff = models.BooleanField(_("from POPS staff"), default=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["initiative", "created_at"])]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.body[:40]}"


class CoauthorInvitation(PersonalLink):
    """An invitation, sent by e-mail, to edit an initiative as a co-author:
    its link opens for POPS_COAUTHOR_INVITATION_DAYS, and only for the account
    with the address it was sent to."""

    LINK_PURPOSE = "coauthor-invitation"

    initiative = models.ForeignKey(
        Initiative, models.CASCADE, related_name="coauthor_invitations", verbose_name=_("initiative")
    )
    email = models.EmailField(_("e-mail"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )

    class Meta:
        verbose_name = _("co-author invitation")
        verbose_name_plural = _("co-author invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "email"],
                condition=Q(accepted_at__isnull=True),
                name="coauthor_invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.initiative}"

    def link_expires_at(self):
        return self.created_at + datetime.timedelta(days=settings.POPS_COAUTHOR_INVITATION_DAYS)

    def link_is_valid(self, now=None) -> bool:
        return (now or timezone.now()) < self.link_expires_at()

    def is_for(self, user) -> bool:
        """Whether `user` is the account the invitation was sent to."""
        return bool(user.is_authenticated and (user.email or "").lower() == self.email.lower())


class LeadNomination(PersonalLink):
    """A researcher named someone else as the lead contact of an initiative:
    the named person confirms first (`services.leads`). Until they accept,
    the nomination grants them nothing: they are not among the initiative's
    people, and the lead role stays with whoever held it (or the researcher
    who named them). Its link opens for POPS_LEAD_NOMINATION_DAYS, only for
    the account of the person named, and once: an answered or withdrawn
    nomination opens nothing."""

    LINK_PURPOSE = "lead-nomination"

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    initiative = models.ForeignKey(
        Initiative, models.CASCADE, related_name="lead_nominations", verbose_name=_("initiative")
    )
    person = models.ForeignKey(Person, models.CASCADE, related_name="lead_nominations", verbose_name=_("person named"))
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("named by")
    )
    # What the census row said, applied to the person's participation when they accept.
    contribution = models.CharField(_("contribution"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )

    class Meta:
        verbose_name = _("lead contact nomination")
        verbose_name_plural = _("lead contact nominations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative"], condition=Q(status="pending"), name="lead_nomination_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.initiative}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def link_expires_at(self):
        return self.created_at + datetime.timedelta(days=settings.POPS_LEAD_NOMINATION_DAYS)

    def link_is_valid(self, now=None) -> bool:
        return (now or timezone.now()) < self.link_expires_at()

    @property
    def email(self) -> str:
        """Where the nomination is sent: the person's login address, else the register's."""
        user = self.person.user
        return (user.email if user is not None and user.email else self.person.email).lower()


class FormDraft(models.Model):
    """What a researcher typed in a census step but has not saved yet.

    Autosaved from the browser, kept even when it does not validate, so that
    nothing typed is lost when a session expires or the browser closes.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="form_drafts", verbose_name=_("user")
    )
    initiative = models.ForeignKey(
        Initiative, models.CASCADE, null=True, blank=True, related_name="form_drafts", verbose_name=_("initiative")
    )
    step = models.SlugField(_("step"), max_length=40)
    data = models.JSONField(_("data"), default=dict)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("unsaved form")
        verbose_name_plural = _("unsaved forms")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "initiative", "step"],
                condition=Q(initiative__isnull=False),
                name="form_draft_unique_step",
            ),
            # A new initiative has no row yet: one unsaved first step per user.
            models.UniqueConstraint(
                fields=["user", "step"], condition=Q(initiative__isnull=True), name="form_draft_unique_new_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.step}"


class OutboundEmail(models.Model):
    """The e-mail outbox: a message is stored in the same transaction as the
    change that caused it, then sent by Celery; unsent rows are retried by beat,
    so neither a Redis outage nor an SMTP error loses a notification."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.TextField(_("recipients"), help_text=_("Comma-separated addresses."))
    reply_to = models.EmailField(
        _("reply to"), blank=True, help_text=_("Where a reply goes, when not to the portal (a visitor's message).")
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.subject

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.to.split(",") if a.strip()]


# --- Site pages -----------------------------------------------------------------


AGID_IMPLEMENTATION_PROCEDURE_URL = "https://form.agid.gov.it/"


class SitePage(NormalisedTextMixin, models.Model):
    """One of the pages every Italian public-sector site links from its footer:
    the accessibility statement (AgID's model, with its own fields), the
    privacy notice and the legal notes. There is one of each kind: the
    reference data creates them (`load_reference_data`) and staff edit their
    text in the admin; nobody adds or deletes one."""

    class Kind(models.TextChoices):
        ACCESSIBILITY = "accessibility", _("Accessibility statement")
        PRIVACY = "privacy", _("Privacy notice")
        LEGAL = "legal", _("Legal notes")

    class Compliance(models.TextChoices):
        COMPLIANT = "compliant", _("compliant")
        PARTIALLY_COMPLIANT = "partially_compliant", _("partially compliant")
        NOT_COMPLIANT = "not_compliant", _("not compliant")

    class EvaluationMethod(models.TextChoices):
        SELF_ASSESSMENT = "self_assessment", _("a self-assessment carried out by the Politecnico di Torino")
        THIRD_PARTY = "third_party", _("an assessment carried out by a third party")

    # The URL name of each kind's public page.
    URL_NAMES = {Kind.ACCESSIBILITY: "accessibility", Kind.PRIVACY: "privacy", Kind.LEGAL: "legal-notes"}

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "Plain text. A blank line starts a new paragraph; a line starting with “## ” is a heading "
            "(“### ” a smaller one); lines starting with “- ” make a list. Web and e-mail addresses become links."
        ),
    )
    updated_on = models.DateField(_("last updated"), auto_now=True)

    # The accessibility statement (AgID, "Linee guida sull'accessibilità degli strumenti informatici").
    compliance_status = models.CharField(
        _("compliance status"),
        max_length=20,
        choices=Compliance.choices,
        blank=True,
        help_text=_("With the requirements of Annex A of UNI CEI EN 301549 (accessibility statement only)."),
    )
    non_accessible_content = models.TextField(
        _("non-accessible content"),
        blank=True,
        help_text=_("What is not accessible, and why (same markup as the text)."),
    )
    evaluated_on = models.DateField(_("date of the last evaluation"), null=True, blank=True)
    evaluation_method = models.CharField(
        _("evaluation method"), max_length=20, choices=EvaluationMethod.choices, blank=True
    )
    evaluation_details = models.TextField(
        _("how the evaluation was made"),
        blank=True,
        help_text=_("The tools and checks of the evaluation (same markup as the text)."),
    )
    feedback_email = models.EmailField(
        _("feedback e-mail"), blank=True, help_text=_("Where visitors report accessibility problems.")
    )
    implementation_procedure_url = models.URLField(
        _("implementation procedure"),
        blank=True,
        default=AGID_IMPLEMENTATION_PROCEDURE_URL,
        help_text=_("AgID's form, for a report that had no answer or an unsatisfactory one."),
    )

    # The history is registered in translation.py, after the `_it` and `_en` columns.

    class Meta:
        verbose_name = _("site page")
        verbose_name_plural = _("site pages")
        ordering = ["kind"]
        constraints = [
            # The statement's required parts (AgID's model) are always there.
            models.CheckConstraint(
                condition=~Q(kind="accessibility")
                | (
                    ~Q(compliance_status="")
                    & Q(evaluated_on__isnull=False)
                    & ~Q(evaluation_method="")
                    & ~Q(feedback_email="")
                ),
                name="sitepage_accessibility_statement_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(self.URL_NAMES[self.kind])

    @property
    def is_accessibility_statement(self) -> bool:
        return self.kind == self.Kind.ACCESSIBILITY

    def clean(self) -> None:
        super().clean()
        if self.is_accessibility_statement:
            required = {
                "compliance_status": self.compliance_status,
                "evaluated_on": self.evaluated_on,
                "evaluation_method": self.evaluation_method,
                "feedback_email": self.feedback_email,
            }
            errors = {name: _("The accessibility statement needs it.") for name, value in required.items() if not value}
            if errors:
                raise ValidationError(errors)


class ContactMessage(models.Model):
    """A visitor's message relayed by e-mail to a person (the lead of a
    public initiative, or someone in the directory) through the showcase's
    contact form (`services.contact`). Kept for abuse handling only, with
    a keyed hash of the sender's internet address (never the address), and
    deleted after POPS_CONTACT_RETENTION_DAYS together with its e-mail."""

    recipient = models.ForeignKey(Person, models.CASCADE, related_name="contact_messages", verbose_name=_("recipient"))
    initiative = models.ForeignKey(
        Initiative,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_messages",
        verbose_name=_("initiative"),
    )
    sender_name = models.CharField(_("sender's name"), max_length=100)
    sender_email = models.EmailField(_("sender's e-mail"))
    message = models.TextField(_("message"))
    ip_hash = models.CharField(
        _("address hash"), max_length=64, blank=True, help_text=_("A keyed hash of the sender's internet address.")
    )
    email = models.OneToOneField(
        OutboundEmail, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("e-mail")
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("visitor's message")
        verbose_name_plural = _("visitors' messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender_name} → {self.recipient}"
