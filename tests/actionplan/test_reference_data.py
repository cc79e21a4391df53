"""The seeds' reference data, as loaded by `load_reference_data`.

The session fixture in tests/conftest.py has already loaded it once.
"""

from decimal import Decimal

import pytest
from django.core.management import call_command

from actionplan.models import (
    InterventionArea,
    PerformanceObjective,
    PerformanceObjectiveAssignment,
    Plan,
    StrategicObjective,
    Vision,
)
from impact.models import SDG, FieldOfAction, PublicEngagementCategory
from initiatives.models import Department, Sector
from pops.reference_data import load_reference_data

pytestmark = pytest.mark.django_db


def test_the_action_plan_has_three_visions_and_forty_areas_each_with_a_description():
    plan = Plan.objects.get(code="action-plan-2025-2027")
    assert list(plan.visions.values_list("name_it", flat=True)) == [
        "Ateneo Internazionale",
        "Ateneo motore di competitività",
        "Ateneo riconoscibile e riconosciuto",
    ]
    areas = InterventionArea.objects.filter(vision__plan=plan)
    assert areas.count() == 40
    assert not areas.filter(description_it="").exists()
    assert areas.values("code").distinct().count() == 40


def test_pops_own_areas_keep_their_full_description():
    public_sphere = InterventionArea.objects.get(name_it__startswith="Sfera pubblica")
    assert public_sphere.vision.name_it == "Ateneo riconoscibile e riconosciuto"
    assert "PoliTO per il Sociale" in public_sphere.description_it or "POPS" in public_sphere.description_it
    assert len(public_sphere.description_it) > 500


def test_every_performance_objective_of_the_piao_has_its_three_levels_and_structures():
    objectives = PerformanceObjective.objects.all()
    assert objectives.count() == 58
    for objective in objectives.prefetch_related("assignments"):
        assert objective.purpose, objective.code
        for label, value, description in objective.levels:
            assert value is not None, (objective.code, label)
            assert description.strip(), (objective.code, label)
        assert objective.assignments.all(), objective.code
    assert not PerformanceObjectiveAssignment.objects.filter(weight__gt=100).exists()


def test_the_first_performance_objective_is_read_exactly_as_in_the_seed():
    first = PerformanceObjective.objects.select_related("strategic_objective", "responsible_structure").get(
        code="PO-001"
    )
    assert first.title_it == "Piano straordinario di programmazione triennale del personale tecnico amministrativo"
    assert first.strategic_objective.code == "P.1"
    assert first.responsible_structure.code == "ARUO"
    assert (first.threshold_value, first.target_value, first.excellence_value) == (1, 3, 4)
    assert first.threshold_description.startswith("Co")
    assert "Entro novembre 2023" in first.excellence_description
    assert [(a.structure.code, a.weight) for a in first.assignments.select_related("structure")] == [
        ("ARUO", 15),
        ("RG DIPARTIMENTI", None),
        ("RG POLI", None),
    ]


def test_strategic_objectives_carry_the_plans_codes():
    codes = set(StrategicObjective.objects.exclude(code="").values_list("code", flat=True))
    assert {"P.1", "F.2", "R.3", "RS.1", "RS.2", "RS.3", "RS.4", "RS.5"} <= codes


def test_the_vocabularies_have_the_expected_sizes():
    assert SDG.objects.count() == 17
    assert SDG.objects.get(number=4).name_en == "Quality education"
    assert Department.objects.count() == 11
    assert Sector.objects.count() == 8
    assert Sector.objects.get(is_other=True).name_it == "Altro"
    assert FieldOfAction.objects.for_year(2024).count() == 10
    assert sorted(FieldOfAction.objects.for_year(2024).values_list("code", flat=True)) == list("abcdefghij")
    assert PublicEngagementCategory.objects.for_year(2020).count() == 10
    assert PublicEngagementCategory.objects.for_year(2025).count() == 4


def test_loading_twice_creates_nothing_and_changes_nothing():
    before = Vision.objects.count(), InterventionArea.objects.count(), PerformanceObjective.objects.count()
    report = load_reference_data()
    assert report.total_created == 0
    assert report.total_updated == 0
    assert (Vision.objects.count(), InterventionArea.objects.count(), PerformanceObjective.objects.count()) == before


def test_loading_again_restores_a_changed_label_and_keeps_ids():
    area = InterventionArea.objects.get(code="attivita-culturali")
    InterventionArea.objects.filter(pk=area.pk).update(name_it="Renamed by mistake")
    PerformanceObjective.objects.filter(code="PO-001").update(target_value=Decimal("99"))

    report = load_reference_data()

    assert report.total_created == 0
    assert report.total_updated == 2
    assert InterventionArea.objects.get(pk=area.pk).name_it == area.name_it
    assert PerformanceObjective.objects.get(code="PO-001").target_value == 3


def test_loading_into_an_empty_database_creates_everything():
    PerformanceObjective.objects.all().delete()
    InterventionArea.objects.all().delete()

    report = load_reference_data()

    assert report.created[InterventionArea] == 40
    assert report.created[PerformanceObjective] == 58


def test_an_english_label_typed_by_staff_survives_a_reload_when_the_file_has_none():
    area = InterventionArea.objects.get(code="attivita-culturali")
    InterventionArea.objects.filter(pk=area.pk).update(description_en="Staff translation")
    load_reference_data()
    assert InterventionArea.objects.get(pk=area.pk).description_en == "Staff translation"


def test_the_command_reports_what_it_did(capsys):
    call_command("load_reference_data")
    assert "0 created, 0 updated" in capsys.readouterr().out
