"""Matching values as people write them: codes, labels in either language
and the synonyms kept on each entry, ignoring case, accents and apostrophes."""

import pytest
from django.utils import translation

from actionplan.models import InterventionArea
from impact.models import Impact
from initiatives.models import Participation, Person
from pops.reference_data import load_reference_data
from pops.vocabulary import LabelIndex, Lookup, choice_index, normalise_label, vocabulary_names
from stakeholders.models import OrganisationType, Partnership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Società Benefit", "societa benefit"),
        ("societa-benefit", "societa benefit"),
        ("  SOCIETÀ   benefit. ", "societa benefit"),
        ("Sfera pubblica e promozione dell’impatto", "sfera pubblica e promozione dell'impatto"),
        ("dell`impatto", "dell'impatto"),
        ("gestione_territorio", "gestione territorio"),
    ],
)
def test_spellings_of_one_value_compare_equal(written, canonical):
    assert normalise_label(written) == canonical


def organisation_types():
    return LabelIndex(OrganisationType.objects.all(), vocabulary_names)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("no profit", "no-profit"),
        ("No Profit", "no-profit"),
        ("impresa profit", "imprese-profit"),
        ("gruppo informale di cittadini", "gruppi-informali"),
        ("Gruppi informali di cittadini", "gruppi-informali"),  # the Italian label
        ("Informal groups of citizens", "gruppi-informali"),  # the English label
        ("SOCIETA BENEFIT", "societa-benefit"),
        ("pubblica-amministrazione", "pubblica-amministrazione"),  # the code
    ],
)
def test_organisation_types_as_people_write_them(written, code):
    assert [entry.code for entry in organisation_types().find(written)] == [code]


def test_a_value_that_matches_nothing_offers_the_closest_spellings():
    index = organisation_types()
    assert index.find("impresa prfit") == []
    assert "impresa profit" in index.closest("impresa prfit")


def test_synonyms_typed_by_staff_are_recognised_and_survive_a_reload():
    entry = OrganisationType.objects.get(code="imprese-profit")
    entry.synonyms += "\nstartup innovativa"
    entry.save()
    assert [e.code for e in organisation_types().find("Startup Innovativa")] == ["imprese-profit"]
    load_reference_data()
    entry.refresh_from_db()
    assert "startup innovativa" in entry.synonyms
    assert "impresa profit" in entry.synonyms
    load_reference_data()
    entry.refresh_from_db()
    assert entry.synonyms.count("impresa profit") == 1


def test_an_area_name_with_a_typographic_apostrophe_is_found():
    area = InterventionArea.objects.filter(name_it__contains="'").first()
    assert area is not None
    index = LabelIndex(InterventionArea.objects.all(), vocabulary_names)
    assert index.find(area.name_it.replace("'", "’")) == [area]


@pytest.mark.parametrize(
    ("choices", "synonyms", "written", "value"),
    [
        (Person.Role, Person.ROLE_SYNONYMS, "professore associato", "associate_professor"),
        (Person.Role, Person.ROLE_SYNONYMS, "Professoressa ordinaria", "full_professor"),
        (Person.Role, Person.ROLE_SYNONYMS, "assegnista", "research_fellow"),
        (Person.Role, Person.ROLE_SYNONYMS, "dottorando", "phd_student"),
        (Person.Role, Person.ROLE_SYNONYMS, "Dottoranda", "phd_student"),
        (Person.Role, Person.ROLE_SYNONYMS, "ricercatrice", "researcher"),
        (Person.Role, Person.ROLE_SYNONYMS, "personale tecnico-amministrativo", "staff"),
        (Person.Role, Person.ROLE_SYNONYMS, "studentessa", "student"),
        (Person.Role, Person.ROLE_SYNONYMS, "Associate professor", "associate_professor"),
        (Participation.Role, Participation.ROLE_SYNONYMS, "responsabile", "lead"),
        (Participation.Role, Participation.ROLE_SYNONYMS, "membro", "member"),
        (Partnership.Role, Partnership.ROLE_SYNONYMS, "finanziatore", "funder"),
        (Partnership.Role, Partnership.ROLE_SYNONYMS, "co-progettista", "co_designer"),
        (Partnership.Role, Partnership.ROLE_SYNONYMS, "beneficiario", "beneficiary"),
        (Partnership.Role, Partnership.ROLE_SYNONYMS, "committente", "client"),
        (Impact.Kind, Impact.KIND_SYNONYMS, "raggiunto", "achieved"),
        (Impact.Category, Impact.CATEGORY_SYNONYMS, "salute", "health"),
    ],
)
def test_choices_as_people_write_them(choices, synonyms, written, value):
    assert choice_index(choices, synonyms).find(written) == [value]


# --- One Lookup for both imports ----------------------------------------------------------


class _Edition:
    def __init__(self, code, valid_from, valid_to=None):
        self.code, self.valid_from, self.valid_to = code, valid_from, valid_to

    def __repr__(self):
        return f"{self.code}({self.valid_from})"


def test_a_code_several_editions_share_names_the_one_in_force_else_the_newest():
    old, new = _Edition("5", 2020, 2024), _Edition("5", 2025)
    lookup = Lookup([old, new], lambda e: [e.code], what="category", editions=True)
    assert lookup.find("5", year=2022) == [old]
    assert lookup.find("5", year=2026) == [new]
    assert lookup.find("5") == [new]  # no year: the newest edition
    assert lookup.find("5", year=2010) == [new]  # in force in no edition: the newest


def test_lookup_messages_list_a_short_list_and_suggest_within_a_long_one():
    with translation.override("en"):
        short = Lookup(["alfa", "beta"], lambda e: [e], what="letter", advice="See the legend.")
        with pytest.raises(ValueError) as excinfo:
            short.get("gamma")
        assert str(excinfo.value) == 'Unknown letter "gamma". Write one of: alfa, beta. See the legend.'
        long = Lookup([f"voce {n}" for n in range(20)] + ["sostenibilità"], lambda e: [e], what="entry")
        with pytest.raises(ValueError) as excinfo:
            long.get("sostenibilta ambientale")
        assert 'Did you mean "sostenibilità"?' in str(excinfo.value)
        twice = Lookup(["a", "b"], lambda e: ["same"], what="entry")
        with pytest.raises(ValueError, match="names more than one entry"):
            twice.get("same")


def test_lookup_many_reports_every_bad_value_at_once_and_keeps_each_entry_once():
    lookup = Lookup.of_choices(Partnership.Role, Partnership.ROLE_SYNONYMS, what="role")
    assert lookup.get_many(["partner", "Partner", "funder"]) == [Partnership.Role.PARTNER, Partnership.Role.FUNDER]
    with translation.override("en"), pytest.raises(ValueError) as excinfo:
        lookup.get_many(["partner", "astronaut", "pilot"])
    assert 'Unknown role "astronaut", "pilot".' in str(excinfo.value)
