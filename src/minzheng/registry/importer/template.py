"""The downloadable import template: a data sheet with the Chinese headers (identifier columns
formatted as text so that Excel keeps all 18 digits, drop-down lists on coded columns), an
instructions sheet listing every column and the values it accepts, and an example household."""

from __future__ import annotations

import datetime
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from minzheng.core.idnumbers import make_id_number
from minzheng.registry.importer import columns as c
from minzheng.registry.importer.reading import DATA_SHEET

INSTRUCTIONS_SHEET = "填写说明"
EXAMPLE_SHEET = "填写示例"
CODES_SHEET = "代码表"
TEXT_COLUMNS = {
    c.HOUSEHOLD_KEY,
    c.ID_NUMBER,
    c.PHONE,
    c.PERSON_REGION,
    c.DISABILITY_CERTIFICATE,
    c.HOUSEHOLD_REGION,
    c.BANK_ACCOUNT_NUMBER,
}
VALIDATED_ROWS = 5000
DEFAULT_EXAMPLE_VILLAGE = "341503100201"
NOTES = [
    "每行填写一名家庭成员;同一家庭的成员填写相同的“户编号”,每户有且只有一名“户主”。",
    "家庭住址、所在村(社区)区划代码和银行账户按户填写,只读取户主所在行。",
    "身份证号码、区划代码、银行账号等列已设为文本格式,请勿改为数字,否则超过15位的数字会丢失。",
    "可以选择导入方式:“整体导入”时,文件中有任何错误则整个文件都不导入;"
    "“跳过有错误的家庭”时,有错误的家庭整户不导入,其余家庭正常导入。",
    "导入完成后可下载错误清单,按行号修改后重新导入有错误的家庭。",
    "也可以导入相同表头的CSV文件(UTF-8或GBK编码)。",
]
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
REQUIRED_FONT = Font(bold=True, color="B42318")


def template_workbook(*, example_village: str = DEFAULT_EXAMPLE_VILLAGE) -> bytes:
    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = DATA_SHEET
    _header(data)
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET))
    example = wb.create_sheet(EXAMPLE_SHEET)
    _header(example)
    for row in example_rows(example_village):
        example.append(row)
    _drop_downs(data, _codes_sheet(wb))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def example_rows(village: str) -> list[list[str]]:
    """A believable three-person household in `village` (valid, made-up ID numbers)."""
    head_id = make_id_number("342401", datetime.date(1968, 3, 15), 131)
    spouse_id = make_id_number("342401", datetime.date(1971, 8, 2), 242)
    child_id = make_id_number("341503", datetime.date(2008, 11, 20), 357)
    address = "苏埠镇陶洪村张庄组12号"
    values = [
        ["H001", "户主", "张建国", head_id, "汉族", "13805641234", "农村", village, "已婚"],
        ["H001", "配偶", "李秀兰", spouse_id, "汉族", "", "农村", village, "已婚"],
        ["H001", "子女", "张宇", child_id, "汉族", "", "农村", village, "未婚"],
    ]
    extra = [
        ["初中", "有劳动能力", "", "", "", "", address, village, "农商银行", "张建国"],
        ["小学", "部分丧失劳动能力", "肢体残疾", "3级", f"{spouse_id}43", "", "", "", "", ""],
        ["高中/中专", "无劳动能力", "", "", "", "", "", "", "", ""],
    ]
    account = ["6228480000123456789", "", ""]
    return [v + e + [a] for v, e, a in zip(values, extra, account, strict=True)]


def _header(ws: Worksheet) -> None:
    ws.append(c.HEADERS)
    for i, column in enumerate(c.COLUMNS, 1):
        cell = ws.cell(row=1, column=i)
        cell.font = REQUIRED_FONT if column.required else BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = column.width
        if column.header in TEXT_COLUMNS:
            ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"


def _codes_sheet(wb: Workbook) -> dict[str, str]:
    """A hidden sheet with one column per coded column; returns the range of each list."""
    ws = wb.create_sheet(CODES_SHEET)
    ws.sheet_state = "hidden"
    ranges: dict[str, str] = {}
    for i, (header, labels) in enumerate(c.allowed_labels().items(), 1):
        letter = get_column_letter(i)
        ws.cell(row=1, column=i, value=header)
        for j, label in enumerate(labels, 2):
            ws.cell(row=j, column=i, value=label)
        ranges[header] = f"{CODES_SHEET}!${letter}$2:${letter}${len(labels) + 1}"
    return ranges


def _drop_downs(ws: Worksheet, ranges: dict[str, str]) -> None:
    for i, header in enumerate(c.HEADERS, 1):
        if header not in ranges:
            continue
        letter = get_column_letter(i)
        dv = DataValidation(type="list", formula1=f"={ranges[header]}", allow_blank=True)
        dv.error = f"请从下拉列表中选择{header}"
        dv.errorTitle = header
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{VALIDATED_ROWS}")


def _instructions(ws: Worksheet) -> None:
    ws.append(["居民家庭批量导入模板 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    for note in NOTES:
        ws.append([note])
    ws.append([])
    ws.append(["列名", "是否必填", "说明", "可填写的值"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    allowed = c.allowed_labels()
    for column in c.COLUMNS:
        values = "、".join(allowed.get(column.header, []))
        required = "必填" if column.required else "选填"
        ws.append([column.header, required, column.note, values])
    for letter, width in zip("ABCD", (22, 10, 52, 80), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
