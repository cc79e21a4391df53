"""Import files built to hurt: workbooks whose XML is rewritten, zip bombs,
archives that lie about their sizes, CSV in the wrong encoding or syntax.

Every builder streams what it writes, so that a file that unpacks to hundreds
of megabytes costs the test little memory."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterable

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def workbook(rows: Iterable[Iterable], *, title: str = "Iniziative") -> bytes:
    """A real workbook (openpyxl's), one sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


BASE = workbook([["title_it", "start_date"], ["Orti", "2025-01-01"]])


def _escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").encode()


def cell(reference: str, value) -> bytes:
    if isinstance(value, int | float):
        return b'<c r="%s"><v>%s</v></c>' % (reference.encode(), str(value).encode())
    return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (reference.encode(), _escape(str(value)))


def row(number: int, cells: Iterable[tuple[str, object]]) -> bytes:
    """`<row>` number `number`, its cells given as (column letters, value)."""
    return b'<row r="%d">%s</row>' % (number, b"".join(cell(f"{letters}{number}", v) for letters, v in cells))


def sheet_xml(rows: Iterable[bytes], *, dimension: str | None = None, tail: bytes = b"") -> Callable:
    """A writer of a worksheet's XML made of `rows` (each a `<row>`), with
    the declared dimension given (or none)."""

    def write(stream) -> None:
        stream.write(SHEET_HEAD)
        if dimension:
            stream.write(b'<dimension ref="%s"/>' % dimension.encode())
        stream.write(b"<sheetData>")
        for chunk in rows:
            stream.write(chunk)
        stream.write(b"</sheetData>" + tail + b"</worksheet>")

    return write


def rewritten(parts: dict[str, bytes | Callable | None], *, base: bytes = BASE, level: int = 6) -> bytes:
    """`base` with some parts replaced (bytes, or a writer of a stream), left
    out (None) or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        names = [info.filename for info in source.infolist()]
        for name in names + [name for name in parts if name not in names]:
            if name in parts:
                content = parts[name]
                if content is None:
                    continue
                with target.open(name, "w", force_zip64=True) as stream:
                    if callable(content):
                        content(stream)
                    else:
                        stream.write(content)
            else:
                target.writestr(source.getinfo(name), source.read(name))
    return out.getvalue()


def repeated(size: int, byte: bytes = b" ") -> Callable:
    """A writer of `size` bytes all alike: deflated to almost nothing."""

    def write(stream) -> None:
        chunk = byte * (1 << 20)
        for _ in range(size >> 20):
            stream.write(chunk)
        stream.write(byte * (size & ((1 << 20) - 1)))

    return write


def zip_bomb(size: int = 200 * 2**20) -> bytes:
    """A workbook whose sheet is `size` bytes of spaces (200 MB deflate to 0.2 MB)."""
    return rewritten({SHEET: repeated(size)})


def declaring(data: bytes, name: str, size: int) -> bytes:
    """`data` (a ZIP archive written without ZIP64 extras for `name`) with
    the uncompressed size of `name` declared as `size` in its local header
    and in the central directory: an archive that lies."""
    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    encoded = name.encode()
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        (length,) = struct.unpack_from("<H", data, start + 28)
        if bytes(data[start + 46 : start + 46 + length]) == encoded:
            struct.pack_into("<I", data, start + 24, size)
            return bytes(data)
        start += 4
    raise AssertionError(f"{name} is not in the central directory")


def lying_workbook(rows: int = 300_000) -> bytes:
    """A workbook whose sheet holds `rows` rows (some megabytes of XML) but
    declares 2,000 bytes."""
    lines = (row(number, [("A", f"Iniziativa {number}")]) for number in range(1, rows + 1))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(BASE)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename == SHEET:
                buffer = io.BytesIO()
                sheet_xml(lines)(buffer)
                target.writestr(SHEET, buffer.getvalue())  # no ZIP64 extra: sizes in the headers
            else:
                target.writestr(info, source.read(info.filename))
    return declaring(out.getvalue(), SHEET, 2000)


def plain_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()
