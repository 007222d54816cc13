"""Reading and validating delivered files (matching.intake): formats and encodings, headings
below title rows, the guessed mapping, row errors with their row numbers, invalid ID numbers
kept, repeated rows dropped, and the canonical Parquet. Pure functions over files: no
database."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stdnum.cn import ric

from minzheng.core.idnumbers import make_id_number
from minzheng.matching import intake
from minzheng.matching.intake import sql as S
from minzheng.matching.intake.files import IntakeError
from minzheng.matching.schemas import schema_for

TODAY = datetime.date(2026, 11, 22)
DEATH = schema_for("death")
ID_A = make_id_number("341503", datetime.date(1950, 3, 4), 11)  # male
ID_B = make_id_number("341503", datetime.date(1960, 7, 8), 12)  # female
ID_X = next(
    make_id_number("341503", datetime.date(1948, 1, 2), n)
    for n in range(1, 999)
    if make_id_number("341503", datetime.date(1948, 1, 2), n).endswith("X")
)


def excel_time(*parts: int) -> datetime.datetime:
    """A date-and-time cell: Excel has no time zones."""
    return datetime.datetime(*parts)  # noqa: DTZ001


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def run(
    path: Path,
    tmp_path: Path,
    schema: Any = DEATH,
    mapping: dict[str, str] | None = None,
    file_name: str = "",
) -> tuple[intake.IntakeResult, list[dict[str, Any]]]:
    layout = intake.sniff(path, schema, file_name)
    if mapping is None:
        mapping = intake.guess_mapping(schema, layout.headers)
    target = tmp_path / "out" / "data.parquet"
    target.unlink(missing_ok=True)
    result = intake.validate_file(
        path=path,
        layout=layout,
        schema=schema,
        mapping=mapping,
        target=target,
        workdir=tmp_path / "work",
        today=TODAY,
    )
    rows: list[dict[str, Any]] = []
    if result.written:
        rel = duckdb.read_parquet(str(target)).order("row_no")
        rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return result, rows


def messages(result: intake.IntakeResult) -> list[str]:
    return [s["message"] for s in result.report["samples"]]


# --- formats ------------------------------------------------------------------------------------


def test_it_reads_a_gbk_csv_with_a_title_row_above_the_headings(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "deaths.csv",
        [
            "裕安区2026年11月死亡人员名单,,,",
            "序号,姓名,身份证号码,死亡日期,死亡地点",
            f"1,张三,{ID_A},2026-11-01,家中",
            f"2,李四,{ID_B},2026/11/2,县医院",
        ],
        encoding="gbk",
    )
    layout = intake.sniff(path, DEATH)
    assert layout.encoding == "gb18030"
    assert layout.header_row == 2
    assert layout.headers == ["序号", "姓名", "身份证号码", "死亡日期", "死亡地点"]
    assert layout.sample_rows[1] == ["2", "李四", ID_B, "2026/11/2", "县医院"]
    result, rows = run(path, tmp_path)
    assert (result.total_rows, result.error_rows, result.written) == (2, 0, True)
    assert [(r["row_no"], r["name"], r["place"]) for r in rows] == [
        (3, "张三", "家中"),
        (4, "李四", "县医院"),
    ]
    assert rows[1]["death_date"] == datetime.date(2026, 11, 2)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_it_reads_utf8_with_or_without_bom(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(bom + f"姓名,公民身份号码,死亡时间\n张三,{ID_A},2026-11-01\n".encode())
    layout = intake.sniff(path, DEATH)
    assert layout.encoding == ("utf-8-sig" if bom else "utf-8")
    assert layout.headers[0] == "姓名"
    result, rows = run(path, tmp_path)
    assert result.total_rows == 1
    assert rows[0]["id_number"] == ID_A


def test_it_reads_excels_unicode_text_utf16_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    text = f"姓名\t身份证号\t死亡日期\r\n张三\t{ID_A}\t2026年11月1日\r\n"
    path.write_bytes(text.encode("utf-16"))
    layout = intake.sniff(path, DEATH)
    assert (layout.encoding, layout.delimiter) == ("utf-16", "\t")
    _, rows = run(path, tmp_path)
    assert [(r["row_no"], r["name"], r["death_date"]) for r in rows] == [
        (2, "张三", datetime.date(2026, 11, 1))
    ]


def test_a_mapping_without_a_required_column_is_not_validated(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["姓名,身份证号,死亡日期", f"张三,{ID_A},2026-11-01"])
    with pytest.raises(IntakeError, match="死亡日期"):
        run(path, tmp_path, mapping={"name": "姓名"})


def test_it_reads_tab_separated_and_quoted_values(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.txt",
        ["姓名\t身份证号\t死亡日期\t死亡地点", f'"张\t三"\t{ID_A}\t2026-11-01\t"家中, ""老宅"""'],
    )
    layout = intake.sniff(path, DEATH)
    assert (layout.delimiter, layout.quote) == ("\t", '"')
    _, rows = run(path, tmp_path)
    assert rows[0]["name"] == "张\t三"
    assert rows[0]["place"] == '家中, "老宅"'


def test_it_reads_an_xlsx_with_real_date_cells_and_a_title_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "火化人员名单"
    sheet.append(["姓名", "身份证号", "火化日期", "死亡日期", "殡仪馆"])
    sheet.append(["张三", ID_A, excel_time(2026, 11, 3), datetime.date(2026, 11, 1), "县殡仪馆"])
    sheet.append([])  # an empty row is skipped, the numbering goes on
    sheet.append(["李四", ID_B, excel_time(2026, 11, 4, 9, 30), "2026年11月2日", None])
    sheet.append(["王五", ID_A, "2026-13-01", None, None])
    path = tmp_path / "cremations.xlsx"
    book.save(path)
    schema = schema_for("cremation")
    layout = intake.sniff(path, schema)
    assert (layout.format, layout.header_row) == ("xlsx", 2)
    assert layout.sample_rows[0][2] == "2026-11-03"
    result, _ = run(path, tmp_path, schema)
    assert result.refused
    assert messages(result) == ["第6行 火化日期“2026-13-01”不是有效日期"]
    sheet.delete_rows(6)
    book.save(path)
    result, rows = run(path, tmp_path, schema)
    assert [(r["row_no"], r["cremation_date"], r["death_date"]) for r in rows] == [
        (3, datetime.date(2026, 11, 3), datetime.date(2026, 11, 1)),
        (5, datetime.date(2026, 11, 4), datetime.date(2026, 11, 2)),
    ]


def test_it_reads_a_parquet_file_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "vehicles.parquet"
    table = pa.table(
        {
            "sfzh": [ID_A, ID_B],
            "车主": ["张三", "李四"],
            "号牌号码": ["皖N12345", "皖N54321"],
            "车辆类型": ["小型轿车", "二轮摩托车"],
            "价格": pa.array([Decimal("128000.50"), Decimal("6000")], pa.decimal128(12, 2)),
            "初次登记日期": pa.array([datetime.date(2020, 5, 1), datetime.date(2023, 1, 9)]),
        }
    )
    pq.write_table(table, path)
    schema = schema_for("vehicle")
    layout = intake.sniff(path, schema, "vehicles.parquet")
    assert (layout.format, layout.header_row, layout.estimated_rows) == ("parquet", 0, 2)
    mapping = intake.guess_mapping(schema, layout.headers)
    assert mapping["id_number"] == "sfzh"
    assert mapping["value"] == "价格"
    result, rows = run(path, tmp_path, schema)
    assert result.error_rows == 0
    assert [(r["row_no"], r["value"], r["registered_on"]) for r in rows] == [
        (1, Decimal("128000.50"), datetime.date(2020, 5, 1)),
        (2, Decimal("6000.00"), datetime.date(2023, 1, 9)),
    ]


def test_it_refuses_old_excel_and_empty_files(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(IntakeError, match="xlsx"):
        intake.sniff(xls, DEATH, "old.xls")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IntakeError, match="空"):
        intake.sniff(empty, DEATH)
    headings_only = write_csv(tmp_path / "h.csv", ["姓名,身份证号,死亡日期"])
    with pytest.raises(IntakeError, match="没有数据行"):
        run(headings_only, tmp_path)


# --- mapping ------------------------------------------------------------------------------------


def test_the_mapping_is_guessed_from_aliases_ignoring_spaces_case_and_units() -> None:
    headers = [
        "序号",
        " 权利人 ",
        "证件号码",
        "房屋坐落",
        "规划用途",
        "建筑面积（平方米）",
        "ID_NUMBER",
    ]
    mapping = intake.guess_mapping(schema_for("real_estate"), headers)
    assert mapping["name"] == " 权利人 "
    assert mapping["id_number"] == "证件号码"  # the earliest alias wins over "ID_NUMBER"
    assert mapping["address"] == "房屋坐落"
    assert mapping["usage"] == "规划用途"
    assert mapping["area"] == "建筑面积（平方米）"
    assert mapping["certificate_number"] == ""


def test_mapping_errors_name_each_required_column_and_missing_heading() -> None:
    schema = schema_for("death")
    errors = intake.mapping_errors(
        schema, ["姓名", "日期"], {"name": "", "death_date": "死亡日", "shoe_size": "x"}
    )
    assert errors == [
        "“shoe_size”不是死亡人员数据的字段",
        "请为必填项“姓名”选择文件中的列",
        "文件中没有“死亡日”列",
    ]


# --- validation ---------------------------------------------------------------------------------


def test_broken_rows_refuse_the_file_with_their_row_numbers_and_reasons(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "pensions.csv",
        [
            "养老金领取人员",
            "",
            "姓名,身份证号,性别,区划代码,月养老金,所属期",
            f'张三,{ID_A},男,341503,"1,234.50元",2026-11',  # row 4: fine
            f"李四,{ID_B},未知,341503100201,200,202611",  # 5: sex
            f",{ID_A},男,3415031,200,2026年11月",  # 6: name empty, region 7 digits
            f"王五,{ID_B},女,341503,-5,2026-13",  # 7: negative, month
            f"赵六,{ID_B},F,341503,abc,2026-11",  # 8: not a number
        ],
    )
    result, rows = run(path, tmp_path, schema_for("pension"))
    assert rows == []
    assert not result.written
    assert (result.total_rows, result.error_rows, result.valid_rows) == (5, 4, 1)
    assert messages(result) == [
        "第5行 性别“未知”无法识别,应为男或女",
        "第6行 姓名为空,该项必须填写",
        "第6行 户籍地区划代码“3415031”不是6位或12位数字的区划代码",
        "第7行 月养老金(元)“-5”不能为负数",
        "第7行 所属期“2026-13”不是有效月份",
        "第8行 月养老金(元)“abc”不是有效数字",
    ]
    assert result.report["counts"] == {
        "required": 1,
        "bad_sex": 1,
        "bad_region": 1,
        "negative": 1,
        "bad_month": 1,
        "bad_number": 1,
    }
    first = result.report["samples"][0]
    assert {k: first[k] for k in ("row_no", "column", "value", "reason")} == {
        "row_no": 5,
        "column": "性别",
        "value": "未知",
        "reason": "性别无法识别",
    }


def test_values_in_every_accepted_form_are_converted(tmp_path: Path) -> None:
    dates = [
        "2026-11-01",
        "2026/11/1",
        "20261101",
        "2026年11月1日",
        "2026.11.01",
        "2026-11-01 08:30:00",
    ]
    lines = ["姓名,身份证号,性别,户籍地代码,死亡日期,出生日期"]
    lines += [
        f"人{i},,{'男女MF12'[i % 6]},341503100201,{d},1950年3月4日" for i, d in enumerate(dates)
    ]
    result, rows = run(write_csv(tmp_path / "d.csv", lines), tmp_path)
    assert result.error_rows == 0
    assert {r["death_date"] for r in rows} == {datetime.date(2026, 11, 1)}
    assert [r["sex"] for r in rows] == ["M", "F", "M", "F", "M", "F"]
    assert {r["birth_date"] for r in rows} == {datetime.date(1950, 3, 4)}
    assert {r["region_code"] for r in rows} == {"341503100201"}

    months = ["2026-11", "202611", "2026年11月", "2026/11", "2026-11-15"]
    amounts = ["1,234.50", "1234.5元", "1234.499", "¥1234.5", "1234.50"]
    lines = ["姓名,身份证号,发放月份,发放金额,区划代码"]
    lines += [
        f'人{i},{ID_A},{m},"{a}",341503'
        for i, (m, a) in enumerate(zip(months, amounts, strict=True))
    ]
    result, rows = run(write_csv(tmp_path / "p.csv", lines), tmp_path, schema_for("pension"))
    assert result.error_rows == 0
    assert {r["period"] for r in rows} == {datetime.date(2026, 11, 1)}
    assert {r["monthly_amount"] for r in rows} == {Decimal("1234.50")}
    assert {r["region_code"] for r in rows} == {"341503000000"}


def test_grades_are_read_as_whole_numbers(tmp_path: Path) -> None:
    lines = ["姓名,身份证号,残疾类别,残疾等级"]
    lines += [f"人{i},{ID_A},肢体,{g}" for i, g in enumerate(["2", "二级", "2级", "2.0", "2.5"])]
    result, _ = run(write_csv(tmp_path / "d.csv", lines), tmp_path, schema_for("disability"))
    assert messages(result) == ["第6行 残疾等级“2.5”不是有效整数"]


def test_invalid_and_missing_id_numbers_are_kept_and_counted(tmp_path: Path) -> None:
    bad_check = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    future = make_id_number("341503", datetime.date(2027, 1, 1), 11)
    no_such_day = make_id_number("341503", datetime.date(1950, 2, 28), 11).replace("0228", "0230")
    lines = ["姓名,身份证号,死亡日期"]
    lines += [
        f"甲,{ID_A},2026-11-01",
        f"乙,{ID_X.lower()},2026-11-01",  # lower-case x: valid once upper-cased
        f"丙,{bad_check},2026-11-01",
        f"丁,{future},2026-11-01",
        f"戊,{no_such_day},2026-11-01",
        "己,,2026-11-01",
        f"庚,{ID_A[:17]},2026-11-01",
        f"辛, {ID_B[:6]} {ID_B[6:]} ,2026-11-01",  # spaces inside are removed
    ]
    result, rows = run(write_csv(tmp_path / "d.csv", lines), tmp_path)
    assert result.error_rows == 0
    assert result.invalid_id_rows == 5
    assert [(r["name"], r["id_number"], r["id_valid"]) for r in rows] == [
        ("甲", ID_A, True),
        ("乙", ID_X, True),
        ("丙", bad_check, False),
        ("丁", future, False),
        ("戊", no_such_day, False),
        ("己", None, False),
        ("庚", ID_A[:17], False),
        ("辛", ID_B, True),
    ]
    # Sex and birth date come from a valid number when the file has none.
    assert (rows[0]["sex"], rows[0]["birth_date"]) == ("M", datetime.date(1950, 3, 4))
    assert (rows[7]["sex"], rows[7]["birth_date"]) == ("F", datetime.date(1960, 7, 8))
    assert rows[2]["sex"] is None
    assert result.report["counts"] == {"id_invalid": 4, "id_missing": 1}
    assert (
        messages(result)[0]
        == f"第4行 身份证号码“{bad_check}”不是有效的身份证号码,该行保留用于模糊比对"
    )


def test_a_legacy_15_digit_number_is_upgraded(tmp_path: Path) -> None:
    legacy = ID_A[:6] + ID_A[8:17]
    path = write_csv(tmp_path / "d.csv", ["姓名,身份证号,死亡日期", f"张三,{legacy},2026-11-01"])
    _, rows = run(path, tmp_path)
    assert (rows[0]["id_number"], rows[0]["id_valid"]) == (ID_A, True)


def test_repeated_rows_are_dropped_and_reported_with_the_row_they_repeat(tmp_path: Path) -> None:
    lines = ["姓名,身份证号,死亡日期,死亡地点"]
    lines += [
        f"张三,{ID_A},2026-11-01,家中",  # 2
        f"李四,{ID_B},2026-11-02,",  # 3
        f"张三,{ID_A},2026-11-01,医院",  # 4: differs in place
        f"张三 ,{ID_A},2026-11-01,家中",  # 5: repeats 2 (spaces do not count)
        f"李四,{ID_B},2026-11-02,",  # 6: repeats 3
        f"张三,{ID_A},2026-11-01,家中",  # 7: repeats 2
    ]
    result, rows = run(write_csv(tmp_path / "d.csv", lines), tmp_path)
    assert (result.total_rows, result.duplicate_rows, result.valid_rows) == (6, 3, 3)
    assert [r["row_no"] for r in rows] == [2, 3, 4]
    assert messages(result) == [
        "第5行与第2行完全相同,已剔除",
        "第6行与第3行完全相同,已剔除",
        "第7行与第2行完全相同,已剔除",
    ]
    assert result.report["samples"][0]["first_row"] == 2


def test_rows_empty_in_every_mapped_column_are_skipped(tmp_path: Path) -> None:
    lines = [
        "序号,姓名,身份证号,死亡日期",
        f"1,张三,{ID_A},2026-11-01",
        "2,,,",
        ",,,",
        f"3,李四,{ID_B},2026-11-02",
    ]
    result, rows = run(write_csv(tmp_path / "d.csv", lines), tmp_path)
    assert result.total_rows == 2
    assert [r["row_no"] for r in rows] == [2, 5]


def test_samples_stop_at_a_thousand_errors_first(tmp_path: Path) -> None:
    lines = ["姓名,身份证号,死亡日期"]
    lines += [f"人{i},,2026-11-01" for i in range(1500)]  # warnings: no ID
    lines += [f"人{i},{ID_A},bad" for i in range(1200)]  # errors
    result, _ = run(write_csv(tmp_path / "d.csv", lines), tmp_path)
    samples = result.report["samples"]
    assert len(samples) == 1000
    assert all(s["code"] == "bad_date" for s in samples)
    assert samples[0]["row_no"] == 1502
    assert result.report["samples_truncated"]
    assert result.report["counts"] == {"bad_date": 1200, "id_missing": 1500}


def test_the_sql_check_digit_agrees_with_stdnum(tmp_path: Path) -> None:
    """SQL instead of python-stdnum (too slow for 50M rows): the same answer on the check
    digit for valid numbers and for numbers with one digit changed. (stdnum also checks the
    area code against the year of birth: 341503 exists from 1999, so the sample is born
    since.)"""
    rng = random.Random(5)
    numbers = []
    for _ in range(2000):
        birth = datetime.date(1999, 1, 1) + datetime.timedelta(days=rng.randrange(9000))
        number = make_id_number("341503", birth, rng.randrange(1, 999))
        if rng.random() < 0.5:
            i = rng.randrange(17)
            number = (
                number[:i] + str((int(number[i]) + rng.randrange(1, 10)) % 10) + number[i + 1 :]
            )
        numbers.append(number)
    con = duckdb.connect()
    for macro in S.MACROS:
        con.execute(macro)
    got = con.execute(
        f"SELECT n, id_valid FROM ({S.id_valid_select('unnest(?) t(n)', 'n', TODAY)})",  # noqa: S608
        [numbers],
    ).fetchall()

    def stdnum_valid(number: str) -> bool:
        try:
            return bool(ric.is_valid(number)) and ric.get_birth_date(number) <= TODAY
        except KeyError:
            return False

    assert dict(got) == {n: stdnum_valid(n) for n in numbers}
    assert 800 < sum(v for _, v in got) < 1300


def test_the_canonical_parquet_has_the_schema_columns_with_their_types(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["姓名,身份证号,月工资", f"张三,{ID_A},3000"])
    result, _ = run(path, tmp_path, schema_for("employment"))
    stored = duckdb.read_parquet(str(tmp_path / "out" / "data.parquet"))
    assert [(c, str(t)) for c, t in zip(stored.columns, stored.types, strict=True)] == [
        ("id_number", "VARCHAR"),
        ("name", "VARCHAR"),
        ("sex", "VARCHAR"),
        ("birth_date", "DATE"),
        ("region_code", "VARCHAR"),
        ("employer", "VARCHAR"),
        ("monthly_wage", "DECIMAL(18,2)"),
        ("period", "DATE"),
        ("row_no", "BIGINT"),
        ("id_valid", "BOOLEAN"),
    ]
    assert result.report["layout"]["header_row"] == 1
