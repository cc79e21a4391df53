"""The rules between an initiative's own fields (end date not before the
start date, external funding within the budget) have one definition,
`Initiative.cross_field_errors`, and every writer reports its errors: the
admin, the census and the import."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from initiatives import models
from initiatives.exchange.imports import read_dataset, run_import
from initiatives.exchange.resources import InitiativeResource
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, UserFactory
from initiatives.models import Initiative, Participation
from tests.initiatives.test_cover_alt import FormFields

pytestmark = pytest.mark.django_db

MAY, APRIL = datetime.date(2025, 5, 1), datetime.date(2025, 4, 1)
END_BEFORE_START = "The end date cannot be before the start date."
FUNDING_OVER_BUDGET = "External funding cannot be larger than the total budget."


def errors_of(**values) -> dict[str, list[str]]:
    with translation.override("en"):
        return {name: error.messages for name, error in Initiative.cross_field_errors(values).items()}


def test_the_end_date_is_not_before_the_start_date():
    assert errors_of(start_date=MAY, end_date=APRIL) == {"end_date": [END_BEFORE_START]}
    assert errors_of(start_date=MAY, end_date=MAY) == {}
    assert errors_of(start_date=None, end_date=APRIL) == {}
    assert errors_of(start_date=MAY) == {}


def test_the_external_funding_is_not_more_than_the_budget():
    assert errors_of(budget=Decimal("100"), external_funding=Decimal("100.01")) == {
        "external_funding": [FUNDING_OVER_BUDGET]
    }
    assert errors_of(budget=Decimal("100"), external_funding=Decimal("100")) == {}
    assert errors_of(budget=Decimal("0"), external_funding=Decimal("1")) == {"external_funding": [FUNDING_OVER_BUDGET]}
    assert errors_of(budget=None, external_funding=Decimal("1")) == {}


def test_a_rule_on_an_excluded_field_is_not_checked():
    values = {"start_date": MAY, "end_date": APRIL, "budget": Decimal("1"), "external_funding": Decimal("2")}
    assert Initiative.cross_field_errors(values, exclude={"start_date", "external_funding"}) == {}


def test_the_model_validation_reports_them_by_field():
    initiative = InitiativeFactory.build(
        start_date=MAY, end_date=APRIL, budget=Decimal("1"), external_funding=Decimal("2")
    )
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        initiative.clean_fields()
    with translation.override("en"):
        assert raised.value.message_dict == {"end_date": [END_BEFORE_START], "external_funding": [FUNDING_OVER_BUDGET]}


# --- Every writer reports the one rule's errors -----------------------------------------------

SENTINEL = "Reported by the one rule."


@pytest.fixture
def only_the_rule(monkeypatch):
    """The rule replaced by one that always objects to the end date: a writer
    that reports SENTINEL asked the rule, not a copy of its own."""

    def rule(values, *, exclude=()):
        return {} if "end_date" in exclude else {"end_date": ValidationError(SENTINEL, code="sentinel")}

    monkeypatch.setattr(Initiative, "cross_field_errors", staticmethod(rule))


def admin_post(client, initiative, **changes):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    parser = FormFields("initiative_form")
    parser.feed(client.get(url).content.decode())
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    with translation.override("en"):
        return client.post(url, {**data, **changes})


def census_post(client, initiative, **changes):
    lead = UserFactory()
    ParticipationFactory(initiative=initiative, person=PersonFactory(user=lead), role=Participation.Role.LEAD)
    client.force_login(lead)
    with translation.override("en"):
        url = reverse("census:step", args=[initiative.pk, "what"])
    data = {"places-TOTAL_FORMS": "0", "places-INITIAL_FORMS": "0"}
    return client.post(url, {**data, **{f"main-{name}": value for name, value in changes.items()}})


def import_errors(text: str) -> dict[tuple[int, str], str]:
    dataset = read_dataset(data=text.encode(), filename="file.csv")
    with translation.override("en"):
        outcome = run_import(resource_class=InitiativeResource, dataset=dataset, dry_run=True)
    return {(error.row, error.column): error.message for error in outcome.errors}


def test_the_admin_reports_the_rule(client, only_the_rule):
    initiative = InitiativeFactory(published=True, lead=False)
    response = admin_post(client, initiative)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"] == [SENTINEL]


def test_the_census_reports_the_rule(client, only_the_rule):
    initiative = InitiativeFactory(state=Initiative.State.DRAFT, lead=False)
    response = census_post(client, initiative, start_date="2025-01-01")
    assert response.status_code == 400
    assert SENTINEL in response.content.decode()


def test_the_import_reports_the_rule(only_the_rule):
    assert import_errors("title_it,start_date,end_date\nUna,2025-01-01,2025-02-01\n") == {(2, "end_date"): SENTINEL}


def test_the_admin_census_and_import_report_the_real_rule(client):
    initiative = InitiativeFactory(published=True, lead=False, budget=Decimal("10"), external_funding=None)
    response = admin_post(client, initiative, start_date="2025-05-01", end_date="2025-04-01", external_funding="20")
    with translation.override("it"):  # the admin's language
        assert response.context["adminform"].form.errors == {
            "end_date": [str(models.END_BEFORE_START)],
            "external_funding": [str(models.FUNDING_OVER_BUDGET)],
        }

    draft = InitiativeFactory(state=Initiative.State.DRAFT, lead=False)
    response = census_post(
        client, draft, start_date="2025-05-01", end_date="2025-04-01", budget="10", external_funding="20"
    )
    assert response.status_code == 400
    assert response.context["forms"].form.errors == {
        "end_date": [END_BEFORE_START],
        "external_funding": [FUNDING_OVER_BUDGET],
    }

    # The import words the same errors as its reports always have.
    text = "title_it,start_date,end_date,budget,external_funding\nUna,2025-05-01,2025-04-01,10,20\n"
    assert import_errors(text) == {
        (2, "end_date"): "The end date is before the start date.",
        (2, "external_funding"): "The external funding is larger than the total budget.",
    }
