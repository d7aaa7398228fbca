"""Spreadsheet-safe exports (CSV and XLSX)."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from flask import Response, has_app_context, stream_with_context
from flask_babel import get_locale

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formulas: a text cell may not start with = + - @ or a control."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


CSV_CHUNK = 64_000  # characters sent at a time


def speaking_now() -> str:
    """The language in force: the reader's, or the one a document is made in (`speaking`);
    English outside the application."""
    return str(get_locale() or "en") if has_app_context() else "en"


def csv_conventions(language: str | None = None) -> tuple[str, str]:
    """(separator, decimal mark) a spreadsheet in `language` reads: where the decimal
    mark is a comma (Hungarian, Bulgarian: CLDR's number symbols, through Babel) Excel
    splits fields on ";", else on ",". `language` defaults to the one spoken now."""
    language = language or speaking_now()
    try:
        decimal = Locale.parse(language).number_symbols["latn"]["decimal"]
    except (UnknownLocaleError, ValueError, KeyError):
        decimal = "."
    return (";" if decimal == "," else ","), decimal


def _csv_cell(value, decimal: str):
    if isinstance(value, float | Decimal):
        return format(value, "f" if isinstance(value, Decimal) else "").replace(".", decimal)
    return safe_cell(value)


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence],
               language: str | None = None) -> Iterator[str]:
    """CSV text spreadsheets open safely and correctly in the reader's language: UTF-8
    with a byte-order mark (Excel reads UTF-8 only with one), the separator and decimal
    mark of `language` (`csv_conventions`), every text cell through `safe_cell`, in
    chunks as the rows come."""
    separator, decimal = csv_conventions(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    out.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value, decimal) for value in row])
        if out.tell() > CSV_CHUNK:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence],
              language: str | None = None) -> bytes:
    """The whole CSV file as UTF-8 bytes (for files put in a package, which speaks its
    run's language whoever downloads it)."""
    return "".join(csv_chunks(header, rows, language)).encode("utf-8")


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A CSV attachment in the reader's conventions, sent in chunks as the rows come, so
    a long export never sits whole in memory. Its Content-Type says the charset and that
    a header row comes first; Content-Language, whose conventions it follows."""
    language = speaking_now()
    return Response(stream_with_context(csv_chunks(header, rows, language)),
                    content_type="text/csv; charset=utf-8; header=present",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Content-Language": language})


def frozen_zip(data: bytes, when: datetime) -> bytes:
    """The same ZIP-based file (an XLSX) with every member dated `when` and the
    document's own "modified" stamp set to it too: the same content then gives the
    same bytes, whenever it is written (the evidence pack's manifest relies on it)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + stamp + rb"\g<2>", content)
            member = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, content)
    return out.getvalue()
