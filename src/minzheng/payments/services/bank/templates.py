"""The banks' file templates: the defaults, their validation, saving a county's template and
finding the one a bank file is written (or its return read) with."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from minzheng.core.audit import audit_record, diff, snapshot
from minzheng.core.models import User
from minzheng.core.scope import require_in_scope
from minzheng.payments.models import BankFile, BankTemplate
from minzheng.payments.permissions import BANK_TEMPLATE_EDITORS
from minzheng.payments.services.errors import PaymentError

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


def _county(region_code: str) -> str:
    return region_code[:6] + "000000"


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
