"""The showcase search measured against the relevance set (relevance.yaml):
recall@10 and MRR, per kind of query and overall, on the demo data.

Recall@10 of a query is the share of its expected initiatives in the first
ten results (out of ten when more are expected: a page cannot hold more);
its reciprocal rank is one over the position of the first expected result
among the first ten (0 when none is there). Each figure is averaged over the
queries of a kind. `tests/search/test_relevance.py` holds them to thresholds;
`python -m tests.bench.relevance` (part of `make bench`) prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.core.cache import cache
from django.utils import translation

# Imported before any connection opens: the search sets pg_trgm's threshold
# on each new connection (`search._set_word_similarity_threshold`).
from initiatives.models import Initiative
from initiatives.showcase.filters import InitiativeFilter

RELEVANCE_SET = Path(__file__).with_name("relevance.yaml")
CUTOFF = 10


@dataclass(frozen=True)
class Outcome:
    query: str
    kind: str
    expected: frozenset[str]
    found: tuple[str, ...]

    @property
    def recall(self) -> float:
        top = set(self.found[:CUTOFF])
        return len(top & self.expected) / min(len(self.expected), CUTOFF)

    @property
    def reciprocal_rank(self) -> float:
        for position, slug in enumerate(self.found[:CUTOFF], start=1):
            if slug in self.expected:
                return 1 / position
        return 0.0


def queries() -> list[dict]:
    return yaml.safe_load(RELEVANCE_SET.read_text(encoding="utf-8"))["queries"]


def search(query: str, language: str = "it") -> tuple[str, ...]:
    """The slugs of the public initiatives in the order the list page shows
    them for the search `query` (sorted by relevance)."""
    with translation.override(language):
        filterset = InitiativeFilter({"q": query}, queryset=Initiative.objects.public())
        return tuple(filterset.qs.values_list("slug", flat=True))


def measure() -> list[Outcome]:
    cache.clear()
    return [
        Outcome(
            query=entry["query"],
            kind=entry["kind"],
            expected=frozenset(entry["expected"]),
            found=search(entry["query"], "en" if entry["kind"] == "english" else "it"),
        )
        for entry in queries()
    ]


def summary(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per kind of query, and "all": the number of queries, mean recall@10 and MRR."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.kind, []).append(outcome)
    groups["all"] = outcomes
    return {
        kind: {
            "queries": len(group),
            "recall@10": sum(o.recall for o in group) / len(group),
            "mrr": sum(o.reciprocal_rank for o in group) / len(group),
        }
        for kind, group in groups.items()
    }


def format_summary(figures: dict[str, dict[str, float]]) -> str:
    lines = [f"{'queries':<16}{'n':>4}{'recall@10':>11}{'MRR':>7}"]
    for kind, row in figures.items():
        lines.append(f"{kind:<16}{row['queries']:>4}{row['recall@10']:>11.3f}{row['mrr']:>7.3f}")
    return "\n".join(lines)


def format_misses(outcomes: list[Outcome]) -> str:
    """The queries that lose recall, with what they missed."""
    lines = []
    for o in outcomes:
        if o.recall < 1:
            missed = sorted(o.expected - set(o.found[:CUTOFF]))
            lines.append(f"{o.kind}: {o.query!r} recall {o.recall:.2f}, {len(o.found)} found, missed {missed[:3]}")
    return "\n".join(lines)
