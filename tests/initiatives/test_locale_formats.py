"""Numbers and dates in one format per language on the showcase: thousands
grouped and decimals only where a value has them, Italian month names in
lower case, English dates unambiguous (day/month/year, pops/formats/en)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from impact.models import Impact
from initiatives.factories import InitiativeFactory


def render(source: str, **context) -> str:
    return Template("{% load showcase %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("it", Decimal("1200.00"), "1.200"),
        ("it", Decimal("1200.50"), "1.200,50"),
        ("it", 1266, "1.266"),
        ("it", 1642.0, "1.642"),
        ("en", Decimal("1200.00"), "1,200"),
        ("en", Decimal("1200.5"), "1,200.50"),
        ("en", 1266, "1,266"),
        ("it", 0, "0"),
        ("it", None, ""),
    ],
)
def test_figures_read_the_same_way_everywhere_in_a_language(language, value, expected):
    with translation.override(language):
        assert render("{{ v|figure }}", v=value) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("it", "16 dicembre 2024"), ("en", "16 December 2024")],
)
def test_dates_in_words_follow_the_language(language, expected):
    with translation.override(language):
        assert render('{{ d|date:"DATE_FORMAT" }}', d=datetime.date(2024, 12, 16)) == expected
        assert render('{{ d|date:"F" }}', d=datetime.date(2024, 5, 1)) == ("maggio" if language == "it" else "May")


@pytest.mark.django_db
def test_the_initiative_page_writes_its_figures_in_one_format(client):
    initiative = InitiativeFactory(
        published=True, start_date=datetime.date(2024, 12, 16), end_date=None, participants=1642
    )
    Impact.objects.create(
        initiative=initiative,
        kind=Impact.Kind.ACHIEVED,
        category=Impact.Category.SOCIAL,
        description="Famiglie raggiunte",
        indicator="famiglie",
        baseline=Decimal("1200.00"),
        target=Decimal("2500.50"),
        value=Decimal("1800"),
        people_reached=1266,
    )
    with translation.override("it"):
        content = client.get(reverse("initiative-detail", kwargs={"slug": initiative.slug})).content.decode()
    assert "16 dicembre 2024" in content
    for figure in ("1.642", "1.200", "2.500,50", "1.800", "1.266"):
        assert figure in content, figure
    for raw in ("1200,00", "1266<", "1642<"):
        assert raw not in content, raw
