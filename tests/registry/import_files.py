"""Import files for the import tests: rows as a clerk fills the template, written as XLSX or CSV
in any encoding, and a runner that imports them through the service like the task does."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

from openpyxl import Workbook

from minzheng.core.models import User
from minzheng.registry.importer.columns import HEADERS
from minzheng.registry.importer.service import import_job_run, import_job_start
from minzheng.registry.models import ImportJob
from tests.conftest import VILLAGE
from tests.factories import new_id_number


def person(
    key: str, relationship: str, name: str, *, id_number: str = "", **cells: str
) -> dict[str, str]:
    """One row of the template; household columns are filled for the 户主."""
    row = {
        "户编号": key,
        "与户主关系": relationship,
        "姓名": name,
        "身份证号码": id_number or new_id_number(),
        "户籍性质": "农村",
        "户籍所在地区划代码": VILLAGE,
    }
    if relationship == "户主":
        row.update({"家庭住址": f"陶洪村{key}号", "所在村(社区)区划代码": VILLAGE})
    row.update(cells)
    return row


def family(key: str, size: int = 3, **head_cells: str) -> list[dict[str, str]]:
    """A household of `size`: head, spouse, then children born after 2000."""
    rows = [person(key, "户主", "张建国", **head_cells)]
    if size > 1:
        rows.append(person(key, "配偶", "李秀兰", id_number=new_id_number(male=False)))
    for i in range(size - 2):
        child = new_id_number(birth=datetime.date(2005, 1, 1) + datetime.timedelta(days=i))
        rows.append(person(key, "子女", f"张小{i}", id_number=child))
    return rows


def table(rows: list[dict[str, str]], headers: list[str] | None = None) -> list[list[str]]:
    headers = headers or HEADERS
    return [headers] + [[r.get(h, "") for h in headers] for r in rows]


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "导入数据") -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def run_import(actor: User, path: Path, mode: str = "strict") -> ImportJob:
    job = import_job_start(actor=actor, file_name=path.name, mode=mode)
    return import_job_run(job_id=job.pk, path=path)


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["reason"]) for e in job.errors]
