"""The banks: batch files from configurable templates, the return files, the reissue queue of
failed payments and the recovery of overpayments.

A bank file has one row per payee (person + account) with the net of the payee's lines in the
run for that bank; lines keep bank_file and bank_row. A payee whose net is not positive gets no
row: the positive lines become OFFSET and the negative ones TO_RECOVER (追回台账).

Sending works on a run of any size without an ORM object per line: the payees are one GROUP BY
streamed from a (server-side) cursor into the file, and the lines get their file and row number
from one UPDATE ... FROM (the same GROUP BY with ROW_NUMBER()) per bank, on both databases.
Sums are taken in fen as integers so that SQLite's floating point never touches money."""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import itertools
import json
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from minzheng.core.audit import audit_record, diff, snapshot
from minzheng.core.models import Region, User
from minzheng.core.money import yuan
from minzheng.core.regions import code_prefix, prefix_q
from minzheng.core.scope import require_in_scope, scoped
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    BankTemplate,
    FundAccount,
    FundEntry,
    LineKind,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.payments.permissions import BANK_TEMPLATE_EDITORS, FUND_KEEPERS, PAYROLL_OPERATORS
from minzheng.payments.services.errors import PaymentConflict, PaymentError
from minzheng.payments.services.events import run_audit
from minzheng.payments.services.funds import fund_entry_add
from minzheng.programs.policies import POLICIES
from minzheng.registry.models import Household

# The template used for a bank that has none of its own (UTF-8 with BOM CSV, common columns).
DEFAULT_COLUMNS = [
    {"header": "序号", "field": "serial"},
    {"header": "户名", "field": "account_name"},
    {"header": "账号", "field": "account_number"},
    {"header": "身份证号码", "field": "id_number"},
    {"header": "金额", "field": "amount"},
    {"header": "摘要", "field": "remark"},
]
DEFAULT_RETURN_COLUMNS = {
    "account_number": "账号",
    "account_name": "户名",
    "id_number": "身份证号码",
    "amount": "金额",
    "result": "处理结果",
    "reason": "失败原因",
}
DEFAULT_SUCCESS_VALUES = ["成功", "交易成功", "已入账", "1", "S"]
# Result texts read as "not paid" (besides any text containing 失败); anything else is unknown.
DEFAULT_FAILURE_VALUES = [
    "失败",
    "交易失败",
    "未入账",
    "退回",
    "退票",
    "拒绝",
    "0",
    "F",
    "E",
    "户名不符",
    "户名不一致",
    "账号不存在",
    "账户已销户",
    "账户冻结",
    "账户状态异常",
]

# What each field of a template means, for the error messages and the template pages.
FIELD_LABELS: dict[str, str] = {
    "serial": "序号",
    "account_name": "户名",
    "account_number": "账号",
    "id_number": "身份证号码",
    "amount": "金额",
    "remark": "摘要",
    "person_name": "救助对象姓名",
    "village": "所在村(社区)",
    "program": "救助项目",
    "month": "所属月份",
    "result": "处理结果",
    "reason": "失败原因",
}
REQUIRED_BATCH_FIELDS = ("account_number", "amount")
REQUIRED_RETURN_FIELDS = ("account_number", "amount", "result")
DELIMITERS = (",", "|", "\t")
ARREARS_MARK = "(含补发)"

TEMPLATE_NOT_ALLOWED = "只有县(区)民政局经办人员或系统管理员可以设置银行文件模板"
TEMPLATE_BANK_MISSING = "请填写银行名称"
TEMPLATE_TAKEN = "本县(区)已有“{bank}”的银行文件模板"
TEMPLATE_FORMAT_INVALID = "请选择文件格式(CSV或Excel)"
TEMPLATE_ENCODING_INVALID = "请选择文字编码"
TEMPLATE_DELIMITER_INVALID = "分隔符只能是逗号、竖线或制表符"
TEMPLATE_COLUMNS_EMPTY = "请至少设置一列"
TEMPLATE_COLUMN_FIELD_INVALID = "第{n}列的内容“{field}”无效"
TEMPLATE_COLUMN_HEADER_MISSING = "第{n}列缺少列标题"
TEMPLATE_HEADER_DUPLICATE = "列标题“{header}”重复"
TEMPLATE_COLUMN_REQUIRED = "批量文件必须包含“{label}”列"
TEMPLATE_RETURN_FIELD_INVALID = "回盘文件列“{field}”无效"
TEMPLATE_RETURN_REQUIRED = "回盘文件必须设置“{label}”列的列标题"
TEMPLATE_SUCCESS_EMPTY = "请至少填写一个表示成功的处理结果"
TEMPLATE_REMARK_INVALID = "摘要模板只能使用{year}、{month}、{program}三个占位符"

OPERATE_NOT_ALLOWED = "只有县(区)民政局发放经办人员可以报送银行、导入回盘和重新发放"
RECOVERY_NOT_ALLOWED = "只有县(区)民政局经办人员可以登记追回"
SEND_NOT_LOCKED = "只有已锁定的发放批次可以生成银行文件报送银行"
XLSX_TOO_MANY_ROWS = "Excel文件最多容纳{limit}行,请将该银行的文件模板改为CSV格式"
CSV_UNENCODABLE = (
    "序号为{serial}的一行({name})含有{encoding}编码无法表示的字符“{char}”,"
    "请核对户名,或将该银行的文件模板改用GB18030或UTF-8编码"
)

RETURN_RUN_NOT_SENT = "该发放批次尚未报送银行,不能导入回盘"
RETURN_EMPTY = "回盘文件是空的"
RETURN_UNREADABLE = "无法读取回盘文件,请上传银行提供的CSV或Excel(xlsx)文件"
RETURN_ENCODING = "无法识别回盘文件的文字编码,请另存为UTF-8或GBK编码的CSV后重新导入"
RETURN_NO_HEADER = "回盘文件中找不到表头(需要包含列:{headers}),请核对银行文件模板的回盘列设置"
RETURN_NO_DATA = "回盘文件中没有数据行"
ROW_NO_ACCOUNT = "缺少账号"
ROW_ACCOUNT_LOST_DIGITS = "账号被Excel存成了数字,末几位已丢失,请让银行提供文本格式的账号"
ROW_UNKNOWN_ACCOUNT = "账号不在本批次文件中"
ROW_DUPLICATE = "回盘文件中该账号重复出现"
ROW_AMOUNT_UNREADABLE = "金额无法识别:{value}"
ROW_AMOUNT_DIFFERS = "金额与报盘金额不一致:报盘{sent}元,回盘{returned}元"
ROW_ID_DIFFERS = "身份证号码与报盘不一致"
ROW_AMBIGUOUS = "该账号在报盘文件中有多笔,无法确定对应哪一笔"
ROW_RESULT_UNKNOWN = "无法识别的处理结果:“{value}”"
ROW_ALREADY_APPLIED = "该笔已在此前的回盘中处理"

REISSUE_NOTHING = "请选择要重新发放的明细"
REISSUE_NOT_FAILED = "只有发放失败的明细可以重新发放:{names}"
REISSUE_ACCOUNT_UNCHANGED = "以下对象的银行账户尚未更正,不能重新发放:{names}"
REISSUE_NOT_POSITIVE = "以下对象重新发放的金额合计不大于0:{names}"

RECOVERY_NOT_OPEN = "只有待追回的明细可以登记追回"
RECOVERY_RECEIPT_MISSING = "请填写缴款凭证号"
RECOVERY_DATE_MISSING = "请填写追回日期"
RECOVERY_DATE_FUTURE = "追回日期不能晚于今天"
RECOVERY_AMOUNT_INVALID = "追回金额必须大于0且不超过应追回金额{owed}元"
RECOVERY_ACCOUNT_INVALID = "请选择本县(区)启用中的资金专户"

CHUNK = 5000
HEADER_SEARCH_ROWS = 20
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LOST_DIGITS = "\x00lost-digits"
_FILE_NAME_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
_TOTAL_WORDS = ("合计", "总计", "小计")


def _today() -> datetime.date:
    return timezone.localdate()


def _require_operator(actor: User) -> None:
    if actor.role not in PAYROLL_OPERATORS:
        raise PermissionDenied(OPERATE_NOT_ALLOWED)


def _county(region_code: str) -> str:
    return region_code[:6] + "000000"


def _money(amount: Decimal) -> str:
    return f"{yuan(amount):.2f}"


def _from_fen(value: Any) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def program_label(code: str) -> str:
    policy = POLICIES.get(code)
    return gettext(policy.label) if policy is not None else code


# --- templates --------------------------------------------------------------------------------


def _column_errors(columns: Any) -> list[str]:
    if not isinstance(columns, list) or not columns:
        return [TEMPLATE_COLUMNS_EMPTY]
    errors: list[str] = []
    seen: set[str] = set()
    fields: set[str] = set()
    for n, column in enumerate(columns, 1):
        column = column if isinstance(column, dict) else {}
        name = str(column.get("field") or "")
        header = str(column.get("header") or "").strip()
        if name not in BankTemplate.BATCH_FIELDS:
            errors.append(TEMPLATE_COLUMN_FIELD_INVALID.format(n=n, field=name))
        fields.add(name)
        if not header:
            errors.append(TEMPLATE_COLUMN_HEADER_MISSING.format(n=n))
        elif header in seen:
            errors.append(TEMPLATE_HEADER_DUPLICATE.format(header=header))
        seen.add(header)
    errors += [
        TEMPLATE_COLUMN_REQUIRED.format(label=FIELD_LABELS[f])
        for f in REQUIRED_BATCH_FIELDS
        if f not in fields
    ]
    return errors


def _return_column_errors(return_columns: Any) -> list[str]:
    if not isinstance(return_columns, dict):
        return [TEMPLATE_RETURN_REQUIRED.format(label=FIELD_LABELS["account_number"])]
    errors = [
        TEMPLATE_RETURN_FIELD_INVALID.format(field=f)
        for f in return_columns
        if f not in BankTemplate.RETURN_FIELDS
    ]
    headers = {f: str(h or "").strip() for f, h in return_columns.items()}
    errors += [
        TEMPLATE_RETURN_REQUIRED.format(label=FIELD_LABELS[f])
        for f in REQUIRED_RETURN_FIELDS
        if not headers.get(f)
    ]
    counts = Counter(h for h in headers.values() if h)
    errors += [TEMPLATE_HEADER_DUPLICATE.format(header=h) for h, n in counts.items() if n > 1]
    return errors


def _remark_ok(remark_template: str) -> bool:
    try:
        remark_template.format(year=2026, month=1, program="")
    except (KeyError, IndexError, ValueError, AttributeError):
        return False
    return True


def _template_errors(
    *,
    bank_name: str,
    file_format: str,
    encoding: str,
    delimiter: str,
    columns: Any,
    return_columns: Any,
    success_values: list[str],
    remark_template: str,
) -> dict[str, list[str]]:
    checks: dict[str, list[str]] = {
        "bank_name": [] if bank_name else [TEMPLATE_BANK_MISSING],
        "file_format": (
            [] if file_format in BankTemplate.Format.values else [TEMPLATE_FORMAT_INVALID]
        ),
        "encoding": [] if encoding in BankTemplate.Encoding.values else [TEMPLATE_ENCODING_INVALID],
        "delimiter": [] if delimiter in DELIMITERS else [TEMPLATE_DELIMITER_INVALID],
        "columns": _column_errors(columns),
        "return_columns": _return_column_errors(return_columns),
        "success_values": [] if success_values else [TEMPLATE_SUCCESS_EMPTY],
        "remark_template": [] if _remark_ok(remark_template) else [TEMPLATE_REMARK_INVALID],
    }
    return {k: v for k, v in checks.items() if v}


TEMPLATE_FIELDS = [
    "region_code",
    "bank_name",
    "file_format",
    "encoding",
    "delimiter",
    "columns",
    "return_columns",
    "success_values",
    "remark_template",
    "is_active",
]


@transaction.atomic
def bank_template_save(
    *,
    actor: User,
    region_code: str,
    bank_name: str,
    file_format: str,
    encoding: str,
    delimiter: str,
    columns: list[dict[str, str]],
    return_columns: dict[str, str],
    success_values: list[str],
    remark_template: str,
    template: BankTemplate | None = None,
) -> BankTemplate:
    """Create or update a county's template; fields validated against BATCH_FIELDS /
    RETURN_FIELDS (Chinese errors per field). BANK_TEMPLATE_EDITORS, in scope. A template
    belongs to the county (region_code is taken to its county)."""
    if actor.role not in BANK_TEMPLATE_EDITORS:
        raise PermissionDenied(TEMPLATE_NOT_ALLOWED)
    county = _county(region_code)
    require_in_scope(actor, county)
    if template is not None:
        require_in_scope(actor, template.region_code)
    bank_name = (bank_name or "").strip()
    success = [str(v).strip() for v in success_values or [] if str(v).strip()]
    remark_template = (remark_template or "").strip()
    errors = _template_errors(
        bank_name=bank_name,
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        return_columns=return_columns,
        success_values=success,
        remark_template=remark_template,
    )
    others = BankTemplate.objects.filter(region_code=county, bank_name=bank_name)
    if template is not None:
        others = others.exclude(pk=template.pk)
    if bank_name and others.exists():
        errors.setdefault("bank_name", []).append(TEMPLATE_TAKEN.format(bank=bank_name))
    if errors:
        raise PaymentError(errors)
    target = template if template is not None else BankTemplate()
    before = snapshot(target, TEMPLATE_FIELDS) if template is not None else {}
    target.region_code = county
    target.bank_name = bank_name
    target.file_format = file_format
    target.encoding = encoding
    target.delimiter = delimiter
    target.columns = [
        {"header": str(c["header"]).strip(), "field": str(c["field"])} for c in columns
    ]
    target.return_columns = {f: str(h).strip() for f, h in return_columns.items() if h}
    target.success_values = success
    target.remark_template = remark_template
    target.save()
    audit_record(
        actor=actor,
        action="bank_template.save",
        object_type="bank_template",
        object_id=target.pk,
        region_code=county,
        changes=diff(before, snapshot(target, TEMPLATE_FIELDS)),
    )
    return target


def _default_template(county: str, bank_name: str) -> BankTemplate:
    return BankTemplate(
        region_code=county,
        bank_name=bank_name,
        file_format=BankTemplate.Format.CSV,
        encoding=BankTemplate.Encoding.UTF8_BOM,
        delimiter=",",
        columns=[dict(c) for c in DEFAULT_COLUMNS],
        return_columns=dict(DEFAULT_RETURN_COLUMNS),
        success_values=list(DEFAULT_SUCCESS_VALUES),
    )


def template_for(region_code: str, bank_name: str) -> BankTemplate:
    """The county's template for the bank, else an unsaved default one."""
    county = _county(region_code)
    found = BankTemplate.objects.filter(
        region_code=county, bank_name=bank_name, is_active=True
    ).first()
    return found if found is not None else _default_template(county, bank_name)


def _file_template(region_code: str, bank_name: str) -> tuple[BankTemplate, BankTemplate]:
    """(the row a bank file points to, the template it is written with). A bank without a
    template of its own gets the default one saved for the county (a file needs a template
    row); an inactive template stays inactive and the file is written with the defaults."""
    template = template_for(region_code, bank_name)
    if template.pk is not None:
        return template, template
    stored, _ = BankTemplate.objects.get_or_create(
        region_code=template.region_code,
        bank_name=bank_name,
        defaults={
            "file_format": template.file_format,
            "encoding": template.encoding,
            "delimiter": template.delimiter,
            "columns": template.columns,
            "return_columns": template.return_columns,
            "success_values": template.success_values,
        },
    )
    return stored, (stored if stored.is_active else template)


def _return_template(bank_file: BankFile) -> BankTemplate:
    template = bank_file.template
    if template.is_active:
        return template
    return template_for(bank_file.run.region_code, bank_file.bank_name)


# --- rendering --------------------------------------------------------------------------------


def _cell(row: dict[str, object], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if name == "amount" and isinstance(value, Decimal):
        return _money(value)
    return str(value)


def _render_csv(template: BankTemplate, rows: Iterable[dict[str, object]]) -> bytes:
    columns = template.columns or DEFAULT_COLUMNS
    encoder = codecs.getincrementalencoder(template.encoding)(errors="strict")
    out = io.BytesIO()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=template.delimiter or ",", lineterminator="\r\n")

    def flush(row: dict[str, object] | None) -> None:
        chunk = text.getvalue()
        text.seek(0)
        text.truncate()
        try:
            out.write(encoder.encode(chunk))
        except UnicodeEncodeError as bad:
            row = row or {}
            raise PaymentError(
                CSV_UNENCODABLE.format(
                    serial=row.get("serial", ""),
                    name=row.get("account_name") or row.get("person_name") or "",
                    encoding=template.encoding.upper(),
                    char=bad.object[bad.start : bad.end],
                )
            ) from None

    writer.writerow([c["header"] for c in columns])
    flush(None)
    for row in rows:
        writer.writerow([_cell(row, c["field"]) for c in columns])
        flush(row)
    out.write(encoder.encode("", final=True))
    return out.getvalue()


XLSX_MAX_ROWS = 1_048_575  # a sheet's 1,048,576 rows, the header one of them


def _render_xlsx(template: BankTemplate, rows: Iterable[dict[str, object]]) -> bytes:
    columns = template.columns or DEFAULT_COLUMNS
    book = Workbook(write_only=True)
    sheet = book.create_sheet("发放明细")
    widths = {"account_number": 26, "id_number": 22, "remark": 30, "amount": 14}
    for i, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(column["field"], 14)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column["header"])
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for n, row in enumerate(rows, 1):
        if n > XLSX_MAX_ROWS:
            raise PaymentError(XLSX_TOO_MANY_ROWS.format(limit=XLSX_MAX_ROWS))
        cells = []
        for column in columns:
            name = column["field"]
            value = row.get(name)
            if name == "amount" and isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=yuan(value))
                cell.number_format = "0.00"
            elif name == "serial" and isinstance(value, int):
                cell = WriteOnlyCell(sheet, value=value)
            else:
                cell = WriteOnlyCell(sheet, value=_cell(row, name))
                cell.number_format = "@"  # text: Excel keeps every digit of an account
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bank_file_render(
    *, template: BankTemplate, rows: Iterable[dict[str, object]]
) -> tuple[bytes, str]:
    """The file's bytes and its extension for the given rows (CSV in the template's encoding -
    a name the encoding cannot write is an error naming the row - or XLSX). A row holds the
    BATCH_FIELDS (amount a Decimal, serial an int); `rows` may be any iterable (a generator
    streaming a large run)."""
    if template.file_format == BankTemplate.Format.XLSX:
        return _render_xlsx(template, rows), "xlsx"
    return _render_csv(template, rows), "csv"


# --- sending ----------------------------------------------------------------------------------


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


PAYEES = "tmp_bank_payees"
RETURNED_ROWS = "tmp_bank_returned_rows"


def _payees_collect(run: PayrollRun, bank_name: str) -> None:
    """The payees of one bank in a run with a positive net, numbered in file order, into a
    temporary table keyed like the lines (person, account). Both databases then join the lines
    to it by its primary key, never a scan per row."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PAYEES}")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {PAYEES} (
                pid BIGINT NOT NULL, acc VARCHAR(40) NOT NULL, rn INTEGER NOT NULL,
                account_name VARCHAR(50) NOT NULL, net_fen BIGINT NOT NULL,
                region_code VARCHAR(12) NOT NULL, extra INTEGER NOT NULL,
                PRIMARY KEY (pid, acc))"""
        )
        cursor.execute(
            f"""
            INSERT INTO {PAYEES} (pid, acc, rn, account_name, net_fen, region_code, extra)
            SELECT person_id, account_number,
                   ROW_NUMBER() OVER (ORDER BY MIN(region_code), person_id, account_number),
                   MAX(account_name), SUM(CAST(ROUND(amount * 100) AS BIGINT)),
                   MIN(region_code),
                   SUM(CASE WHEN kind IN ('{LineKind.ARREARS}', '{LineKind.ADJUSTMENT}')
                            THEN 1 ELSE 0 END)
            FROM {_table(PaymentLine)}
            WHERE run_id = %s AND status = '{LineStatus.PENDING}' AND bank_name = %s
              AND account_number <> ''
            GROUP BY person_id, account_number
            HAVING SUM(CAST(ROUND(amount * 100) AS BIGINT)) > 0
            """,  # noqa: S608 - table names and enum values only
            [run.pk, bank_name],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {PAYEES}")


@dataclass
class _Context:
    run: PayrollRun
    template: BankTemplate
    program: str
    villages: dict[str, str]

    def remark(self, extra: bool) -> str:
        month = self.run.month
        text = self.template.remark_template or "{year}年{month}月{program}"
        remark = text.format(year=month.year, month=month.month, program=self.program)
        return remark + ARREARS_MARK if extra else remark


def _row(
    ctx: _Context,
    *,
    serial: int,
    account_name: str,
    account_number: str,
    id_number: str,
    person_name: str,
    amount: Decimal,
    region_code: str,
    extra: bool,
) -> dict[str, object]:
    return {
        "serial": serial,
        "account_name": account_name or person_name,
        "account_number": account_number,
        "id_number": id_number,
        "amount": amount,
        "remark": ctx.remark(extra),
        "person_name": person_name,
        "village": ctx.villages.get(region_code, region_code),
        "program": ctx.program,
        "month": f"{ctx.run.month:%Y-%m}",
    }


@dataclass
class _Tally:
    count: int = 0
    total: Decimal = field(default_factory=lambda: Decimal("0.00"))


def _stream_payees(ctx: _Context, tally: _Tally) -> Generator[dict[str, object], None, None]:
    from minzheng.registry.models import Person

    sql = f"""
        SELECT g.rn, g.account_name, g.acc, p.id_number, p.name, g.net_fen, g.region_code,
               g.extra
        FROM {PAYEES} g JOIN {_table(Person)} p ON p.id = g.pid
        ORDER BY g.rn
    """  # noqa: S608
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(CHUNK):
            for rn, account_name, account, id_number, name, fen, region, extra in batch:
                amount = _from_fen(fen)
                tally.count += 1
                tally.total += amount
                yield _row(
                    ctx,
                    serial=int(rn),
                    account_name=account_name,
                    account_number=account,
                    id_number=id_number,
                    person_name=name,
                    amount=amount,
                    region_code=region,
                    extra=bool(extra),
                )


def _assign_rows(run: PayrollRun, bank_name: str, bank_file: BankFile) -> None:
    """Lines of the collected payees: SENT, their file and row number (one UPDATE)."""
    table = _table(PaymentLine)
    payee = f"g.pid = {table}.person_id AND g.acc = {table}.account_number"
    sql = f"""
        UPDATE {table}
        SET bank_file_id = %s, status = '{LineStatus.SENT}', attempts = attempts + 1,
            bank_row = (SELECT g.rn FROM {PAYEES} g WHERE {payee})
        WHERE run_id = %s AND status = '{LineStatus.PENDING}' AND bank_name = %s
          AND EXISTS (SELECT 1 FROM {PAYEES} g WHERE {payee})
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [bank_file.pk, run.pk, bank_name])


def _settle_without_row(run: PayrollRun, bank_name: str | None = None) -> None:
    """Lines still PENDING after the rows were assigned: a payee with a net <= 0 (positive
    lines OFFSET, negative ones TO_RECOVER); without a bank (bank_name None): NO_ACCOUNT."""
    pending = PaymentLine.objects.filter(run=run, status=LineStatus.PENDING)
    if bank_name is None:
        pending = pending.filter(Q(bank_name="") | Q(account_number=""))
        settled = LineStatus.NO_ACCOUNT
    else:
        pending = pending.filter(bank_name=bank_name).exclude(account_number="")
        settled = LineStatus.OFFSET
    pending.update(
        status=Case(
            When(amount__lt=0, then=Value(LineStatus.TO_RECOVER.value)),
            default=Value(settled.value),
        )
    )


def _region_names(region_code: str) -> dict[str, str]:
    return dict(
        Region.objects.filter(prefix_q("code", code_prefix(region_code))).values_list(
            "code", "name"
        )
    )


def _file_name(run: PayrollRun, bank_name: str, content: bytes, ext: str, reissue: bool) -> str:
    region = Region.objects.filter(code=run.region_code).values_list("name", flat=True).first()
    parts = [region or run.region_code, bank_name, program_label(run.program)]
    parts.append(f"{run.month:%Y%m}")
    if reissue:
        parts.append("重发")
    parts.append(hashlib.sha256(content).hexdigest()[:8].upper())
    name = "_".join(_FILE_NAME_UNSAFE.sub("", p) for p in parts)
    return f"{name[:190]}.{ext}"


def _send_bank(
    actor: User, run: PayrollRun, bank_name: str, villages: dict[str, str]
) -> BankFile | None:
    stored, template = _file_template(run.region_code, bank_name)
    ctx = _Context(run, template, program_label(run.program), villages)
    tally = _Tally()
    _payees_collect(run, bank_name)
    rows = _stream_payees(ctx, tally)
    try:
        content, ext = bank_file_render(template=template, rows=rows)
    finally:
        rows.close()  # the cursor closes before anything else runs on the connection
    bank_file = None
    if tally.count:
        bank_file = BankFile.objects.create(
            run=run,
            kind=BankFile.Kind.REGULAR,
            bank_name=bank_name,
            template=stored,
            file_name=_file_name(run, bank_name, content, ext, reissue=False),
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            row_count=tally.count,
            total_amount=tally.total,
            created_by=actor,
        )
        _assign_rows(run, bank_name, bank_file)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {PAYEES}")
    _settle_without_row(run, bank_name)
    return bank_file


def _file_summary(files: Iterable[BankFile]) -> list[dict[str, object]]:
    return [
        {
            "id": f.pk,
            "file_name": f.file_name,
            "bank_name": f.bank_name,
            "rows": f.row_count,
            "amount": str(f.total_amount),
        }
        for f in files
    ]


def _move(run: PayrollRun, *, to: str, before: str, **fields: Any) -> None:
    """The run's status changes (version + 1) unless someone moved it meanwhile."""
    moved = PayrollRun.objects.filter(pk=run.pk, status=before, version=run.version).update(
        status=to, version=F("version") + 1, **fields
    )
    if not moved:
        raise PaymentConflict()
    run.refresh_from_db()


def _reconcile_if_settled(actor: User | None, run: PayrollRun) -> bool:
    if run.status != RunStatus.SENT:
        return False
    if PaymentLine.objects.filter(run=run, status=LineStatus.SENT).exists():
        return False
    _move(run, to=RunStatus.RECONCILED, before=RunStatus.SENT, reconciled_at=timezone.now())
    run_audit(run, actor, "payroll.reconcile", status=[RunStatus.SENT, RunStatus.RECONCILED])
    return True


@transaction.atomic
def run_send(*, actor: User, run: PayrollRun, version: int | None = None) -> list[BankFile]:
    """A LOCKED run: one BankFile per bank (lines grouped by bank_name), lines SENT with
    attempts + 1, run SENT. Running it again on a SENT run returns the same files.

    Lines without a bank or an account become NO_ACCOUNT (negative ones TO_RECOVER); a run
    left with nothing at a bank is reconciled at once."""
    _require_operator(actor)
    require_in_scope(actor, run.region_code)
    locked = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if locked.status in (RunStatus.SENT, RunStatus.RECONCILED):
        run.refresh_from_db()
        return list(locked.bank_files.filter(kind=BankFile.Kind.REGULAR).order_by("id"))
    if version is not None and locked.version != version:
        raise PaymentConflict()
    if locked.status != RunStatus.LOCKED:
        raise PaymentError(SEND_NOT_LOCKED)
    _settle_without_row(locked)
    banks = (
        PaymentLine.objects.filter(run=locked, status=LineStatus.PENDING)
        .values_list("bank_name", flat=True)
        .distinct()
        .order_by("bank_name")
    )
    villages = _region_names(locked.region_code)
    files = [f for bank in list(banks) if (f := _send_bank(actor, locked, bank, villages))]
    _move(locked, to=RunStatus.SENT, before=RunStatus.LOCKED, sent_by=actor, sent_at=timezone.now())
    run_audit(
        locked,
        actor,
        "payroll.send",
        status=[RunStatus.LOCKED, RunStatus.SENT],
        files=_file_summary(files),
    )
    _reconcile_if_settled(actor, locked)
    run.refresh_from_db()
    return files


# --- return files -----------------------------------------------------------------------------


ReturnRow = tuple[int, dict[str, str]]  # (row number as Excel shows it, field -> text)
Record = tuple[int, list[str]]  # (row number, cells)
Source = Callable[[], Iterator[Record]]  # a fresh pass over a table's records


def _plain_header(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\ufeff", ""))


def _excel_text(value: Any) -> str:
    """A cell as the clerk would read it: integral numbers without .0 (an account number
    stored as a number beyond float precision has lost its last digits)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value)
        if abs(value) >= 1e15:
            return LOST_DIGITS
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()[:10]
    return "" if value is None else str(value).strip()


def _excel_sources(content: bytes) -> list[Source]:
    """Every sheet of the workbook (the header search picks the one)."""
    try:
        if content.startswith(ZIP_MAGIC):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED_BYTES:
                    raise PaymentError(RETURN_UNREADABLE)
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets: list[list[Record]] = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            # from the sheet's row 1 on (leading empty rows kept): numbers as Excel shows them
            values = sheet.to_python(skip_empty_area=False)
            sheets.append([(i, [_excel_text(v) for v in row]) for i, row in enumerate(values, 1)])
    except PaymentError:
        raise
    except Exception:  # calamine raises its own errors, zipfile others: unreadable either way
        raise PaymentError(RETURN_UNREADABLE) from None
    return [lambda records=records: iter(records) for records in sheets]  # type: ignore[misc]


def _csv_source(text: str, delimiter: str) -> Source:
    def records() -> Iterator[Record]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            yield from enumerate(reader, 1)
        except csv.Error:
            raise PaymentError(RETURN_UNREADABLE) from None

    return records


def _csv_sources(content: bytes, template: BankTemplate) -> list[Source]:
    """The text read with each plausible delimiter (the header search picks the one)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PaymentError(RETURN_ENCODING)
    if "\x00" in text:
        raise PaymentError(RETURN_UNREADABLE)
    first = template.delimiter if template.delimiter in DELIMITERS else ","
    delimiters = [first] + [d for d in DELIMITERS if d != first]
    return [_csv_source(text, d) for d in delimiters]


def _locate(
    sources: list[Source], headers: dict[str, str]
) -> tuple[Source, int, dict[str, int]] | None:
    """The first table with a header row holding the required headers: (the table, the header's
    row number, field -> column)."""
    wanted = {f: _plain_header(h) for f, h in headers.items() if h}
    required = [wanted[f] for f in REQUIRED_RETURN_FIELDS]
    for source in sources:
        try:
            head = list(itertools.islice(source(), HEADER_SEARCH_ROWS))
        except PaymentError:
            continue
        for number, cells in head:
            plain = [_plain_header(c) for c in cells]
            if all(h in plain for h in required):
                columns = {f: plain.index(h) for f, h in wanted.items() if h in plain}
                return source, number, columns
    return None


def _read_return(content: bytes, template: BankTemplate) -> Callable[[], Iterator[ReturnRow]]:
    """A fresh pass over the data rows of a return file (blank rows left out), or the file
    refused whole."""
    if not content.strip():
        raise PaymentError(RETURN_EMPTY)
    is_excel = content.startswith((ZIP_MAGIC, OLE_MAGIC))
    sources = _excel_sources(content) if is_excel else _csv_sources(content, template)
    headers = template.return_columns or DEFAULT_RETURN_COLUMNS
    found = _locate(sources, headers)
    if found is None:
        names = "、".join(str(headers.get(f, FIELD_LABELS[f])) for f in REQUIRED_RETURN_FIELDS)
        raise PaymentError(RETURN_NO_HEADER.format(headers=names))
    source, header_row, columns = found

    def rows() -> Iterator[ReturnRow]:
        for number, cells in source():
            if number <= header_row or not any(c.strip() for c in cells):
                continue
            yield (
                number,
                {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()},
            )

    if next(rows(), None) is None:
        raise PaymentError(RETURN_NO_DATA)
    return rows


@dataclass(slots=True)
class _FileRow:
    bank_row: int
    id_number: str
    fen: int  # the row's amount in fen (a million rows: no Decimal each)
    settled: bool

    @property
    def amount(self) -> Decimal:
        return _from_fen(self.fen)


def _file_rows(bank_file: BankFile) -> dict[str, list[_FileRow]]:
    """The rows of the file as its lines say now: account -> rows (usually one)."""
    from minzheng.registry.models import Person

    sql = f"""
        SELECT l.bank_row, l.account_number, MAX(p.id_number),
               SUM(CAST(ROUND(l.amount * 100) AS BIGINT)),
               SUM(CASE WHEN l.status = '{LineStatus.SENT}' THEN 1 ELSE 0 END)
        FROM {_table(PaymentLine)} l JOIN {_table(Person)} p ON p.id = l.person_id
        WHERE l.bank_file_id = %s
        GROUP BY l.bank_row, l.account_number
    """  # noqa: S608
    rows: dict[str, list[_FileRow]] = defaultdict(list)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [bank_file.pk])
        while batch := cursor.fetchmany(CHUNK):
            for bank_row, account, id_number, fen, open_lines in batch:
                rows[account].append(_FileRow(bank_row, id_number, int(fen), not open_lines))
    return rows


def _clean_account(text: str) -> str:
    if text.isdigit():
        return text
    text = text.strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return re.sub(r"\s+", "", text.lstrip("'`"))


def _parse_amount(text: str) -> Decimal | None:
    cleaned = re.sub("[\\s,\uff0c元\u00a5\uffe5]", "", text)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


FAILURE_VALUES = frozenset(v.upper() for v in DEFAULT_FAILURE_VALUES)


def _reader(template: BankTemplate) -> Callable[[str], bool | None]:
    """The template's reading of a result text: True paid, False failed, None unknown."""
    success = {str(v).strip().upper() for v in template.success_values or DEFAULT_SUCCESS_VALUES}

    def read(text: str) -> bool | None:
        value = text.strip().upper()
        if value in success:
            return True
        if value in FAILURE_VALUES or "失败" in value:
            return False
        return None

    return read


@dataclass
class _Outcome:
    rows: int = 0
    paid: list[_FileRow] = field(default_factory=list)
    failed: list[tuple[_FileRow, str]] = field(default_factory=list)
    problems: list[dict[str, object]] = field(default_factory=list)


def _pick(candidates: list[_FileRow], id_number: str, amount: Decimal) -> _FileRow | str:
    """The file row a return row answers, or why none can be chosen."""
    if id_number:
        candidates = [c for c in candidates if c.id_number.upper() == id_number.upper()]
        if not candidates:
            return ROW_ID_DIFFERS
    fen = amount * 100
    matching = [c for c in candidates if c.fen == fen]
    if not matching:
        return ROW_AMOUNT_DIFFERS.format(sent=_money(candidates[0].amount), returned=amount)
    if len(matching) > 1:
        return ROW_AMBIGUOUS
    return matching[0]


def _match(
    rows: Callable[[], Iterator[ReturnRow]],
    file_rows: dict[str, list[_FileRow]],
    template: BankTemplate,
) -> _Outcome:
    outcome = _Outcome()
    seen = Counter(_clean_account(values.get("account_number", "")) for _, values in rows())
    outcome.rows = seen.total()
    used: set[int] = set()
    result_of = _reader(template)

    def problem(number: int, values: dict[str, str], reason: str) -> None:
        outcome.problems.append(
            {
                "row": number,
                "account_number": values.get("account_number", ""),
                "account_name": values.get("account_name", ""),
                "amount": values.get("amount", ""),
                "reason": reason,
            }
        )

    for number, values in rows():
        account = _clean_account(values.get("account_number", ""))
        if not account:
            if not any(w in v for v in values.values() for w in _TOTAL_WORDS):
                problem(number, values, ROW_NO_ACCOUNT)
            continue
        if account == LOST_DIGITS:
            values["account_number"] = ""
            problem(number, values, ROW_ACCOUNT_LOST_DIGITS)
            continue
        candidates = file_rows.get(account, [])
        if not candidates:
            problem(number, values, ROW_UNKNOWN_ACCOUNT)
            continue
        if seen[account] > len(candidates):
            problem(number, values, ROW_DUPLICATE)
            continue
        amount = _parse_amount(values.get("amount", ""))
        if amount is None:
            problem(number, values, ROW_AMOUNT_UNREADABLE.format(value=values.get("amount", "")))
            continue
        picked = _pick(candidates, values.get("id_number", "").strip(), amount)
        if isinstance(picked, str):
            problem(number, values, picked)
            continue
        if picked.bank_row in used:
            problem(number, values, ROW_DUPLICATE)
            continue
        if picked.settled:
            problem(number, values, ROW_ALREADY_APPLIED)
            continue
        result = result_of(values.get("result", ""))
        if result is None:
            problem(number, values, ROW_RESULT_UNKNOWN.format(value=values.get("result", "")))
            continue
        used.add(picked.bank_row)
        if result:
            outcome.paid.append(picked)
        else:
            reason = values.get("reason", "").strip() or values.get("result", "").strip()
            outcome.failed.append((picked, reason[:200]))
    return outcome


def _json_rows_sql() -> str:
    """A table (r, status, reason) of the JSON array [[bank_row, status, reason], ...] given as
    the parameter."""
    if connection.vendor == "postgresql":
        return "SELECT (e->>0)::int, e->>1, e->>2 FROM jsonb_array_elements(%s::jsonb) e"
    return (
        "SELECT CAST(json_extract(value, '$[0]') AS INTEGER), json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]') FROM json_each(%s)"
    )


def _apply(bank_file: BankFile, outcome: _Outcome, today: datetime.date) -> None:
    """The matched rows' lines PAID or FAILED: the rows go to a temporary table (as one JSON
    parameter), then one UPDATE per outcome driven by the file's lines."""
    pairs = [[r.bank_row, LineStatus.PAID.value, ""] for r in outcome.paid]
    pairs += [[r.bank_row, LineStatus.FAILED.value, reason] for r, reason in outcome.failed]
    if not pairs:
        return
    table = _table(PaymentLine)
    chosen = f"""{table}.bank_file_id = %s AND {table}.status = '{LineStatus.SENT}'
        AND {table}.bank_row IN (SELECT t.r FROM {RETURNED_ROWS} t WHERE t.status = %s)"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RETURNED_ROWS}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RETURNED_ROWS} (r INTEGER PRIMARY KEY, "
            "status VARCHAR(12) NOT NULL, reason VARCHAR(200) NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {RETURNED_ROWS} (r, status, reason) {_json_rows_sql()}",
            [json.dumps(pairs, ensure_ascii=False)],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {RETURNED_ROWS}")
        cursor.execute(
            f"UPDATE {table} SET status = %s, paid_on = %s WHERE {chosen}",  # noqa: S608
            [
                LineStatus.PAID.value,
                connection.ops.adapt_datefield_value(today),
                bank_file.pk,
                LineStatus.PAID.value,
            ],
        )
        cursor.execute(
            f"""UPDATE {table} SET status = %s, failure_reason =
                (SELECT t.reason FROM {RETURNED_ROWS} t WHERE t.r = {table}.bank_row)
                WHERE {chosen}""",  # noqa: S608
            [LineStatus.FAILED.value, bank_file.pk, LineStatus.FAILED.value],
        )
        cursor.execute(f"DROP TABLE {RETURNED_ROWS}")


@transaction.atomic
def bank_return_import(
    *, actor: User, bank_file: BankFile, content: bytes, file_name: str
) -> BankReturn:
    """Apply the bank's return file (CSV in UTF-8/GBK or XLSX, headers per the template's
    return_columns). A row is matched to the file's row by account number; it is applied only
    when the account is in the file, the amount equals the row's amount and the account appears
    once in the return: paid -> lines PAID (paid_on), failed -> lines FAILED with the reason and
    the failed money booked back on the fund account (BANK_RETURN). Every other row is listed in
    `problems` with its row number and reason and changes nothing. A file that cannot be read at
    all (no header, wrong columns) is refused whole with PaymentError. When no line of the run
    is SENT any more, the run is RECONCILED."""
    _require_operator(actor)
    locked = (
        BankFile.objects.select_for_update(of=("self",))
        .select_related("template")
        .get(pk=bank_file.pk)
    )
    run = (
        PayrollRun.objects.select_for_update(of=("self",))
        .select_related("fund_account")
        .get(pk=locked.run_id)
    )
    require_in_scope(actor, run.region_code)
    if run.status not in (RunStatus.SENT, RunStatus.RECONCILED):
        raise PaymentError(RETURN_RUN_NOT_SENT)
    locked.run = run
    template = _return_template(locked)
    outcome = _match(_read_return(content, template), _file_rows(locked), template)
    today = _today()
    _apply(locked, outcome, today)
    paid_amount = sum((r.amount for r in outcome.paid), Decimal("0.00"))
    failed_amount = sum((r.amount for r, _ in outcome.failed), Decimal("0.00"))
    if failed_amount and run.fund_account is not None:
        fund_entry_add(
            actor=actor,
            account=run.fund_account,
            kind=FundEntry.Kind.BANK_RETURN,
            amount=failed_amount,
            entry_date=today,
            document_number=locked.file_name[:100],
            note=f"{locked.bank_name}回盘:发放失败{len(outcome.failed)}笔"[:200],
            run=run,
        )
    returned = BankReturn.objects.create(
        bank_file=locked,
        file_name=(file_name or "")[:200],
        rows=outcome.rows,
        paid_count=len(outcome.paid),
        failed_count=len(outcome.failed),
        paid_amount=paid_amount,
        failed_amount=failed_amount,
        problems=outcome.problems,
        created_by=actor,
    )
    if (
        locked.status != BankFile.Status.RETURNED
        and not locked.lines.filter(status=LineStatus.SENT).exists()
    ):
        BankFile.objects.filter(pk=locked.pk).update(status=BankFile.Status.RETURNED)
    run_audit(
        run,
        actor,
        "payroll.bank_return",
        file=locked.file_name,
        return_file=returned.file_name,
        paid=returned.paid_count,
        failed=returned.failed_count,
        amount=str(paid_amount),
        failed_amount=str(failed_amount),
        problems=len(outcome.problems),
    )
    _reconcile_if_settled(actor, run)
    bank_file.refresh_from_db()
    return returned


# --- reissue ----------------------------------------------------------------------------------


def reissue_queue(user: User) -> QuerySet[PaymentLine]:
    """FAILED lines in the user's scope, newest first (annotated `account_fixed`: the household's
    account now differs from the one that failed, and is not empty)."""
    current = Household.objects.filter(pk=OuterRef("household_id")).values("bank_account_number")[
        :1
    ]
    return (
        scoped(PaymentLine.objects.filter(status=LineStatus.FAILED), user)
        .annotate(current_account=Subquery(current))
        .annotate(
            account_fixed=Case(
                When(
                    Q(current_account__gt="") & ~Q(current_account=F("account_number")),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("run", "person", "household")
        .order_by("-month", "-id")
    )


def _names(lines: Iterable[PaymentLine]) -> str:
    return "、".join(dict.fromkeys(line.person.name for line in lines))


def _reissue_lines(actor: User, lines: list[PaymentLine]) -> list[PaymentLine]:
    """The chosen lines, locked, checked: FAILED, in scope, the account corrected."""
    if not lines:
        raise PaymentError(REISSUE_NOTHING)
    locked = list(
        PaymentLine.objects.select_for_update(of=("self",))
        .filter(pk__in=[line.pk for line in lines])
        .select_related("person", "household", "run")
        .order_by("region_code", "person_id", "id")
    )
    for line in locked:
        require_in_scope(actor, line.region_code)
    not_failed = [line for line in locked if line.status != LineStatus.FAILED]
    if not_failed:
        raise PaymentError(REISSUE_NOT_FAILED.format(names=_names(not_failed)))
    unchanged = [
        line
        for line in locked
        if not line.household.bank_account_number
        or not line.household.bank_name
        or line.household.bank_account_number == line.account_number
    ]
    if unchanged:
        raise PaymentError(REISSUE_ACCOUNT_UNCHANGED.format(names=_names(unchanged)))
    return locked


def _reissue_file(
    actor: User, run: PayrollRun, bank_name: str, lines: list[PaymentLine]
) -> BankFile:
    stored, template = _file_template(run.region_code, bank_name)
    ctx = _Context(run, template, program_label(run.program), _region_names(run.region_code))
    payees: dict[tuple[int, str], list[PaymentLine]] = defaultdict(list)
    for line in lines:
        payees[(line.person_id, line.household.bank_account_number)].append(line)
    rows = []
    for serial, group in enumerate(payees.values(), 1):
        first = group[0]
        rows.append(
            _row(
                ctx,
                serial=serial,
                account_name=first.household.bank_account_name,
                account_number=first.household.bank_account_number,
                id_number=first.person.id_number,
                person_name=first.person.name,
                amount=sum((line.amount for line in group), Decimal("0.00")),
                region_code=first.region_code,
                extra=any(line.kind in (LineKind.ARREARS, LineKind.ADJUSTMENT) for line in group),
            )
        )
    content, ext = bank_file_render(template=template, rows=rows)
    total = sum((line.amount for line in lines), Decimal("0.00"))
    bank_file = BankFile.objects.create(
        run=run,
        kind=BankFile.Kind.REISSUE,
        bank_name=bank_name,
        template=stored,
        file_name=_file_name(run, bank_name, content, ext, reissue=True),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=len(rows),
        total_amount=total,
        created_by=actor,
    )
    for serial, group in enumerate(payees.values(), 1):
        household = group[0].household
        PaymentLine.objects.filter(pk__in=[line.pk for line in group]).update(
            bank_file=bank_file,
            bank_row=serial,
            status=LineStatus.SENT,
            attempts=F("attempts") + 1,
            failure_reason="",
            bank_name=household.bank_name,
            account_name=household.bank_account_name,
            account_number=household.bank_account_number,
        )
    return bank_file


@transaction.atomic
def reissue(*, actor: User, lines: list[PaymentLine]) -> list[BankFile]:
    """Send FAILED lines whose household account has been corrected again: new REISSUE bank
    files per run and bank, account copied anew, lines SENT, REISSUE entry booked. Lines whose
    account is unchanged are refused (PaymentError listing them). The failure reasons are
    cleared on the lines and kept in the payroll.reissue event."""
    _require_operator(actor)
    locked = _reissue_lines(actor, lines)
    by_run: dict[int, list[PaymentLine]] = defaultdict(list)
    for line in locked:
        by_run[line.run_id].append(line)
    files: list[BankFile] = []
    for run_id, run_lines in by_run.items():
        run = (
            PayrollRun.objects.select_for_update(of=("self",))
            .select_related("fund_account")
            .get(pk=run_id)
        )
        require_in_scope(actor, run.region_code)
        payees: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for line in run_lines:
            payees[(line.person_id, line.household.bank_account_number)] += line.amount
        bad = [
            line
            for line in run_lines
            if payees[(line.person_id, line.household.bank_account_number)] <= 0
        ]
        if bad:
            raise PaymentError(REISSUE_NOT_POSITIVE.format(names=_names(bad)))
        by_bank: dict[str, list[PaymentLine]] = defaultdict(list)
        for line in run_lines:
            by_bank[line.household.bank_name].append(line)
        run_files = [_reissue_file(actor, run, bank, group) for bank, group in by_bank.items()]
        files += run_files
        total = sum((f.total_amount for f in run_files), Decimal("0.00"))
        if run.fund_account is not None:
            fund_entry_add(
                actor=actor,
                account=run.fund_account,
                kind=FundEntry.Kind.REISSUE,
                amount=-total,
                entry_date=_today(),
                document_number=run_files[0].file_name[:100],
                note=f"失败重发{len(run_lines)}笔"[:200],
                run=run,
            )
        moved: dict[str, Any] = {}
        if run.status == RunStatus.RECONCILED:
            _move(run, to=RunStatus.SENT, before=RunStatus.RECONCILED, reconciled_at=None)
            moved["status"] = [RunStatus.RECONCILED, RunStatus.SENT]
        run_audit(
            run,
            actor,
            "payroll.reissue",
            **moved,
            files=_file_summary(run_files),
            amount=str(total),
            lines=[
                {
                    "id": line.pk,
                    "person": line.person.name,
                    "old_account": line.account_number,
                    "new_account": line.household.bank_account_number,
                    "failure_reason": line.failure_reason,
                }
                for line in run_lines
            ],
        )
    return files


# --- recovery ---------------------------------------------------------------------------------


@transaction.atomic
def recovery_record(
    *,
    actor: User,
    line: PaymentLine,
    receipt: str,
    recovered_on: datetime.date,
    fund_account: FundAccount,
    amount: Decimal | None = None,
) -> PaymentLine:
    """A TO_RECOVER line's money came back (receipt number): the line RECOVERED, RECOVERY entry
    booked on the fund account. `amount` defaults to what the line owes (-line.amount); a
    smaller amount (the payee's other lines were offset against it) closes the line too.
    PAYROLL_OPERATORS or FUND_KEEPERS, in scope; the recovery date is kept as paid_on."""
    if actor.role not in PAYROLL_OPERATORS | FUND_KEEPERS:
        raise PermissionDenied(RECOVERY_NOT_ALLOWED)
    locked = (
        PaymentLine.objects.select_for_update(of=("self",)).select_related("run").get(pk=line.pk)
    )
    require_in_scope(actor, locked.region_code)
    if locked.status != LineStatus.TO_RECOVER:
        raise PaymentError(RECOVERY_NOT_OPEN)
    owed = -locked.amount
    amount = owed if amount is None else amount
    errors: dict[str, list[str]] = {}
    receipt = (receipt or "").strip()
    if not receipt:
        errors["receipt"] = [RECOVERY_RECEIPT_MISSING]
    if recovered_on is None:
        errors["recovered_on"] = [RECOVERY_DATE_MISSING]
    elif recovered_on > _today():
        errors["recovered_on"] = [RECOVERY_DATE_FUTURE]
    if not isinstance(amount, Decimal) or not (0 < amount <= owed) or amount != yuan(amount):
        errors["amount"] = [RECOVERY_AMOUNT_INVALID.format(owed=_money(owed))]
    if (
        not fund_account.is_active
        or fund_account.region_code[:6] != locked.run.region_code[:6]
        or fund_account.program not in ("", locked.program)
    ):
        errors["fund_account"] = [RECOVERY_ACCOUNT_INVALID]
    if errors:
        raise PaymentError(errors)
    fund_entry_add(
        actor=actor,
        account=fund_account,
        kind=FundEntry.Kind.RECOVERY,
        amount=amount,
        entry_date=recovered_on,
        document_number=receipt[:100],
        note=f"追回{locked.month:%Y年%m月}多发资金"[:200],
        run=locked.run,
    )
    PaymentLine.objects.filter(pk=locked.pk).update(
        status=LineStatus.RECOVERED, paid_on=recovered_on
    )
    run_audit(
        locked.run,
        actor,
        "payroll.recovery",
        line=locked.pk,
        person=locked.person_id,
        amount=str(amount),
        receipt=receipt,
        fund_account=fund_account.pk,
        status=[LineStatus.TO_RECOVER, LineStatus.RECOVERED],
    )
    locked.refresh_from_db()
    return locked
