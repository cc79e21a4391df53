"""The shared writers: formula injection neutralised, dialects, numbers."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pops.spreadsheets import CSV, CSV_EXCEL, iter_csv, neutralise, write_xlsx

INJECTIONS = ["=1+1", "+41 22", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_neutralise_prefixes_every_formula_trigger_with_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Torino", "", "a=b", "'=quoted", 12, Decimal("-3.5"), None])
def test_neutralise_leaves_safe_text_and_non_text_alone(value):
    assert neutralise(value) == value


def test_comma_csv_is_rfc_4180_with_iso_dates_and_plain_numbers():
    body = b"".join(iter_csv(["a", "b", "c"], [[datetime.date(2025, 3, 1), Decimal("1500.50"), 'say "hi", ok']]))
    assert body == b'a,b,c\r\n2025-03-01,1500.5,"say ""hi"", ok"\r\n'


def test_excel_csv_has_a_bom_semicolons_and_decimal_commas():
    body = b"".join(iter_csv(["a", "b"], [[Decimal("1500.50"), Decimal("2000.00")]], fmt=CSV_EXCEL))
    assert body.startswith(b"\xef\xbb\xbfa;b\r\n")
    assert body.endswith(b"1500,5;2000\r\n")


@pytest.mark.parametrize("fmt", [CSV, CSV_EXCEL])
def test_csv_neutralises_text_cells_but_not_numbers(fmt):
    body = b"".join(iter_csv(["x", "n"], [["=cmd|' /C calc'!A0", -5]], fmt=fmt)).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(body), delimiter=";" if fmt == CSV_EXCEL else ","))[1]
    assert row == ["'=cmd|' /C calc'!A0", "-5"]


def test_xlsx_keeps_amounts_numeric_and_neutralises_text():
    stream = io.BytesIO()
    write_xlsx(["t", "amount", "n"], [["@SUM(1)", Decimal("1500.50"), Decimal("200.00")]], stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    assert [c.value for c in sheet[2]] == ["'@SUM(1)", 1500.5, 200]
    assert sheet["A2"].data_type == "s"


def test_the_sql_spelling_derives_its_triggers_from_the_one_constant(monkeypatch):
    from pops import spreadsheets

    codes = ", ".join(str(ord(c)) for c in spreadsheets.FORMULA_TRIGGERS)
    assert f"IN ({codes})" in spreadsheets.spelled_sql("t.x", spreadsheets.TEXT, fmt=CSV)
    monkeypatch.setattr(spreadsheets, "FORMULA_TRIGGERS", ("=",))
    assert "IN (61)" in spreadsheets.spelled_sql("t.x", spreadsheets.TEXT, fmt=CSV)


def test_no_other_module_spells_the_formula_triggers():
    """pops/spreadsheets.py is the one definition; every writer imports it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spelled = ['"=", "+", "-", "@"', "'=', '+', '-', '@'"]
    found = [
        str(path.relative_to(root))
        for app in ("pops", "initiatives", "stakeholders", "impact", "actionplan")
        for path in (root / app).rglob("*.py")
        if any(text in path.read_text() for text in spelled)
    ]
    assert found == ["pops/spreadsheets.py"]
