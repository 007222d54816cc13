"""The validation report's reasons: a code per kind of problem, its Chinese label, whether it
refuses the dataset, and the sentence a clerk reads for one cell ("第12行 死亡日期“2026-13-01”不是
有效日期")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    label: str  # what the report's counts say
    error: bool  # True: any such row refuses the whole dataset
    template: str  # {row}, {column}, {value}, {first}


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason("required", "必填项为空", True, "第{row}行 {column}为空,该项必须填写"),
        Reason("bad_date", "不是有效日期", True, "第{row}行 {column}“{value}”不是有效日期"),
        Reason("bad_month", "不是有效月份", True, "第{row}行 {column}“{value}”不是有效月份"),
        Reason("bad_number", "不是有效数字", True, "第{row}行 {column}“{value}”不是有效数字"),
        Reason("negative", "不能为负数", True, "第{row}行 {column}“{value}”不能为负数"),
        Reason("bad_integer", "不是有效整数", True, "第{row}行 {column}“{value}”不是有效整数"),
        Reason("bad_sex", "性别无法识别", True, "第{row}行 {column}“{value}”无法识别,应为男或女"),
        Reason(
            "bad_region",
            "区划代码不是6位或12位数字",
            True,
            "第{row}行 {column}“{value}”不是6位或12位数字的区划代码",
        ),
        Reason(
            "id_invalid",
            "身份证号码无效(保留,仅用于模糊比对)",
            False,
            "第{row}行 {column}“{value}”不是有效的身份证号码,该行保留用于模糊比对",
        ),
        Reason(
            "id_missing",
            "身份证号码为空(保留,仅用于模糊比对)",
            False,
            "第{row}行 {column}为空,该行保留用于模糊比对",
        ),
        Reason(
            "duplicate",
            "重复行(已剔除)",
            False,
            "第{row}行与第{first}行完全相同,已剔除",
        ),
    )
}

WHOLE_ROW = "整行"

# Errors of the file itself (the validation fails rather than refuses).
FILE_EMPTY = "文件是空的"
FILE_FORMAT_UNKNOWN = "无法识别的文件格式:请上传CSV、XLSX或Parquet文件"
FILE_XLS = "不支持旧版Excel(.xls)文件,请在Excel中另存为.xlsx或CSV后再上传"
FILE_XLSX_UNREADABLE = "无法读取Excel文件:{error}"
FILE_PARQUET_UNREADABLE = "无法读取Parquet文件:{error}"
FILE_CSV_UNREADABLE = "无法读取CSV文件{where}:请检查分隔符、引号和字符编码"
FILE_CSV_LINE = "(第{line}行附近)"
FILE_NO_HEADER = "文件中没有找到列标题行"
FILE_NO_ROWS = "文件中没有数据行"
FILE_HEADING_MISSING = "文件中没有“{heading}”列"
FILE_ENCODING = "文件的字符编码无法识别(支持UTF-8和GBK/GB18030)"


def message(code: str, *, row: int, column: str = "", value: str = "", first: int = 0) -> str:
    return REASONS[code].template.format(row=row, column=column, value=value, first=first)
