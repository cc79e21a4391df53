"""The showcase search against the relevance set built from the demo data."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tests.search import relevance


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, for this module only: rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
        transaction.set_rollback(True)


def test_the_relevance_set_has_at_least_40_queries_each_expecting_public_initiatives():
    entries = relevance.queries()
    assert len(entries) >= 40
    assert all(entry["expected"] for entry in entries)
    assert {entry["kind"] for entry in entries} >= {"inflection", "accents", "typo", "people", "organisations"}
