"""Excel export of any list a user can see (the caller passes an already scoped queryset)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

EXPORT_MAX_ROWS = 1_000_000  # one sheet holds 1,048,576 rows


def xlsx_response(
    *, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    """Stream rows into a write-only workbook on disk and send it as an attachment with a
    Chinese file name (RFC 5987)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导出")
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for i, row in enumerate(rows):
        if i >= EXPORT_MAX_ROWS:
            break
        ws.append(list(row))
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    wb.save(tmp)
    tmp.seek(0)
    response = FileResponse(
        tmp,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
