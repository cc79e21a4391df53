"""Hostile import files: each is refused with a sentence in the user's
language, naming the problem of the file, wherever it comes in (the admin's
import page, the command line, an import job), before any row is imported;
never a traceback nor the name of an exception."""

import html
import io
import zipfile

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from impact.models import ImportJob
from initiatives.exchange import admin as exchange_admin
from initiatives.exchange import files, imports
from initiatives.exchange.resources import InitiativeResource
from initiatives.factories import UserFactory
from initiatives.management.commands import import_initiatives
from initiatives.models import Initiative
from initiatives.tasks import run_import_job
from tests.impact import hostile_files as hostile

pytestmark = pytest.mark.django_db

# What a library's exception would show, or the library's own wrapper of it.
EXCEPTION_WORDS = (
    "UnicodeDecodeError",
    "KeyError",
    "_csv.Error",
    "BadZipFile",
    "InvalidDimensions",
    "ParseError",
    "ValueError",
    "IndexError",
    "AttributeError",
    "TypeError",
    "Traceback",
    "encountered while trying to read file",
)


def sheet(*rows: bytes, dimension: str | None = None) -> bytes:
    return hostile.rewritten({hostile.SHEET: hostile.sheet_xml(rows, dimension=dimension)})


HEADER = hostile.row(1, [("A", "title_it"), ("B", "start_date")])
NUL_LATE = b"title_it,start_date\n" + b"Orti,2025-01-01\n" * 400 + b"Mostra\x00,2025-01-01\n"

CORPUS = {
    # name: (file name, content, or a builder of it)
    "truncated workbook": ("iniziative.xlsx", hostile.BASE[: len(hostile.BASE) // 2]),
    "zip of something else": ("iniziative.xlsx", hostile.plain_zip({"notes.txt": b"not a workbook"})),
    "zip without its workbook": ("iniziative.xlsx", hostile.plain_zip({"[Content_Types].xml": b"<Types/>"})),
    "zip bomb": ("iniziative.xlsx", "zip_bomb"),
    "a million rows declared": (
        "iniziative.xlsx",
        sheet(HEADER, hostile.row(1_000_000, [("A", "Ultima")]), dimension="A1:B1000000"),
    ),
    "huge columns": ("iniziative.xlsx", sheet(HEADER, hostile.row(2, [("A", "Orti"), ("ZZZ", "lontano")]))),
    "a cell of 100,000 characters": ("iniziative.xlsx", sheet(HEADER, hostile.row(2, [("A", "x" * 100_000)]))),
    "a sheet that lies about its size": ("iniziative.xlsx", "lying"),
    "malformed sheet": ("iniziative.xlsx", hostile.rewritten({hostile.SHEET: b"<worksheet><sheetData><row"})),
    "an XLSX that is CSV text": ("iniziative.xlsx", b"title_it,start_date\nOrti,2025-01-01\n"),
    "CSV in UTF-16": ("iniziative.csv", "title_it,start_date\nOrti,2025-01-01\n".encode("utf-16")),
    "CSV with NUL bytes": ("iniziative.csv", b"title_it,start_date\nOr\x00ti,2025-01-01\n"),
    "CSV with NUL bytes far in": ("iniziative.csv", NUL_LATE),
    "CSV in Latin-1": ("iniziative.csv", "title_it,start_date\nCittà,2025-01-01\n".encode("latin-1")),
    "CSV with an unterminated quote": ("iniziative.csv", b'title_it,start_date\n"Orti,2025-01-01\nMostra,2025\n'),
    "CSV with a cell beyond csv's limit": ("iniziative.csv", b"title_it\n" + b"x" * 200_000 + b"\n"),
    "CSV with a row wider than its header": ("iniziative.csv", b"title_it,start_date\nOrti,2025-01-01,extra,more\n"),
    "CSV without the expected columns": ("iniziative.csv", b"foo,bar\n1,2\n"),
    "CSV naming a column twice": ("iniziative.csv", b"title_it,title_it\nOrti,Mostra\n"),
    "empty file": ("iniziative.csv", b""),
    "blank CSV": ("iniziative.csv", b"\n \n;;\n"),
    "a .csv that is really an XLSX": ("iniziative.csv", hostile.BASE),
}


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return {"zip_bomb": hostile.zip_bomb(), "lying": hostile.lying_workbook()}


@pytest.fixture(params=sorted(CORPUS))
def hostile_file(request, built) -> tuple[str, str, bytes]:
    name, content = CORPUS[request.param]
    return request.param, name, built.get(content, content) if isinstance(content, str) else content


@pytest.fixture
def marked(monkeypatch):
    """Every message of the import's code marked, to see that it went through gettext."""

    def mark(message):
        return f"«{message}»"

    for module in (files, imports, exchange_admin, import_initiatives):
        monkeypatch.setattr(module, "_", mark)
    monkeypatch.setattr(imports, "ngettext", lambda singular, plural, n: mark(singular if n == 1 else plural))


def is_sentence(message: str) -> bool:
    """Marked from start to end (a message built of several is marked whole),
    and no exception's name in it."""
    return message.startswith("«") and message.endswith("»") and not any(w in message for w in EXCEPTION_WORDS)


@pytest.fixture
def never_imported(monkeypatch):
    """Fails the test if any row is imported (or dry-run)."""
    calls = []
    import_data = InitiativeResource.import_data

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("dry_run"))
        return import_data(self, *args, **kwargs)

    monkeypatch.setattr(InitiativeResource, "import_data", spy)
    yield calls
    assert calls == [], "rows were read into the import"


def test_the_admin_import_page_says_what_is_wrong_with_the_file(client, hostile_file, marked, never_imported):
    case, name, content = hostile_file
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_import")
    fmt = 1 if name.endswith(".xlsx") else 0  # exchange.imports.IMPORT_FORMATS

    response = client.post(url, {"resource": 0, "format": fmt, "import_file": SimpleUploadedFile(name, content)})

    assert response.status_code == 200, case
    body = response.content.decode()
    assert not [word for word in EXCEPTION_WORDS if word in body], case
    errors = response.context["form"].errors.get("import_file", [])
    django_own = str(forms.FileField.default_error_messages["empty"])  # translated by Django
    assert errors and all(is_sentence(error) or error == django_own for error in errors), (case, errors)
    assert all(html.escape(error) in body for error in errors)
    assert "confirm_form" not in response.context and not ImportJob.objects.exists()
    assert not Initiative.objects.exists()


def test_the_command_line_says_what_is_wrong_with_the_file(tmp_path, hostile_file, marked, never_imported):
    case, name, content = hostile_file
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CommandError) as error:
        call_command("import_initiatives", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert is_sentence(str(error.value)), (case, str(error.value))
    assert not Initiative.objects.exists()


def test_an_import_job_fails_with_what_is_wrong_with_the_file(hostile_file, marked, never_imported):
    case, name, content = hostile_file
    job = imports.import_job_create(kind="initiatives", data=content, filename=name, total_rows=5000, dry_run=True)

    assert run_import_job.delay(job.pk).get() == ImportJob.State.FAILED

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.finished_at is not None
    assert [error["row"] for error in job.errors] == [0]
    assert is_sentence(job.errors[0]["message"]), (case, job.errors)


def test_a_zip_bomb_is_refused_by_its_declared_sizes_wherever_it_comes_in(
    client, tmp_path, built, monkeypatch, settings
):
    """200 MB of XML in 0.2 MB: refused by the archive's directory, nothing
    unpacked, before a job exists (even where every file would be one) and
    before a job created with it reads a row."""
    unpacked = []
    read = zipfile.ZipExtFile.read
    monkeypatch.setattr(
        zipfile.ZipExtFile, "read", lambda self, *a, **k: unpacked.append(self.name) or read(self, *a, **k)
    )
    settings.POPS_IMPORT_ASYNC_ROWS = 0
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_import")
        upload = SimpleUploadedFile("bomba.xlsx", built["zip_bomb"])
        response = client.post(url, {"resource": 0, "format": 1, "import_file": upload})
        expected = "This workbook would take 201 MB once unpacked; at most 100 MB are accepted."
        assert response.context["form"].errors["import_file"] == [expected]
        assert not ImportJob.objects.exists()

        path = tmp_path / "bomba.xlsx"
        path.write_bytes(built["zip_bomb"])
        with pytest.raises(CommandError, match=f"^{expected}$"):
            call_command("import_initiatives", str(path))

        job = imports.import_job_create(kind="initiatives", data=built["zip_bomb"], filename="b.xlsx", total_rows=1)
        run_import_job.delay(job.pk)
    job.refresh_from_db()
    assert (job.state, job.errors[0]["message"]) == (ImportJob.State.FAILED, expected)
    assert unpacked == []


def test_a_workbook_uploaded_as_csv_is_told_to_choose_its_format(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with translation.override("en"):
        url = reverse("admin:initiatives_initiative_import")
        upload = SimpleUploadedFile("iniziative.xlsx", hostile.BASE)
        response = client.post(url, {"resource": 0, "format": 0, "import_file": upload})
    assert response.context["form"].errors["import_file"] == [
        "The file is named “iniziative.xlsx” but the format chosen is CSV: choose XLSX."
    ]
