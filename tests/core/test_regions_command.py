"""`minzheng regions`: a county's own division table (CSV in UTF-8 or GBK, XLSX) is loaded whole
or not at all; the bundled national list loads provinces to counties plus chosen townships."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from minzheng.core.management.commands.regions import (
    COUNTY_CODE_INVALID,
    FILE_MISSING,
    FILE_REFUSED,
)
from minzheng.core.models import AuditEvent, Region
from minzheng.core.services.regions import (
    REGION_CODE_DUPLICATE,
    REGION_FILE_EMPTY,
    REGION_FILE_UNREADABLE,
    REGION_FILE_XLS,
    REGION_HEADERS_MISSING,
    REGION_NAME_EMPTY,
    REGION_PARENT_MISSING,
    REGION_URBAN_RURAL_CODE,
)

pytestmark = pytest.mark.django_db

TOWNSHIP = "341503100000"  # 苏埠镇, in the `regions` fixture
VILLAGES = [
    ("341503100202", "余塘村", "220"),
    ("341503100203", "蔡家桥村", "220"),
    ("341503100003", "苏埠镇新街社区", "121"),
]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("regions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args: str) -> tuple[str, list[str]]:
    """The command's final message and the error lines it printed."""
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("regions", *args, stdout=io.StringIO(), stderr=err)
    return str(caught.value), err.getvalue().splitlines()


def write_csv(path: Path, rows: list[tuple[str, ...]], encoding: str = "utf-8") -> Path:
    text = "\n".join(",".join(row) for row in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[tuple[object, ...]]) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    wb.save(path)
    return path


def assert_villages_loaded() -> None:
    for code, name, urban_rural in VILLAGES:
        region = Region.objects.get(code=code)
        assert (region.name, region.urban_rural_code) == (name, urban_rural)
        assert region.level == Region.Level.VILLAGE
        assert region.parent_id == TOWNSHIP


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_csv_table_loads_in_utf8_or_gbk(regions: object, tmp_path: Path, encoding: str) -> None:
    path = write_csv(
        tmp_path / "村.csv", [("区划代码", "名称", "城乡分类代码"), *VILLAGES], encoding
    )
    out, err = run("load", str(path))
    assert out.strip() == "已导入3条区划(村(社区) 3)"
    assert err == ""
    assert_villages_loaded()
    event = AuditEvent.objects.get(action="regions.load")
    assert event.object_id == "村.csv"
    assert event.changes == {"rows": 3}


def test_an_xlsx_table_loads_with_codes_typed_as_numbers(regions: object, tmp_path: Path) -> None:
    rows: list[tuple[object, ...]] = [("区划代码", "名称", "城乡分类代码")]
    rows += [(int(code), name, int(ur)) for code, name, ur in VILLAGES]
    out, _ = run("load", str(write_xlsx(tmp_path / "村.xlsx", rows)))
    assert out.strip() == "已导入3条区划(村(社区) 3)"
    assert_villages_loaded()


def test_english_headers_short_codes_and_a_whole_branch_load(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            ("code", "name"),
            ("34", "安徽省"),
            ("3415", "六安市"),
            ("341503", "裕安区"),
            ("341503100", "苏埠镇"),
            ("341503100201", "陶洪村"),
        ],
    )
    out, _ = run("load", str(path))
    assert out.strip() == "已导入5条区划(省 1, 市 1, 县(区) 1, 乡镇(街道) 1, 村(社区) 1)"
    assert Region.objects.get(code="341503100201").parent_id == "341503100000"


def test_loading_again_updates_names_instead_of_duplicating(
    regions: object, tmp_path: Path
) -> None:
    run(
        "load",
        str(write_csv(tmp_path / "a.csv", [("区划代码", "名称"), *[v[:2] for v in VILLAGES]])),
    )
    renamed = [("区划代码", "名称"), ("341503100202", "余塘社区")]
    run("load", str(write_csv(tmp_path / "b.csv", renamed)))
    assert Region.objects.get(code="341503100202").name == "余塘社区"
    assert Region.objects.filter(parent_id=TOWNSHIP).count() == 2 + 3  # fixture's 2 + file's 3


def test_bad_rows_refuse_the_whole_file_with_every_row_number(
    regions: object, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ("区划代码", "名称", "城乡分类代码"),
            ("341503100202", "余塘村", "220"),  # good, but not loaded
            ("3415031002", "坏代码村", "220"),
            ("341503100204", "", "220"),
            ("341503100202", "重复村", "220"),
            ("34150310020X", "字母村", ""),
            ("341503100205", "分类村", "22"),
        ],
    )
    message, lines = refused("load", str(path))
    assert message == FILE_REFUSED.format(count=5)
    assert lines == [
        "第3行: 区划代码“3415031002”应为2、4、6、9或12位数字",
        f"第4行: {REGION_NAME_EMPTY}",
        f"第5行: {REGION_CODE_DUPLICATE.format(code='341503100202')}",
        "第6行: 区划代码“34150310020X”应为2、4、6、9或12位数字",
        f"第7行: {REGION_URBAN_RURAL_CODE.format(value='22')}",
    ]
    assert not Region.objects.filter(code="341503100202").exists()
    assert not AuditEvent.objects.filter(action="regions.load").exists()


def test_a_row_whose_parent_is_missing_is_refused_with_its_row_number(
    regions: object, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "orphan.csv",
        [("区划代码", "名称"), ("341503100202", "余塘村"), ("341503199201", "无主村")],
    )
    message, lines = refused("load", str(path))
    assert message == FILE_REFUSED.format(count=1)
    parent_missing = REGION_PARENT_MISSING.format(
        code="341503199201", name="无主村", parent="341503199000"
    )
    assert lines == [f"第3行: {parent_missing}"]
    assert not Region.objects.filter(code="341503100202").exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", REGION_FILE_EMPTY),
        (
            "headers.csv",
            "代码号,地名\n341503100202,余塘村\n".encode(),
            f"第1行: {REGION_HEADERS_MISSING}",
        ),
        ("old.xls", b"\xd0\xcf\x11\xe0 old excel", REGION_FILE_XLS),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", REGION_FILE_UNREADABLE),
    ],
)
def test_files_that_are_not_a_division_table_are_refused(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    message, lines = refused("load", str(path))
    assert message == FILE_REFUSED.format(count=1)
    assert lines == [expected]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    message, _ = refused("load", str(tmp_path / "nowhere.csv"))
    assert message == FILE_MISSING.format(path=tmp_path / "nowhere.csv")


def test_load_national_loads_31_provinces_and_the_23_townships_of_yuan() -> None:
    out, err = run("load-national", "--townships-of", "341503")
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 31
    assert Region.objects.filter(level=Region.Level.CITY).count() == 342
    assert Region.objects.filter(level=Region.Level.COUNTY).count() == 2975
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP)
    assert townships.count() == 23
    assert set(townships.values_list("parent_id", flat=True)) == {"341503000000"}
    assert Region.objects.get(code="341503100000").name == "苏埠镇"
    assert Region.objects.get(code="341503000000").parent_id == "341500000000"
    assert out.strip() == "已导入全国区划3371条(省 31, 市 342, 县(区) 2975, 乡镇(街道) 23)"
    assert err == ""


def test_load_national_twice_with_two_counties_adds_their_townships() -> None:
    run("load-national", "--townships-of", "341503")
    run("load-national", "--townships-of", "341503,640324")
    assert Region.objects.filter(level=Region.Level.TOWNSHIP).count() == 23 + 11


def test_the_townships_of_a_city_without_counties_hang_under_the_city() -> None:
    run("load-national", "--townships-of", "441900")  # 东莞市: the list repeats it as a county
    dongguan = Region.objects.get(code="441900000000")
    assert (dongguan.name, dongguan.level) == ("东莞市", Region.Level.CITY)
    townships = Region.objects.filter(code__startswith="4419", level=Region.Level.TOWNSHIP)
    assert townships.count() > 20
    assert set(townships.values_list("parent_id", flat=True)) == {"441900000000"}


def test_load_national_warns_about_a_county_without_townships_and_refuses_bad_codes() -> None:
    _, err = run("load-national", "--townships-of", "341599")
    assert "341599" in err
    message, _ = refused("load-national", "--townships-of", "3415")
    assert message == COUNTY_CODE_INVALID.format(code="3415")


def test_show_prints_a_region_its_parents_and_its_children(regions: object) -> None:
    out, _ = run("show", "341503100")
    lines = out.splitlines()
    assert lines[0] == "341503100000  苏埠镇  乡级"
    assert lines[1] == "上级:安徽省 > 六安市 > 裕安区"
    assert "下级区划 2 个:" in lines
    assert "  341503100201  陶洪村  城乡分类 220" in lines
    top, _ = run("show")
    assert "  340000000000  安徽省  下级 1 个" in top.splitlines()


def test_show_refuses_an_unknown_code() -> None:
    message, _ = refused("show", "341503999")
    assert message == "区划代码341503999000不存在"


def test_from_a_shell_an_error_is_printed_alone_with_exit_status_1(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "minzheng", "regions", "load", str(missing)],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "minzheng.settings.test", "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == FILE_MISSING.format(path=missing)
    assert "CommandError" not in done.stderr
