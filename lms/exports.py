"""Spreadsheet-safe exports (CSV and XLSX)."""

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formulas: a text cell may not start with = + - @ or a control."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


CSV_CHUNK = 64_000  # characters sent at a time


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A CSV attachment spreadsheets open safely: UTF-8 with a byte-order mark (Excel
    reads UTF-8 only with one), every cell through `safe_cell`, sent in chunks as the
    rows come, so a long export never sits whole in memory."""

    def chunks():
        out = io.StringIO()
        writer = csv.writer(out)
        out.write("\ufeff")
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(value) for value in row])
            if out.tell() > CSV_CHUNK:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return Response(stream_with_context(chunks()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
