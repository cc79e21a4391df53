"""`manage.py seed_demo`: a deterministic, realistic demo data set.

Builds about 64 initiatives of the Politecnico's community with their people,
partner organisations, places in Piedmont, products, impacts and workflow
history, two census campaigns, some territorial demand and three accounts
(admin, curatore, ricercatrice; password "pops-demo-2026"; the two staff
accounts with an authenticator whose secret it prints). The curated
material (topics, settings, organisations, territorial demand, texts, the
plan of states and campaigns) is in fixtures/demo/*.yaml; every object is
built from it by the factories in */factories.py; every random choice is
seeded, and every date derives from fixed dates, so two runs give the same data.

Demo rows are recognised by the change reason of their first history record
("seed_demo"), so `--reset` removes them and nothing else.
"""

from __future__ import annotations

import datetime
import random
import time
from base64 import b32decode
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import factory
import factory.random
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.signals import pre_create_historical_record

from actionplan.models import InterventionArea, PerformanceObjective, StrategicObjective
from impact.factories import ImpactFactory, ProductFactory
from impact.models import SDG, FieldOfAction, Impact, Product, ProductCategory, PublicEngagementCategory
from initiatives.factories import (
    DEMO_OTP_SECRET,
    DEMO_PASSWORD,
    PIEDMONT_LOCATIONS,
    SENIOR_ROLES,
    CampaignInvitationFactory,
    CensusCampaignFactory,
    InitiativeFactory,
    ParticipationFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)
from initiatives.models import (
    CampaignInvitation,
    CensusCampaign,
    Competence,
    Department,
    Initiative,
    Participation,
    Person,
    Place,
    Priority,
    Sector,
    StateTransition,
    SupportKind,
    Theme,
)
from pops import otp
from pops.factories import aware
from pops.reference_data import load_reference_data
from stakeholders.factories import (
    OrganisationFactory,
    PartnershipFactory,
    TerritorialDemandFactory,
    organisation_email,
)
from stakeholders.models import Organisation, OrganisationType, Partnership, TargetGroup, TerritorialDemand

SEED = 2026
DEMO_MARK = "seed_demo"
DEMO_USERNAMES = ("admin", "curatore", "ricercatrice")
APPS = ("actionplan", "initiatives", "stakeholders", "impact")
CURATORS_GROUP = "POPS curators"
REPORTING_YEAR = 2025
# The demo's "now": nothing happens after this moment.
DEMO_NOW = aware(datetime.date(2026, 11, 16), 18)
State = Initiative.State

# --- The demo data: fixtures/demo/*.yaml ------------------------------------------
# Read once, when the command is loaded; the builder below combines them with
# seeded random choices. The order of every list there matters.

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"


def _read(name: str) -> dict:
    with (DEMO_DIR / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _pair(value: dict) -> tuple[str, str]:
    """An {it, en} mapping as the (it, en) pair the builder reads."""
    return (value["it"], value["en"])


@dataclass(frozen=True)
class Setting:
    """Where an initiative takes place (settings.yaml)."""

    group: str  # "quartiere" (a Turin neighbourhood), "comune", "area" or "special"
    it: str  # reads after the title's head: "... a Barriera di Milano"
    en: str
    locations: tuple[str, ...]  # keys of PIEDMONT_LOCATIONS
    scale: str = Initiative.Scale.LOCAL

    @classmethod
    def from_yaml(cls, row: dict) -> Setting:
        return cls(
            row["group"], row["it"], row["en"], tuple(row["locations"]), Initiative.Scale(row.get("scale", "local"))
        )


@dataclass(frozen=True)
class Topic:
    """A curated topic titles and texts are composed from (topics.yaml)."""

    key: str
    names: tuple[str, ...]  # project names, one per initiative
    heads: tuple[tuple[str, str], ...]  # (it, en), read before the setting
    lead_sentence: tuple[str, str]  # with {name} and {where}
    method: tuple[str, str]
    objectives: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]
    departments: tuple[str, ...]
    sectors: tuple[str, ...]
    themes: tuple[str, ...]
    sdgs: tuple[int, ...]
    support: tuple[str, ...]
    targets: tuple[str, ...]
    fields: tuple[str, ...]  # ANVUR fields of action
    pe: tuple[str, ...]  # ANVUR public-engagement categories
    areas: tuple[str, ...]  # Action Plan intervention areas
    products: tuple[tuple[str, str, str], ...]  # (category, title, description)
    impacts: tuple[tuple[str, str, str, str, int, int], ...]  # (category, indicator, unit, description, base, target)
    partners: tuple[str, ...]
    groups: tuple[str, ...] = ("quartiere", "comune", "area")
    preferred: tuple[str, ...] = ()  # settings (their `it`) used first, in order

    @classmethod
    def from_yaml(cls, row: dict) -> Topic:
        codes = ("keywords", "departments", "sectors", "themes", "sdgs", "support", "targets", "fields", "pe", "areas")
        return cls(
            key=row["key"],
            names=tuple(row["names"]),
            heads=tuple(_pair(head) for head in row["heads"]),
            lead_sentence=_pair(row["lead_sentence"]),
            method=_pair(row["method"]),
            objectives=tuple(_pair(objective) for objective in row["objectives"]),
            **{name: tuple(row[name]) for name in codes},
            products=tuple((p["category"], p["title"], p["description"]) for p in row["products"]),
            impacts=tuple(
                (i["category"], i["indicator"], i["unit"], i["description"], i["baseline"], i["target"])
                for i in row["impacts"]
            ),
            partners=tuple(row["partners"]),
            groups=tuple(row.get("groups", cls.groups)),
            preferred=tuple(row.get("preferred", ())),
        )


@dataclass(frozen=True)
class Org:
    """An organisation of Piedmont (organisations.yaml)."""

    name: str
    type: str  # OrganisationType code
    municipality: str
    kind: str  # how it usually takes part: funder, pa, health, school, third, company, informal, other
    website: str = ""
    type_other: str = ""


# Where (settings.yaml).
_settings = _read("settings.yaml")
SETTINGS = [Setting.from_yaml(row) for row in _settings["settings"]]
PRISON = Setting.from_yaml(_settings["prison"])

# What (topics.yaml). Every initiative also serves the intervention area below.
TOPICS = [Topic.from_yaml(row) for row in _read("topics.yaml")["topics"]]
SFERA_PUBBLICA = "sfera-pubblica-e-promozione-dellimpatto-sociale-dellateneo"

# The plan of the data set and the texts picked from (initiatives.yaml).
_initiatives = _read("initiatives.yaml")
# State, census campaign and time window of creation of each initiative.
STATE_PLAN = [
    (State(row["state"]), row["campaign"], row["from"], row["to"])
    for row in _initiatives["state_plan"]
    for _ in range(row["count"])
]
DESCRIPTION_CONTEXT = [_pair(row) for row in _initiatives["description_context"]]
NEEDS = _initiatives["needs"]
WISHES = _initiatives["wishes"]
EVALUATION_NOTES = _initiatives["evaluation_notes"]
MEMBER_CONTRIBUTIONS = {Person.Role(role): texts for role, texts in _initiatives["member_contributions"].items()}
LEAD_CONTRIBUTION = _initiatives["lead_contribution"]
DEPARTMENT_COMPETENCES = _initiatives["department_competences"]

# Who (organisations.yaml).
_organisations = _read("organisations.yaml")
ORGANISATIONS = [Org(**row) for row in _organisations["organisations"]]
# The local public partner of a place, and the funder of its province.
LOCAL_PA = _organisations["local_pa"]
PROVINCE_FUNDERS = _organisations["province_funders"]
DEFAULT_FUNDERS = _organisations["default_funders"]
ROLE_BY_KIND = {
    kind: {Partnership.Role(role): weight for role, weight in weights.items()}
    for kind, weights in _organisations["role_by_kind"].items()
}

# Territorial demand (demands.yaml).
DEMANDS = [{**row, "status": TerritorialDemand.Status(row["status"])} for row in _read("demands.yaml")["demands"]]


class Command(BaseCommand):
    help = (
        "Create a deterministic, realistic demo data set (about 64 initiatives, 150 people, 70 organisations, "
        "2 census campaigns) and the accounts admin, curatore and ricercatrice (password pops-demo-2026)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo initiatives, people, organisations, campaigns and accounts, then create them again.",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            # Demo accounts with a published password have no place there.
            raise CommandError(
                gettext(
                    "seed_demo creates demo accounts with a known password: it does not run with POPS_ENV=production."
                )
            )
        started = time.monotonic()
        with transaction.atomic():
            if options["reset"]:
                removed = delete_demo_data()
                self.stdout.write(f"Removed the previous demo data ({removed} initiatives).")
            elif demo_data_exists():
                self.stdout.write(
                    'Demo data already present (user "admin" or demo initiatives exist): nothing to do. '
                    "Use --reset to recreate it."
                )
                return
            if not Department.objects.exists() or not SDG.objects.exists() or not Sector.objects.exists():
                self.stdout.write("Reference data missing: loading fixtures/reference first.")
                load_reference_data()
            pre_create_historical_record.connect(_mark_as_demo, dispatch_uid="seed_demo_mark")
            try:
                summary = DemoBuilder().build()
            finally:
                pre_create_historical_record.disconnect(dispatch_uid="seed_demo_mark")
        elapsed = time.monotonic() - started
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s."))


def _mark_as_demo(sender, history_instance, **kwargs):
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = DEMO_MARK


HISTORIZED = (Initiative, Participation, Place, Person, CensusCampaign, Organisation, Partnership, TerritorialDemand)


def _demo_ids(model) -> set[int]:
    return set(model.history.filter(history_type="+", history_change_reason=DEMO_MARK).values_list("id", flat=True))


def demo_data_exists() -> bool:
    return (
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).exists()
        or Initiative.objects.filter(pk__in=_demo_ids(Initiative)).exists()
    )


def delete_demo_data() -> int:
    """Delete what an earlier run created (and its history), nothing else."""
    ids = {model: _demo_ids(model) for model in (*HISTORIZED, Product, Impact)}
    TerritorialDemand.objects.filter(pk__in=ids[TerritorialDemand]).delete()
    initiatives = Initiative.objects.filter(pk__in=ids[Initiative])
    removed = initiatives.count()
    initiatives.delete()
    CensusCampaign.objects.filter(pk__in=ids[CensusCampaign]).delete()
    # People and organisations still taking part in someone else's initiatives stay.
    Person.objects.filter(pk__in=ids[Person], participations__isnull=True).delete()
    Organisation.objects.filter(pk__in=ids[Organisation], partnerships__isnull=True).delete()
    get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()
    for model, model_ids in ids.items():
        gone = model_ids - set(model.objects.filter(pk__in=model_ids).values_list("pk", flat=True))
        model.history.filter(id__in=gone).delete()
    return removed


# --- The builder -----------------------------------------------------------------------------


def _codes(model, codes, queryset=None) -> list:
    """Rows of `model` with the given codes, in the given order (unknown codes skipped)."""
    rows = {row.code: row for row in (queryset if queryset is not None else model.objects.all())}
    return [rows[code] for code in codes if code in rows]


class DemoBuilder:
    def __init__(self):
        factory.random.reseed_random(SEED)
        random.seed(SEED)
        self.rng = factory.random.randgen
        for factory_class in (
            UserFactory,
            PersonFactory,
            InitiativeFactory,
            ParticipationFactory,
            PlaceFactory,
            OrganisationFactory,
            PartnershipFactory,
            ProductFactory,
            ImpactFactory,
            CensusCampaignFactory,
            CampaignInvitationFactory,
            TerritorialDemandFactory,
        ):
            factory_class.reset_sequence()

        self.departments = list(Department.objects.filter(is_active=True).order_by("position", "code"))
        self.department_by_code = {d.code: d for d in self.departments}
        self.sectors = list(Sector.objects.filter(is_active=True).order_by("position", "code"))
        self.themes = list(Theme.objects.filter(is_active=True).order_by("position", "code"))
        self.support_kinds = list(SupportKind.objects.filter(is_active=True).order_by("position", "code"))
        self.target_groups = list(TargetGroup.objects.filter(is_active=True).order_by("position", "code"))
        self.priorities = list(Priority.objects.filter(is_active=True).order_by("position", "code"))
        self.competences = {c.code: c for c in Competence.objects.filter(is_active=True).order_by("position")}
        self.sdgs = {s.number: s for s in SDG.objects.order_by("number")}
        self.fields = list(FieldOfAction.objects.for_year(REPORTING_YEAR).filter(is_active=True).order_by("code"))
        self.pe = list(
            PublicEngagementCategory.objects.for_year(REPORTING_YEAR).filter(is_active=True).order_by("code")
        )
        self.areas = list(
            InterventionArea.objects.filter(
                vision__plan__kind="action_plan",
                vision__plan__start_year__lte=REPORTING_YEAR,
                vision__plan__end_year__gte=REPORTING_YEAR,
            ).order_by("vision__position", "position")
        )
        self.product_categories = {c.code: c for c in ProductCategory.objects.filter(is_active=True)}
        self.org_types = {t.code: t for t in OrganisationType.objects.all()}
        self.strategic_objectives = list(
            StrategicObjective.objects.filter(Q(code__startswith="RS.") | Q(code__in=["P.3", "F.2"])).order_by(
                "pillar__position", "position"
            )
        ) or list(StrategicObjective.objects.order_by("pk")[:5])
        self.performance_objectives = list(
            PerformanceObjective.objects.filter(pillar__code="responsabilita-sociale").order_by("position")
        ) or list(PerformanceObjective.objects.order_by("pk")[:5])

    # -- accounts ---------------------------------------------------------------------------

    def build_accounts(self):
        self.admin = UserFactory(
            username="admin", email="admin@example.org", first_name="Amministrazione", last_name="POPS", superuser=True
        )
        self.curator = UserFactory(
            username="curatore",
            email="curatore.pops@polito.it",
            first_name="Marco",
            last_name="Gastaldi",
            staff=True,
        )
        group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=APPS))
        self.curator.groups.add(group)
        # Staff sign in to the admin with a second factor (pops/otp.py): the
        # demo's is a published secret, printed with the accounts.
        for user in (self.admin, self.curator):
            TOTPDevice.objects.create(
                user=user, name=otp.DEVICE_NAME, key=b32decode(DEMO_OTP_SECRET).hex(), confirmed=True
            )
        self.researcher_user = UserFactory(
            username="ricercatrice", email="giulia.ferrero@polito.it", first_name="Giulia", last_name="Ferrero"
        )

    # -- people -----------------------------------------------------------------------------

    def person_competences(self, department) -> list:
        codes = DEPARTMENT_COMPETENCES.get(department.code if department else "", [])
        pool = [self.competences[c] for c in codes if c in self.competences] or list(self.competences.values())
        chosen = self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3)))
        if self.rng.random() < 0.3:
            extra = self.rng.choice(list(self.competences.values()))
            if extra not in chosen:
                chosen.append(extra)
        return chosen

    def build_people(self, total: int = 150):
        dad = self.department_by_code.get("DAD", self.departments[0])
        self.researcher = PersonFactory(
            first_name="Giulia",
            last_name="Ferrero",
            gender=Person.Gender.FEMALE,
            email="giulia.ferrero@polito.it",
            slug="giulia-ferrero",
            role=Person.Role.ASSOCIATE_PROFESSOR,
            department=dad,
            user=self.researcher_user,
            public_profile=True,
            bio=(
                "Professoressa associata di Tecnologia dell'architettura al Dipartimento di Architettura e Design. "
                "Si occupa di abitare accessibile, progettazione partecipata e rigenerazione dei quartieri "
                "di edilizia pubblica."
            ),
            competences=[
                self.competences[c]
                for c in ("progettazione-partecipata", "accessibilita-design-for-all", "rigenerazione-urbana")
                if c in self.competences
            ],
        )
        people = [self.researcher]
        order = list(self.departments)
        self.rng.shuffle(order)
        for n in range(total - 1):
            department = order[n % len(order)]
            people.append(PersonFactory(department=department, competences=self.person_competences(department)))
        self.people = people
        self.by_department = defaultdict(list)
        for person in people:
            self.by_department[person.department.code if person.department else ""].append(person)

    # -- organisations ----------------------------------------------------------------------

    def build_organisations(self):
        self.orgs = {}
        self.org_kind = {}
        for spec in ORGANISATIONS:
            org_type = self.org_types.get(spec.type) or next(iter(self.org_types.values()))
            self.orgs[spec.name] = OrganisationFactory(
                name=spec.name,
                slug=slugify(spec.name)[:200],
                type=org_type,
                type_other=spec.type_other,
                municipality=spec.municipality,
                website=spec.website,
            )
            self.org_kind[spec.name] = spec.kind

    # -- campaigns --------------------------------------------------------------------------

    def build_campaigns(self):
        self.campaigns = {
            "2025": CensusCampaignFactory(
                year=2025,
                name_it="Censimento 2025",
                name_en="2025 census",
                slug="censimento-2025",
                description_it=(
                    "Prima rilevazione annuale delle iniziative a impatto sociale di docenti, ricercatori, personale "
                    "e studenti del Politecnico di Torino."
                ),
                description_en=(
                    "First yearly census of the social-impact initiatives of the Politecnico di Torino's staff, "
                    "researchers and students."
                ),
                opens_on=datetime.date(2025, 4, 7),
                closes_on=datetime.date(2025, 7, 11),
                target_departments=self.departments,
            ),
            "2026": CensusCampaignFactory(
                year=2026,
                name_it="Censimento 2026",
                name_en="2026 census",
                slug="censimento-2026",
                description_it=("Aggiornamento annuale: nuove iniziative e risultati raggiunti da quelle già censite."),
                description_en="Yearly update: new initiatives and the results of those already in the census.",
                opens_on=datetime.date(2026, 10, 5),
                closes_on=datetime.date(2026, 12, 18),
                target_departments=self.departments,
            ),
        }

    # -- initiatives: plan ------------------------------------------------------------------

    def plan_initiatives(self) -> list[dict]:
        rng = self.rng
        states = list(STATE_PLAN)
        # Topics: each used three or four times, in a shuffled order.
        topic_slots = []
        for round_ in range(4):
            batch = [t for t in TOPICS if round_ < len(t.names)]
            rng.shuffle(batch)
            topic_slots.extend(batch)
        topic_slots = topic_slots[: len(states)]
        rng.shuffle(states)
        english_flags = [True] * (len(states) // 2) + [False] * (len(states) - len(states) // 2)
        rng.shuffle(english_flags)

        setting_use = Counter()
        used_by_topic = defaultdict(set)
        name_index = Counter()
        lead_count = Counter()
        plans = []
        for index, (topic, (state, campaign, first, last)) in enumerate(zip(topic_slots, states, strict=True)):
            name = topic.names[name_index[topic.key]]
            name_index[topic.key] += 1
            setting = self.choose_setting(topic, setting_use, used_by_topic[topic.key])
            head_it, head_en = topic.heads[(name_index[topic.key] - 1) % len(topic.heads)]
            review_rounds = 0
            if state in (State.PUBLISHED, State.ARCHIVED, State.SUBMITTED):
                review_rounds = rng.choices([0, 1, 2], weights=[65, 30, 5])[0]
                if campaign == "2026":
                    review_rounds = min(review_rounds, 1 if state == State.SUBMITTED else 0)
            plans.append(
                {
                    "index": index,
                    "topic": topic,
                    "name": name,
                    "setting": setting,
                    "head": (head_it, head_en),
                    "state": state,
                    "campaign": campaign,
                    "window": (first, last),
                    "review_rounds": review_rounds,
                    "english": english_flags[index],
                    "scale": setting.scale,
                }
            )
        self.assign_researcher(plans)
        for plan in plans:
            self.plan_people(plan, lead_count)
            self.plan_classification(plan)
            self.plan_partners(plan)
        self.cover(plans)
        return plans

    def plan_partners(self, plan):
        """One to four organisations: the local public body, partners typical
        of the topic and, often, the foundation of the province."""
        rng = self.rng
        location = PIEDMONT_LOCATIONS[plan["setting"].locations[0]]
        names = []
        local = LOCAL_PA.get(location.area or location.municipality)
        if local and rng.random() < 0.7:
            names.append(local)
        names.extend(rng.sample(plan["topic"].partners, rng.randint(1, 2)))
        if rng.random() < 0.5:
            names.append(rng.choice(PROVINCE_FUNDERS.get(location.province, DEFAULT_FUNDERS)))
        chosen = []
        for name in names:
            if name in self.orgs and name not in chosen:
                chosen.append(name)
        plan["organisations"] = chosen[:4]

    def choose_setting(self, topic, setting_use, used):
        if "special" in topic.groups:
            return PRISON
        for phrase in topic.preferred:
            if phrase not in used:
                setting = next(s for s in SETTINGS if s.it == phrase)
                setting_use[setting.it] += 1
                used.add(setting.it)
                return setting
        group = self.rng.choices(["quartiere", "comune", "area"], weights=[45, 35, 20])[0]
        if group not in topic.groups:
            group = topic.groups[0] if group == "area" else self.rng.choice(topic.groups)
        candidates = [s for s in SETTINGS if s.group == group and s.it not in used]
        least = min(setting_use[s.it] for s in candidates)
        setting = self.rng.choice([s for s in candidates if setting_use[s.it] == least])
        setting_use[setting.it] += 1
        used.add(setting.it)
        return setting

    def assign_researcher(self, plans):
        """The demo researcher leads five initiatives close to her work, in
        every state a researcher meets: two published, one submitted, one
        draft and one with changes requested."""
        wanted = [State.PUBLISHED, State.PUBLISHED, State.DRAFT, State.CHANGES_REQUESTED, State.SUBMITTED]
        close = {"abitare", "rigenerazione", "patrimonio", "mappatura", "mobilita", "clima"}
        for state in wanted:
            candidates = [
                p for p in plans if p["state"] == state and not p.get("researcher") and p["topic"].key in close
            ] or [p for p in plans if p["state"] == state and not p.get("researcher")]
            if state == State.PUBLISHED:
                candidates = [p for p in candidates if p["campaign"] == "2025"] or candidates
            candidates[0]["researcher"] = True

    def plan_people(self, plan, lead_count):
        rng = self.rng
        topic = plan["topic"]
        if plan.get("researcher"):
            lead = self.researcher
        else:
            seniors = [
                p
                for code in topic.departments
                for p in self.by_department.get(code, [])
                if p.role in SENIOR_ROLES and p is not self.researcher
            ] or [p for p in self.people if p.role in SENIOR_ROLES]
            fewest = min(lead_count[p.pk] for p in seniors)
            lead = rng.choice([p for p in seniors if lead_count[p.pk] == fewest])
        lead_count[lead.pk] += 1
        members = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.65:
                pool = self.by_department.get(rng.choice(topic.departments), []) or self.people
            else:
                pool = self.people
            candidate = rng.choice(pool)
            if candidate is not lead and candidate not in members:
                members.append(candidate)
        if not members:
            members.append(next(p for p in self.people if p is not lead))
        plan["lead"] = lead
        plan["members"] = members

    def plan_classification(self, plan):
        rng = self.rng
        topic = plan["topic"]

        def some(rows, low=1, high=None):
            high = min(high or len(rows), len(rows))
            return rows[: rng.randint(min(low, high), high)] if rows else []

        plan["sectors"] = some(_codes(Sector, topic.sectors, self.sectors))
        plan["themes"] = some(_codes(Theme, topic.themes, self.themes))
        plan["support_kinds"] = some(_codes(SupportKind, topic.support, self.support_kinds))
        plan["target_groups"] = some(_codes(TargetGroup, topic.targets, self.target_groups))
        plan["sdgs"] = some([self.sdgs[n] for n in topic.sdgs if n in self.sdgs], 1, 3)
        plan["fields_of_action"] = some(_codes(FieldOfAction, topic.fields, self.fields), 1, 2)
        plan["pe_categories"] = some(_codes(PublicEngagementCategory, topic.pe, self.pe), 1, 2)
        area_codes = list(topic.areas) + [SFERA_PUBBLICA]
        plan["intervention_areas"] = some(_codes(InterventionArea, area_codes, self.areas), 1, 2)
        plan["priorities"] = rng.sample(self.priorities, rng.randint(1, 2)) if rng.random() < 0.6 else []
        published = plan["state"] in (State.PUBLISHED, State.ARCHIVED)
        plan["strategic_objectives"] = (
            [rng.choice(self.strategic_objectives)]
            if published and self.strategic_objectives and rng.random() < 0.4
            else []
        )
        plan["performance_objectives"] = (
            [rng.choice(self.performance_objectives)]
            if published and self.performance_objectives and rng.random() < 0.25
            else []
        )
        departments = []
        for person in [plan["lead"], *plan["members"]]:
            if person.department is not None and person.department not in departments:
                departments.append(person.department)
        plan["departments"] = departments

    def cover(self, plans):
        """Make sure the published initiatives use every entry of every vocabulary."""
        public = [p for p in plans if p["state"] == State.PUBLISHED]
        vocabularies = {
            "sectors": self.sectors,
            "themes": self.themes,
            "support_kinds": self.support_kinds,
            "target_groups": self.target_groups,
            "sdgs": list(self.sdgs.values()),
            "fields_of_action": self.fields,
            "pe_categories": self.pe,
            "intervention_areas": self.areas,
            "priorities": self.priorities,
        }
        for key, entries in vocabularies.items():
            used = {row.pk for p in public for row in p[key]}
            for entry in entries:
                if entry.pk in used:
                    continue
                target = min(public, key=lambda p: (len(p[key]), p["index"]))
                target[key].append(entry)
        for department in self.departments:
            if any(department in p["departments"] for p in public):
                continue
            target = min(public, key=lambda p: (len(p["members"]), p["index"]))
            person = next(
                (
                    p
                    for p in self.by_department[department.code]
                    if p is not target["lead"] and p not in target["members"]
                ),
                None,
            )
            if person is not None:
                target["members"].append(person)
            target["departments"].append(department)
        for name, spec in zip(self.orgs, ORGANISATIONS, strict=True):
            if any(name in p["organisations"] for p in plans):
                continue
            open_plans = [p for p in public if len(p["organisations"]) < 4] or public
            nearby = [p for p in open_plans if spec.municipality in self.plan_municipalities(p)]
            target = min(nearby or open_plans, key=lambda p: (len(p["organisations"]), p["index"]))
            target["organisations"].append(name)
        for scale in Initiative.Scale.values:
            if not any(p["scale"] == scale for p in public):
                target = next(p for p in public if p["setting"].group != "quartiere")
                target["scale"] = scale

    @staticmethod
    def plan_municipalities(plan) -> set[str]:
        return {PIEDMONT_LOCATIONS[key].municipality for key in plan["setting"].locations}

    # -- initiatives: build -----------------------------------------------------------------

    def texts(self, plan) -> dict:
        topic, setting, name = plan["topic"], plan["setting"], plan["name"]
        head_it, head_en = plan["head"]
        lead_it = topic.lead_sentence[0].format(name=name, where=setting.it)
        lead_en = topic.lead_sentence[1].format(name=name, where=setting.en)
        context_it, context_en = self.rng.choice(DESCRIPTION_CONTEXT)
        objectives = self.rng.sample(topic.objectives, min(3, len(topic.objectives)))
        area = PIEDMONT_LOCATIONS[setting.locations[0]]
        keywords = self.rng.sample(topic.keywords, 4)
        if setting.group in ("quartiere", "comune"):
            keywords.append(area.area or area.municipality)
        texts = {
            "title_it": f"{name} – {head_it} {setting.it}",
            "summary_it": f"{lead_it} {topic.method[0]}",
            "description_it": f"{lead_it}\n\n{topic.method[0]}\n\n{context_it}",
            "objectives_it": "\n".join(f"- {it}" for it, _ in objectives),
            "keywords": ", ".join(keywords[:5]),
            "title_en": None,
            "summary_en": None,
            "description_en": None,
            "objectives_en": None,
        }
        if plan["english"]:
            texts.update(
                {
                    "title_en": f"{name} – {head_en} {setting.en}",
                    "summary_en": f"{lead_en} {topic.method[1]}",
                    "description_en": f"{lead_en}\n\n{topic.method[1]}\n\n{context_en}",
                    "objectives_en": "\n".join(f"- {en}" for _, en in objectives),
                }
            )
        return texts

    def dates(self, plan):
        rng = self.rng
        first, last = plan["window"]
        day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
        created_at = aware(day, rng.randint(8, 18), rng.randint(0, 59))
        if plan["state"] == State.ARCHIVED:
            start = datetime.date(2019, 3, 1) + datetime.timedelta(days=rng.randint(0, 800))
            end = start + datetime.timedelta(days=rng.randint(365, 700))
        elif plan["campaign"] == "2026" and plan["state"] != State.PUBLISHED:
            start = day + datetime.timedelta(days=rng.randint(-400, 90))
            end = None if rng.random() < 0.5 else start + datetime.timedelta(days=rng.randint(365, 1095))
        else:
            start = day - datetime.timedelta(days=rng.randint(30, 900))
            end = None if rng.random() < 0.45 else start + datetime.timedelta(days=rng.randint(240, 1200))
        return created_at, start, end

    def figures(self, plan) -> dict:
        rng = self.rng
        values = {"budget": None, "external_funding": None}
        if rng.random() < 0.8:
            budget = Decimal(rng.randint(6, 400) * 500)
            values["budget"] = budget
            if rng.random() < 0.7:
                values["external_funding"] = (budget * Decimal(rng.randint(20, 100)) / 100).quantize(Decimal("1"))
        reached = plan["state"] in (State.PUBLISHED, State.ARCHIVED)
        values["participants"] = rng.randint(30, 2500) if reached else None
        values["web_accesses"] = rng.randint(500, 40000) if reached and rng.random() < 0.6 else None
        values["publication_copies"] = rng.randint(200, 3000) if reached and rng.random() < 0.2 else None
        values["media_audience"] = rng.randint(5000, 150000) if reached and rng.random() < 0.1 else None
        evaluated = reached and rng.random() < 0.35
        values["impact_evaluated"] = evaluated
        values["impact_evaluation_notes"] = rng.choice(EVALUATION_NOTES) if evaluated else ""
        values["needs"] = rng.choice(NEEDS) if rng.random() < 0.4 else ""
        values["wishes"] = rng.choice(WISHES) if rng.random() < 0.4 else ""
        values["website"] = f"https://{slugify(plan['name'])}.example.org" if reached and rng.random() < 0.3 else ""
        return values

    def build_initiative(self, plan) -> Initiative:
        created_at, start, end = self.dates(plan)
        extra = {}
        if any(s.is_other for s in plan["sectors"]):
            extra["sector_other"] = "Cultura e tempo libero"
        if any(s.is_other for s in plan["support_kinds"]):
            extra["support_other"] = "Comunicazione pubblica dei risultati"
        initiative = InitiativeFactory(
            **self.texts(plan),
            **self.figures(plan),
            **extra,
            scale=plan["scale"],
            state=plan["state"],
            review_rounds=plan["review_rounds"],
            created_at=created_at,
            start_date=start,
            end_date=end,
            campaign=self.campaigns[plan["campaign"]] if plan["campaign"] else None,
            created_by=self.researcher_user if plan.get("researcher") else None,
            lead=False,
            **{name: plan[name] for name in Initiative.CLASSIFICATIONS},
            transitions__reviewer=self.curator,
        )
        ParticipationFactory(
            initiative=initiative,
            person=plan["lead"],
            role=Participation.Role.LEAD,
            can_edit=True,
            position=0,
            contribution=LEAD_CONTRIBUTION,
        )
        for position, person in enumerate(plan["members"], start=1):
            ParticipationFactory(
                initiative=initiative,
                person=person,
                role=Participation.Role.MEMBER,
                can_edit=self.rng.random() < 0.3,
                position=position,
                contribution=self.rng.choice(MEMBER_CONTRIBUTIONS[person.role]),
            )
        self.build_places(initiative, plan)
        self.build_partners(initiative, plan)
        self.build_outputs(initiative, plan)
        return initiative

    def build_places(self, initiative, plan):
        setting = plan["setting"]
        keys = list(setting.locations)
        if setting.group in ("quartiere", "comune", "special") and self.rng.random() < 0.3:
            extra = (
                "Torino"
                if setting.group == "comune"
                else self.rng.choice([k for k, loc in PIEDMONT_LOCATIONS.items() if loc.area and k not in keys])
            )
            keys.append(extra)
        for key in keys[:3]:
            PlaceFactory(initiative=initiative, location=PIEDMONT_LOCATIONS[key])

    def build_partners(self, initiative, plan):
        for position, name in enumerate(plan["organisations"]):
            weights = ROLE_BY_KIND[self.org_kind[name]]
            role = self.rng.choices(list(weights), weights=list(weights.values()))[0]
            PartnershipFactory(initiative=initiative, organisation=self.orgs[name], role=role, position=position)

    def build_outputs(self, initiative, plan):
        rng = self.rng
        topic = plan["topic"]
        place = PIEDMONT_LOCATIONS[plan["setting"].locations[0]]
        where = place.area or place.municipality
        reached = plan["state"] in (State.PUBLISHED, State.ARCHIVED)
        first_year = initiative.start_date.year if initiative.start_date else 2025
        last_year = max(first_year, min(initiative.created_at.year, 2026))
        for position, (code, title, description) in enumerate(
            rng.sample(topic.products, rng.randint(1, min(3, len(topic.products))))
        ):
            category = self.product_categories.get(code) or next(iter(self.product_categories.values()))
            url = ""
            if code == "dati-report-open-access" and reached:
                url = f"https://dati.example.org/{slugify(plan['name'])}"
            ProductFactory(
                initiative=initiative,
                category=category,
                title=f"{title} ({where})" if plan["setting"].group in ("quartiere", "comune") else title,
                description=description,
                url=url,
                year=rng.randint(first_year, last_year) if reached else None,
                position=position,
            )
        specs = rng.sample(topic.impacts, rng.randint(1, min(3, len(topic.impacts))))
        today = min(DEMO_NOW.date(), initiative.published_at.date() if initiative.published_at else DEMO_NOW.date())
        for position, (category, indicator, unit, description, baseline, target) in enumerate(specs):
            scale = rng.choice([1, 1, 2]) if target > baseline else 1
            values = {
                "initiative": initiative,
                "category": category,
                "indicator": indicator,
                "unit": unit,
                "description": description,
                "baseline": Decimal(baseline),
                "target": Decimal(target * scale if target > baseline else target),
                "position": position,
            }
            if reached and (position == 0 or rng.random() < 0.5):
                start = initiative.start_date or today - datetime.timedelta(days=365)
                measured = start + datetime.timedelta(days=rng.randint(90, 720))
                ImpactFactory(
                    **values,
                    achieved=True,
                    measured_on=min(measured, today),
                    evidence_url=(
                        f"https://dati.example.org/{slugify(plan['name'])}/impatto" if rng.random() < 0.3 else ""
                    ),
                )
            else:
                ImpactFactory(**values)

    # -- census invitations -----------------------------------------------------------------

    def build_invitations(self, initiatives):
        rng = self.rng
        answered = {"2025": set(), "2026": set()}
        for initiative in initiatives:
            campaign = initiative.campaign
            if campaign is None or initiative.state == State.DRAFT:
                continue
            key = str(campaign.year)
            answered[key].update(p.person_id for p in initiative.participations.all() if p.role == "lead")
        rows = []
        for key, campaign in self.campaigns.items():
            invited_at = aware(campaign.opens_on, 9)
            last_day = min(campaign.closes_on, DEMO_NOW.date())
            for person in self.people:
                if person.role == Person.Role.STUDENT:
                    continue
                responded = person.pk in answered[key] or rng.random() < (0.3 if key == "2025" else 0.15)
                opened = responded or rng.random() < 0.5
                opened_at = responded_at = None
                if opened:
                    opened_at = invited_at + datetime.timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 8))
                if responded:
                    responded_at = opened_at + datetime.timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 5))
                reminders = 0 if responded else min(3, ((last_day - campaign.opens_on).days) // 7)
                ceiling = aware(last_day, 18)
                rows.append(
                    CampaignInvitationFactory.build(
                        campaign=campaign,
                        person=person,
                        invited_at=invited_at,
                        opened_at=min(opened_at, ceiling) if opened_at else None,
                        responded_at=min(responded_at, ceiling) if responded_at else None,
                        reminders_sent=reminders,
                        last_reminded_at=(
                            invited_at + datetime.timedelta(days=campaign.reminder_every_days * reminders)
                            if reminders
                            else None
                        ),
                    )
                )
        CampaignInvitation.objects.bulk_create(rows)
        return len(rows)

    # -- territorial demand -----------------------------------------------------------------

    def build_demands(self, plans, initiatives):
        by_topic = defaultdict(list)
        for plan, initiative in zip(plans, initiatives, strict=True):
            if initiative.state == State.PUBLISHED:
                by_topic[plan["topic"].key].append((plan, initiative))
        count = 0
        for spec in DEMANDS:
            org = self.orgs.get(spec["organisation"])
            if org is None:
                continue
            responding = []
            if spec["topic"] and spec["status"] in (TerritorialDemand.Status.IN_PROGRESS, TerritorialDemand.Status.MET):
                # Initiatives of the topic, nearest first (same neighbourhood, then same town).
                candidates = sorted(
                    by_topic.get(spec["topic"], []),
                    key=lambda pair: (
                        spec.get("area", "") not in pair[0]["setting"].locations,
                        spec["municipality"] not in self.plan_municipalities(pair[0]),
                        pair[0]["index"],
                    ),
                )
                responding = [initiative for _, initiative in candidates[:2]]
            TerritorialDemandFactory(
                organisation=org,
                title_it=spec["title_it"],
                title_en=spec.get("title_en"),
                description_it=spec["description_it"],
                municipality=spec["municipality"],
                contact_email=organisation_email("territorio", spec["organisation"]),
                posted_on=spec["posted_on"],
                status=spec["status"],
                sectors=_codes(Sector, spec["sectors"], self.sectors),
                target_groups=_codes(TargetGroup, spec["targets"], self.target_groups),
                competences=[self.competences[c] for c in spec["competences"] if c in self.competences],
                initiatives=responding,
            )
            count += 1
        return count

    # -- all together -----------------------------------------------------------------------

    def build(self) -> list[str]:
        self.build_accounts()
        self.build_people()
        self.build_organisations()
        self.build_campaigns()
        plans = self.plan_initiatives()
        initiatives = [self.build_initiative(plan) for plan in plans]
        # Visitors may write to the lead of every initiative (services.contact):
        # in the demo the leads agreed; other people have not.
        leads = Person.objects.filter(pk__in=[p.pk for p in self.people], participations__role=Participation.Role.LEAD)
        leads.update(accepts_messages=True)
        invitations = self.build_invitations(initiatives)
        demands = self.build_demands(plans, initiatives)
        return self.summary(initiatives, invitations, demands)

    def summary(self, initiatives, invitations, demands) -> list[str]:
        ids = [i.pk for i in initiatives]
        states = Counter(i.state for i in initiatives)
        people_ids = [p.pk for p in self.people]
        lines = [
            "Demo data:",
            f"  initiatives      {len(initiatives):4}  ("
            + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
            + f"; {sum(1 for i in initiatives if i.title_en)} also in English)",
            f"  people           {len(self.people):4}  "
            f"({Person.objects.filter(pk__in=people_ids, public_profile=True).count()} in the public directory, "
            f"{Person.objects.filter(pk__in=people_ids, accepts_messages=True).count()} accept messages)",
            f"  participations   {Participation.objects.filter(initiative_id__in=ids).count():4}",
            f"  organisations    {len(self.orgs):4}  "
            f"({Partnership.objects.filter(initiative_id__in=ids).count()} partnerships)",
            f"  places           {Place.objects.filter(initiative_id__in=ids).count():4}",
            f"  products         {Product.objects.filter(initiative_id__in=ids).count():4}",
            f"  impacts          {Impact.objects.filter(initiative_id__in=ids).count():4}",
            f"  state changes    {StateTransition.objects.filter(initiative_id__in=ids).count():4}",
            f"  census campaigns {len(self.campaigns):4}  ({invitations} invitations)",
            f"  territorial demands {demands:2}",
            "Accounts (password " + DEMO_PASSWORD + "):",
            "  admin         superuser",
            '  curatore      staff, group "' + CURATORS_GROUP + '"',
            f"  ricercatrice  researcher {self.researcher.full_name}, "
            f"lead of {Participation.objects.filter(person=self.researcher, role='lead').count()} initiatives",
            "Second factor of admin and curatore in the admin (an authenticator app's code after the password):",
            f"  secret        {DEMO_OTP_SECRET}",
            f"  otpauth URI   {TOTPDevice.objects.get(user=self.curator).config_url}",
            "  `make otp-code` (manage.py demo_otp_code) prints the current code.",
        ]
        return lines
