"""Load the reference data in fixtures/reference/ into the database.

The YAML files are the readable, versioned source of the vocabularies and of
the Action Plan / PIAO structure extracted from the seed documents. Loading is
idempotent: rows are matched by their natural key (code, number, or code and
edition); a second run creates nothing and only rewrites labels that changed.
English labels are only written where the file gives them, so a translation
typed by staff in the admin survives a reload of an Italian-only entry.

The site pages of the footer (site_pages.yaml) are only created: once a page
exists its text is staff's, and a reload leaves it as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from django.db import models, transaction

from actionplan.models import (
    InterventionArea,
    PerformanceObjective,
    PerformanceObjectiveAssignment,
    Plan,
    StrategicObjective,
    StrategicPillar,
    Structure,
    Vision,
)
from impact.models import SDG, FieldOfAction, ProductCategory, PublicEngagementCategory
from initiatives.models import (
    Competence,
    DegreeProgramme,
    Department,
    Priority,
    Sector,
    SitePage,
    SupportKind,
    Theme,
)
from pops.vocabulary import normalise_label, synonym_list
from stakeholders.models import OrganisationType, TargetGroup

REFERENCE_DIR = Path(settings.BASE_DIR) / "fixtures" / "reference"

# file -> list key -> model; natural keys are `code` unless said otherwise.
VOCABULARIES: dict[str, dict[str, type[models.Model]]] = {
    "initiatives.yaml": {
        "departments": Department,
        "sectors": Sector,
        "themes": Theme,
        "support_kinds": SupportKind,
        "priorities": Priority,
        "degree_programmes": DegreeProgramme,
        "competences": Competence,
    },
    "stakeholders.yaml": {"organisation_types": OrganisationType, "target_groups": TargetGroup},
    "impact.yaml": {
        "sdgs": SDG,
        "fields_of_action": FieldOfAction,
        "pe_categories": PublicEngagementCategory,
        "product_categories": ProductCategory,
    },
}
ACTION_PLANS = ["action_plan_2025_2027.yaml"]
PIAO_PLANS = ["piao_performance_objectives.yaml"]
SITE_PAGES = "site_pages.yaml"

# Keys in the files that name a differently called field.
RENAMED = {"label": "name"}


class ReferenceDataError(Exception):
    """The reference files are inconsistent (unknown code, missing key...)."""


@dataclass
class Report:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def count(self, model: type[models.Model], outcome: str) -> None:
        getattr(self, outcome)[model] += 1

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    def lines(self) -> list[str]:
        models_seen = sorted(set(self.created) | set(self.updated) | set(self.unchanged), key=lambda m: m._meta.label)
        return [
            f"{model._meta.label:40} created {self.created[model]:4}  updated {self.updated[model]:4}  "
            f"unchanged {self.unchanged[model]:4}"
            for model in models_seen
        ]


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    """Turn {"name": {"it": .., "en": ..}} into {"name_it": .., "name_en": ..}."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        key = RENAMED.get(key, key)
        if isinstance(value, dict):
            for language, text in value.items():
                if text not in (None, ""):
                    flat[f"{key}_{language}"] = text
        elif isinstance(value, float):
            # YAML floats become exact decimals (3.5, not 3.5000000001).
            flat[key] = Decimal(str(value))
        else:
            flat[key] = value
    return flat


def _upsert(report: Report, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]):
    """Create the row matching `lookup`, or update the fields that differ."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**{**lookup, **values})
        instance.full_clean(validate_unique=False, validate_constraints=False)
        instance.save()
        report.count(model, "created")
        return instance
    changed = False
    for name, value in values.items():
        current = getattr(instance, name)
        if isinstance(current, Decimal) and value is not None:
            value = Decimal(str(value))
        if current != value:
            setattr(instance, name, value)
            changed = True
    if changed:
        instance.full_clean(validate_unique=False, validate_constraints=False)
        instance.save()
    report.count(model, "updated" if changed else "unchanged")
    return instance


def _read(name: str) -> dict[str, Any]:
    path = REFERENCE_DIR / name
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc


def _load_vocabularies(report: Report) -> None:
    for file_name, lists in VOCABULARIES.items():
        data = _read(file_name)
        for key, model in lists.items():
            for position, entry in enumerate(data.get(key) or []):
                entry = dict(entry)
                synonyms = entry.pop("synonyms", None) or []
                values = _flatten(entry)
                if model is SDG:
                    lookup = {"number": values.pop("number")}
                else:
                    values["position"] = position
                    lookup = {"code": values.pop("code")}
                    if "valid_from" in values:
                        lookup["valid_from"] = values.pop("valid_from")
                if model is DegreeProgramme:
                    values["department"] = _get(Department, code=values.pop("department"))
                if synonyms:
                    # The file's synonyms are added to those staff typed, never replace them.
                    current = model.objects.filter(**lookup).values_list("synonyms", flat=True).first() or ""
                    merged = synonym_list(current)
                    known = {normalise_label(name) for name in merged}
                    merged += [name for name in synonyms if normalise_label(name) not in known]
                    values["synonyms"] = "\n".join(merged)
                _upsert(report, model, lookup, values)


def _get(model: type[models.Model], **lookup):
    try:
        return model.objects.get(**lookup)
    except model.DoesNotExist as exc:
        raise ReferenceDataError(f"No {model._meta.verbose_name} with {lookup}") from exc


def _load_plan(report: Report, data: dict[str, Any]) -> Plan:
    values = _flatten(data["plan"])
    values["source"] = data.get("source", "")
    return _upsert(report, Plan, {"code": values.pop("code")}, values)


def _load_action_plan(report: Report, file_name: str) -> None:
    data = _read(file_name)
    plan = _load_plan(report, data)
    for v_position, vision_data in enumerate(data["visions"]):
        vision = _upsert(
            report,
            Vision,
            {"plan": plan, "code": vision_data["code"]},
            {**_flatten({"name": vision_data["name"]}), "position": v_position},
        )
        for a_position, area in enumerate(vision_data["areas"]):
            _upsert(
                report,
                InterventionArea,
                {"vision": vision, "code": area["code"]},
                {
                    **_flatten({"name": area["name"], "description": {"it": area["description"]}}),
                    "position": a_position,
                },
            )


def _load_piao(report: Report, file_name: str) -> None:
    data = _read(file_name)
    plan = _load_plan(report, data)
    structures = {
        s["code"]: _upsert(report, Structure, {"code": s["code"]}, {"name": s["name"]}) for s in data["structures"]
    }
    pillars: dict[str, StrategicPillar] = {}
    objectives: dict[tuple[str, str], StrategicObjective] = {}
    for p_position, pillar_data in enumerate(data["pillars"]):
        pillar = _upsert(
            report,
            StrategicPillar,
            {"plan": plan, "code": pillar_data["code"]},
            {**_flatten({"name": pillar_data["name"]}), "position": p_position},
        )
        pillars[pillar.code] = pillar
        for o_position, objective_data in enumerate(pillar_data.get("objectives") or []):
            title = _flatten({"title": objective_data["title"]})
            code = objective_data.get("code") or ""
            # Objectives without a code are known by their Italian title.
            lookup = {"pillar": pillar, "code": code} if code else {"pillar": pillar, "title_it": title["title_it"]}
            objective = _upsert(report, StrategicObjective, lookup, {**title, "code": code, "position": o_position})
            objectives[(pillar.code, code or objective.title_it)] = objective

    for position, entry in enumerate(data["performance_objectives"]):
        pillar = pillars.get(entry["pillar"])
        if pillar is None:
            raise ReferenceDataError(f"{entry['code']}: unknown pillar {entry['pillar']!r}")
        objective = None
        if entry.get("strategic_objective"):
            objective = objectives.get((pillar.code, entry["strategic_objective"]))
            if objective is None:
                raise ReferenceDataError(
                    f"{entry['code']}: unknown strategic objective {entry['strategic_objective']!r}"
                )
        levels = entry.get("levels") or {}
        values = {
            **_flatten({"title": entry["title"]}),
            "pillar": pillar,
            "strategic_objective": objective,
            "purpose": entry.get("purpose") or "",
            "responsible_structure": structures[entry["responsible_structure"]],
            "position": position,
        }
        for level in ("threshold", "target", "excellence"):
            level_data = levels.get(level) or {}
            value = level_data.get("value")
            values[f"{level}_value"] = None if value is None else Decimal(str(value))
            values[f"{level}_description"] = level_data.get("description") or ""
        performance_objective = _upsert(report, PerformanceObjective, {"plan": plan, "code": entry["code"]}, values)
        kept = []
        for assignment in entry.get("assignments") or []:
            structure = structures.get(assignment["structure"])
            if structure is None:
                raise ReferenceDataError(f"{entry['code']}: unknown structure {assignment['structure']!r}")
            kept.append(
                _upsert(
                    report,
                    PerformanceObjectiveAssignment,
                    {"objective": performance_objective, "structure": structure},
                    {"weight": assignment.get("weight")},
                ).pk
            )
        performance_objective.assignments.exclude(pk__in=kept).delete()


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def site_page_values() -> dict[str, str]:
    """What the {names} of site_pages.yaml stand for: the settings in force
    when a page is created."""
    tiles = urlsplit(settings.POPS_MAP_TILE_URL).hostname or settings.POPS_MAP_TILE_URL
    return {
        "contact_email": settings.POPS_STAFF_EMAILS[0],
        "min_group_size": str(settings.POPS_MIN_GROUP_SIZE),
        "session_idle_minutes": str(settings.POPS_SESSION_IDLE_SECONDS // 60),
        "session_max_hours": str(settings.POPS_SESSION_MAX_SECONDS // 3600),
        "coauthor_invitation_days": str(settings.POPS_COAUTHOR_INVITATION_DAYS),
        "lead_nomination_days": str(settings.POPS_LEAD_NOMINATION_DAYS),
        "campaign_link_grace_days": str(settings.POPS_CAMPAIGN_LINK_GRACE_DAYS),
        "import_file_days": str(settings.POPS_IMPORT_FILE_RETENTION_DAYS),
        "map_tiles_host": tiles.removeprefix("{s}."),
    }


def _fill(text: str, values: dict[str, str], kind: str) -> str:
    def replace(match: re.Match) -> str:
        if match.group(1) not in values:
            raise ReferenceDataError(f"{SITE_PAGES}, {kind}: unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(replace, text)


def _load_site_pages(report: Report) -> None:
    """Create the site pages that do not exist yet; leave the others alone."""
    values = site_page_values()
    existing = set(SitePage.objects.values_list("kind", flat=True))
    for entry in _read(SITE_PAGES)["site_pages"]:
        entry = dict(entry)
        kind = entry.pop("kind")
        if kind not in SitePage.Kind.values:
            raise ReferenceDataError(f"{SITE_PAGES}: unknown kind {kind!r}")
        if kind in existing:
            report.count(SitePage, "unchanged")
            continue
        fields = {
            name: _fill(value.strip(), values, kind) if isinstance(value, str) else value
            for name, value in _flatten(entry).items()
        }
        if kind == SitePage.Kind.ACCESSIBILITY:
            fields.setdefault("feedback_email", values["contact_email"])
        page = SitePage(kind=kind, **fields)
        page.full_clean()
        page.save()
        report.count(SitePage, "created")


@transaction.atomic
def load_reference_data() -> Report:
    """Load every reference file; all or nothing."""
    report = Report()
    _load_vocabularies(report)
    for file_name in ACTION_PLANS:
        _load_action_plan(report, file_name)
    for file_name in PIAO_PLANS:
        _load_piao(report, file_name)
    _load_site_pages(report)
    return report
