"""exchange.files: what an import file may make the portal read, every refusal a sentence."""

import codecs
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from initiatives.exchange import files
from tests.impact import hostile_files as hostile

# What a library's exception would show; no refusal may.
LIBRARY_WORDS = ("Error", "Exception", "BadZipFile", "Traceback", "_csv", "zipfile", "openpyxl", "KeyError")


def refusal(call, *args, **kwargs) -> ValidationError:
    """The ValidationError that `call` raises (a generator is read to its end), in English."""
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    [message] = caught.value.messages
    assert not [word for word in LIBRARY_WORDS if word in message], message
    assert message.endswith("."), message
    return caught.value


def sheet_rows(data: bytes) -> list[tuple]:
    book = files.open_workbook(data)
    try:
        sheet = book.active
        return list(files.bounded_rows(sheet, sheet_name=sheet.title))
    finally:
        book.close()


# --- check_xlsx and open_workbook -----------------------------------------------------------


def test_a_real_workbook_is_checked_and_opened():
    files.check_xlsx(hostile.BASE)
    assert sheet_rows(hostile.BASE) == [("title_it", "start_date"), ("Orti", "2025-01-01")]


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"title_it,start_date\nOrti,2025-01-01\n", "file_type", "not even the ZIP archive"),
        (files.OLE_MAGIC + b"\x00" * 504, "file_type", "Excel 97-2003 workbook (.xls) or a password-protected"),
        (hostile.BASE[: len(hostile.BASE) // 2], "damaged", "damaged or incomplete"),
        (hostile.plain_zip({"notes.txt": b"hello"}), "file_type", "it has no [Content_Types].xml"),
        (hostile.plain_zip({"[Content_Types].xml": b"<Types/>"}), "file_type", "it has no xl/workbook.xml"),
        (
            hostile.plain_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
            "file_type",
            "OpenDocument spreadsheet (.ods)",
        ),
        (hostile.plain_zip({f"part{n}.xml": b"" for n in range(1001)}), "too_large", "1,001 parts"),
        # 10 MB of spaces: within the unpacked size allowed, but compressed a thousand times.
        (hostile.rewritten({hostile.SHEET: hostile.repeated(10 * 2**20)}), "zip_bomb", "xl/worksheets/sheet1.xml"),
    ],
    ids=["text", "xls", "truncated", "other zip", "no workbook", "ods", "too many parts", "compression ratio"],
)
def test_check_xlsx_refuses_what_is_not_a_safe_workbook_by_its_directory(data, code, words):
    error = refusal(files.check_xlsx, data)
    assert error.code == code and words in error.messages[0], error.messages
    # open_workbook checks first, the same way.
    assert refusal(files.open_workbook, data).messages == error.messages


def test_the_unpacked_size_is_bounded_by_the_setting(settings):
    data = hostile.workbook([["title_it"], *[[f"Iniziativa numero {n}"] for n in range(3000)]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    settings.POPS_IMPORT_MAX_UNCOMPRESSED_BYTES = unpacked
    files.check_xlsx(data)

    settings.POPS_IMPORT_MAX_UNCOMPRESSED_BYTES = unpacked - 1
    error = refusal(files.check_xlsx, data)
    assert error.code == "too_large" and "once unpacked" in error.messages[0]


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return hostile.zip_bomb()  # 200 MB of XML in 0.2 MB


def test_a_zip_bomb_is_refused_by_its_declared_sizes_before_anything_is_unpacked(zip_bomb, monkeypatch):
    assert len(zip_bomb) < 1_000_000
    unpacked = []
    read = zipfile.ZipExtFile.read

    def spy(self, *args, **kwargs):
        unpacked.append(self.name)
        return read(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipExtFile, "read", spy)

    for call in (files.check_xlsx, files.open_workbook):
        error = refusal(call, zip_bomb)
        assert error.code == "too_large"
        assert error.messages == ["This workbook would take 201 MB once unpacked; at most 100 MB are accepted."]
    assert unpacked == []


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ({"xl/workbook.xml": b"<workbook"}, "its XML is malformed"),
        ({"xl/_rels/workbook.xml.rels": None}, "a part of the workbook is missing"),
        ({"[Content_Types].xml": b"<Types/>"}, "its content does not follow the XLSX format"),
        ({hostile.SHEET: b"<worksheet><sheetData><row r='1'><c"}, "its XML is malformed"),
    ],
    ids=["malformed workbook", "missing part", "wrong content types", "malformed sheet"],
)
def test_a_workbook_openpyxl_cannot_open_is_refused_with_the_reason_in_words(parts, reason):
    error = refusal(files.open_workbook, hostile.rewritten(parts))
    assert error.messages == [f"This file is not a readable Excel workbook ({reason})."]


def test_entities_cannot_expand_a_sheet():
    lol = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY l0 "lol">{lol}]>'.encode()
    sheet = b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>'
    data = hostile.rewritten({hostile.SHEET: doctype + hostile.SHEET_HEAD + sheet})
    message = refusal(files.open_workbook, data).messages[0]
    assert "its XML declares entities or a document type, which are refused as unsafe" in message


def test_a_member_that_holds_more_than_it_declares_is_read_no_further_than_declared():
    """zipfile stops at the declared size and the CRC then fails: the file
    reads as damaged, whatever it holds."""
    data = hostile.lying_workbook()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo(hostile.SHEET).file_size == 2000
        assert archive.getinfo(hostile.SHEET).compress_size > 1_000_000
    files.check_xlsx(data)  # the directory looks fine
    error = refusal(files.open_workbook, data)
    assert error.messages == ["This file is not a readable Excel workbook (its archive is damaged)."]


# --- bounded_rows ----------------------------------------------------------------------------


def with_rows(*rows: bytes, dimension: str | None = None, tail: bytes = b"") -> bytes:
    return hostile.rewritten({hostile.SHEET: hostile.sheet_xml(rows, dimension=dimension, tail=tail)})


def test_rows_come_without_trailing_empty_cells_and_empty_rows_are_skipped():
    data = with_rows(
        hostile.row(1, [("A", "title_it"), ("B", "start_date"), ("C", "  ")]),
        hostile.row(2, [("A", "Orti"), ("C", 3)]),
        hostile.row(3, [("B", " ")]),
        hostile.row(5, [("A", "Mostra")]),
        dimension="A1:XFD1048576",  # not trusted
    )
    assert sheet_rows(data) == [("title_it", "start_date"), ("Orti", None, 3), ("Mostra",)]
    # Nor a dimension smaller than the rows: openpyxl would stop there.
    data = with_rows(*[hostile.row(n, [("A", f"riga {n}")]) for n in range(1, 6)], dimension="A1:A2")
    assert len(sheet_rows(data)) == 5


def test_a_sheet_with_more_rows_than_allowed_is_refused_at_the_first_one_beyond(settings):
    settings.POPS_IMPORT_MAX_ROWS = 50
    data = with_rows(*[hostile.row(n, [("A", f"riga {n}")]) for n in range(1, 61)])
    book = files.open_workbook(data)
    read = []
    with translation.override("en"), pytest.raises(ValidationError) as error:
        read.extend(files.bounded_rows(book.active, sheet_name="Iniziative"))
    assert error.value.messages == ["The sheet “Iniziative” has more than 50 rows."]
    assert error.value.code == "too_many_rows"
    assert len(read) == 50


@pytest.mark.parametrize("number", [1_000_000, 999_999_999_999], ids=["a million", "a trillion"])
def test_empty_rows_count_so_a_row_numbered_a_trillion_costs_nothing(number):
    data = with_rows(hostile.row(1, [("A", "title_it")]), hostile.row(number, [("A", "x")]), dimension="A1:A2")
    assert refusal(sheet_rows, data).messages == ["The sheet “Iniziative” has more than 100,000 rows."]


def test_a_row_with_values_beyond_the_columns_allowed_is_refused():
    data = with_rows(hostile.row(1, [("A", "title_it")]), hostile.row(2, [("A", "Orti"), ("ZZZ", "lontano")]))
    error = refusal(sheet_rows, data)
    assert error.messages == ["Row 2 of the sheet “Iniziative” has values in more than 200 columns."]
    # A declared width is not: only the cells count.
    assert sheet_rows(with_rows(hostile.row(1, [("A", "title_it")]), dimension="A1:ZZZ1")) == [("title_it",)]


def test_a_cell_longer_than_excel_allows_is_refused_naming_it():
    data = with_rows(hostile.row(1, [("A", "title_it"), ("B", "summary_it")]), hostile.row(2, [("B", "x" * 100_000)]))
    error = refusal(sheet_rows, data)
    assert error.messages == ["The cell B2 of the sheet “Iniziative” is longer than 32,767 characters."]
    assert sheet_rows(with_rows(hostile.row(1, [("A", "x" * 32_767)]))) == [("x" * 32_767,)]


def test_a_sheet_that_breaks_half_way_is_refused_naming_where():
    broken = with_rows(
        *[hostile.row(n, [("A", f"riga {n}")]) for n in range(1, 4)], b'<row r="4"><c r="A4" t="s"><v>77</v></c></row>'
    )
    error = refusal(sheet_rows, broken)
    assert error.messages == [
        "The sheet “Iniziative” cannot be read from row 4 on (its content does not follow the XLSX format)."
    ]


def test_rows_are_read_one_at_a_time():
    """Streaming: the first row comes out before the sheet is parsed to its
    end (where this one is broken), so no sheet is ever held whole."""
    rows = [hostile.row(n, [("A", f"riga {n}"), ("B", n)]) for n in range(1, 20_001)]
    data = hostile.rewritten(
        {hostile.SHEET: hostile.sheet_xml([*rows, b"<row r='20001'><c r='A20001'><is"], dimension="A1:B2")}
    )
    book = files.open_workbook(data)
    rows = files.bounded_rows(book.active, sheet_name="Iniziative")
    assert next(rows) == ("riga 1", 1)
    assert next(rows) == ("riga 2", 2)
    with pytest.raises(ValidationError):
        list(rows)
    book.close()


# --- CSV -------------------------------------------------------------------------------------


def test_csv_rows_are_read_in_either_separator_and_any_line_ending():
    assert files.read_csv_rows('\ufefftitle_it;summary_it;;\r\nOrti;"due\nrighe";\r\n\r\n;; \rMostra\r'.encode()) == [
        ["title_it", "summary_it"],
        ["Orti", "due\nrighe"],
        ["Mostra"],
    ]
    assert files.read_csv_rows(b"title_it,start_date\nOrti,2025-01-01") == [
        ["title_it", "start_date"],
        ["Orti", "2025-01-01"],
    ]


LONG = "x" * 40_000


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty", "The file is empty."),
        (b"\r\n\n ; ;\n", "empty", "The file is empty."),
        (codecs.BOM_UTF8 + b"\n", "empty", "The file is empty."),
        ("title_it\nOrti\n".encode("utf-16"), "encoding", "This CSV file is UTF-16 text (“Unicode text”): "),
        ("title_it\nOrti\n".encode("utf-16-le"), "encoding", "This CSV file is UTF-16 text (“Unicode text”): "),
        (b"title_it\nOr\x00ti\n", "file_type", "This is not a text CSV file"),
        ("title_it\nOrti\nCittà\n".encode("latin-1"), "encoding", "Line 3 of the file is not UTF-8 text"),
        (b'title_it,start_date\nOrti,2025\n"Mostra,2025\nScuola,2025\n', "csv_quote", "starts on line 3"),
        (b'title_it,start_date\n"Orti" in citta,2025\n', "csv_syntax", "Line 2 of the file is not valid CSV"),
        (b"title_it\n" + b"x" * 200_000 + b"\n", "cell_too_long", "A cell on line 2 of the file is longer"),
        (f"title_it\nOrti\n{LONG}\n".encode(), "cell_too_long", "A cell on line 3 of the file is longer"),
        (b",".join([b"c"] * 201) + b"\n", "too_many_columns", "Line 1 of the file has values in more than 200"),
        (hostile.BASE, "file_type", "This is an Excel workbook with the name of a CSV file"),
    ],
    ids=[
        "empty",
        "blank",
        "only a BOM",
        "UTF-16",
        "UTF-16 without BOM",
        "NUL",
        "Latin-1",
        "unterminated quote",
        "text after a quote",
        "cell beyond csv's limit",
        "cell beyond Excel's",
        "too many columns",
        "a workbook",
    ],
)
def test_csv_that_cannot_be_read_is_refused_naming_the_problem_and_its_line(data, code, message):
    error = refusal(files.read_csv_rows, data)
    assert error.code == code and message in error.messages[0], error.messages


def test_csv_with_more_rows_than_allowed_is_refused_and_blank_lines_count(settings):
    settings.POPS_IMPORT_MAX_ROWS = 10
    assert len(files.read_csv_rows(b"title_it\n" + b"Orti\n" * 9)) == 10
    assert refusal(files.read_csv_rows, b"title_it\n" + b"Orti\n" * 10).messages == ["The file has more than 10 rows."]
    assert refusal(files.read_csv_rows, b"title_it\n" + b"\n" * 10 + b"Orti\n").code == "too_many_rows"


def test_every_refusal_goes_through_gettext(monkeypatch):
    """Italian is the default language: each sentence is a msgid (here
    marked, to see that none is left out)."""
    monkeypatch.setattr(files, "_", lambda message: f"«{message}»")
    for call, data in [
        (files.check_xlsx, b"plain"),
        (files.open_workbook, hostile.rewritten({"xl/workbook.xml": b"<workbook"})),
        (sheet_rows, with_rows(hostile.row(1, [("A", "x" * 40_000)]))),
        (files.read_csv_rows, "città".encode("latin-1")),
        (files.read_csv_rows, b'"never closed'),
    ]:
        with pytest.raises(ValidationError) as error:
            call(data)
        [message] = error.value.messages
        assert message.startswith("«") and message.endswith("»"), message
