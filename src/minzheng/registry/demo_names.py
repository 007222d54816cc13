"""Word lists of the demo county: given names by birth cohort, Hui surnames, village and
community names, banks, roads, illnesses. Surnames and most given names come from Faker's
zh_CN person provider (read once as tables, so that sampling is fast and seeded by us)."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from faker import Faker


@dataclass(frozen=True)
class Weighted:
    """Items with weights, sampled by bisecting the cumulative weights (much faster than
    random.choices for one item at a time)."""

    items: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, float]]) -> Weighted:
        items = tuple(p[0] for p in pairs)
        return cls(items, tuple(itertools.accumulate(p[1] for p in pairs)))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass(frozen=True)
class FakerNames:
    surnames: Weighted
    male: tuple[str, ...]
    female: tuple[str, ...]


@cache
def faker_names() -> FakerNames:
    """Faker's zh_CN surnames (weighted by their frequency in China) and given names."""
    for provider in Faker("zh_CN").get_providers():
        if hasattr(provider, "last_names") and hasattr(provider, "first_names_male"):
            return FakerNames(
                Weighted.of(list(provider.last_names.items())),
                tuple(provider.first_names_male),
                tuple(provider.first_names_female),
            )
    raise LookupError("Faker zh_CN has no person provider")  # pragma: no cover


# Surnames of the Hui (回族) of southern Ningxia: 马 dominates.
HUI_SURNAMES = Weighted.of(
    [
        ("马", 32),
        ("杨", 7),
        ("李", 6),
        ("丁", 5),
        ("王", 5),
        ("海", 3),
        ("金", 3),
        ("白", 3),
        ("田", 3),
        ("何", 3),
        ("苏", 2),
        ("周", 2),
        ("锁", 2),
        ("虎", 2),
        ("罗", 2),
        ("余", 2),
        ("冶", 1),
        ("哈", 1),
        ("纳", 1),
        ("穆", 1),
    ]
)

# Given names fashionable in each birth cohort, mixed with Faker's (which are timeless).
COHORT_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "1900": (
        ("国华", "建国", "德明", "长春", "志强", "福来", "家宝", "正华", "玉林", "金山", "世英",
         "有才", "德胜", "学文", "树林", "广才", "占山", "兴旺", "富贵", "宗权"),
        ("秀英", "桂兰", "玉兰", "秀珍", "凤英", "桂英", "秀兰", "玉梅", "兰英", "翠花", "桂芝",
         "淑珍", "素珍", "玉珍", "金花", "银花", "小凤", "月娥", "春兰", "凤兰"),
    ),
    "1960": (
        ("建军", "卫东", "红兵", "国庆", "建华", "立新", "振华", "爱国", "卫国", "向阳", "永红",
         "跃进", "新民", "志刚", "海涛", "建平", "文军", "小军", "长江", "胜利"),
        ("红梅", "丽华", "建英", "卫红", "爱华", "红霞", "小红", "美玲", "桂香", "春梅", "玉霞",
         "秀云", "丽萍", "彩霞", "海燕", "冬梅", "晓梅", "凤霞", "建芳", "玉琴"),
    ),
    "1985": (
        ("浩", "宇", "鹏", "杰", "俊杰", "子豪", "文博", "晨", "磊", "明轩", "天宇", "志豪",
         "家豪", "俊", "帅", "凯", "旭", "博", "阳", "龙"),
        ("婷婷", "雪", "琳", "倩", "佳怡", "欣然", "晶晶", "蕾", "媛媛", "莹", "丹丹", "梦",
         "露", "思雨", "佳", "悦", "甜甜", "月", "慧", "颖"),
    ),
    "2005": (
        ("子轩", "浩宇", "宇轩", "梓豪", "俊熙", "一诺", "沐阳", "皓轩", "子墨", "宇航", "奕辰",
         "睿", "梓睿", "浩然", "子涵", "铭泽", "锦程", "嘉懿", "思远", "承泽"),
        ("梓涵", "欣怡", "一诺", "子涵", "诗涵", "雨桐", "可馨", "梓萱", "语汐", "若曦", "思琪",
         "紫涵", "梦琪", "雨欣", "佳琪", "欣妍", "安琪", "芷若", "沐晴", "语嫣"),
    ),
}  # fmt: skip


def cohort_of(birth_year: int) -> str:
    if birth_year < 1960:
        return "1900"
    if birth_year < 1985:
        return "1960"
    if birth_year < 2005:
        return "1985"
    return "2005"


# Village names: a first character and a landscape word, as the villages of western Anhui
# (郢, 冲, 圩, 畈, 岗, 墩 are typical of 六安).
VILLAGE_FIRST = (
    "张王李陈刘杨黄周吴徐孙胡朱高林何郭罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
    "丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
    "大小新老东西南北上下前后双三五九石山河龙凤牛桃柳松竹梅花金银青红白古长高安平永太和兴"
)
VILLAGE_SECOND = "庄店集墩岗冲圩湾桥河湖塘畈郢洼岭坝寺庙楼营铺堰园山林坊台桥沟滩集洲港岗嘴湾塘"
COMMUNITY_NAMES = (
    "人民", "解放", "和平", "光明", "新华", "东风", "红星", "文峰", "幸福", "团结", "朝阳", "育才",
    "振兴", "先锋", "建设", "长安", "迎宾", "滨河", "南门", "北门", "东门", "西门", "三里桥",
    "鼓楼", "新街", "老街", "府前", "健康", "梅山", "皖西", "淠河", "城北", "城南", "望城",
    "桃源", "金桥", "龙河", "凤凰", "锦绣", "百花",
)  # fmt: skip
ROADS = (
    "人民路", "解放路", "梅山路", "皖西大道", "佛子岭路", "淠河路", "长安路", "光明路", "裕安路",
    "紫竹林路", "寿春路", "行政路", "齐头路", "锦绣路", "迎宾大道", "文峰路",
)  # fmt: skip
ESTATES = (
    "阳光花园", "锦绣家园", "滨河小区", "金色港湾", "翡翠城", "东方明珠", "幸福里", "龙河湾",
    "碧桂园", "书香苑", "淠河新村", "梅山小区", "安居苑", "金桥小区",
)  # fmt: skip
GROUP_NUMERALS = "一二三四五六七八九十"


def group_name(n: int) -> str:
    """村民组 1..19 as written in addresses: 三组, 十二组."""
    if n <= 10:
        return GROUP_NUMERALS[n - 1] + "组"
    return "十" + GROUP_NUMERALS[n - 11] + "组"


# (bank, weight, card BIN): banks common in rural Anhui and in southern Ningxia.
BANKS_ANHUI = (
    ("六安农商银行", 35, "623059"),
    ("中国邮政储蓄银行", 25, "621799"),
    ("中国农业银行", 20, "622848"),
    ("中国建设银行", 7, "621700"),
    ("中国工商银行", 6, "622202"),
    ("徽商银行", 4, "622689"),
    ("中国银行", 3, "621661"),
)
BANKS_NINGXIA = (
    ("宁夏黄河农村商业银行", 40, "621178"),
    ("中国邮政储蓄银行", 25, "621799"),
    ("中国农业银行", 20, "622848"),
    ("中国建设银行", 8, "621700"),
    ("中国工商银行", 7, "622202"),
)

# Phone prefixes: Faker's zh_CN list plus the newer ranges.
PHONE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "182", "187", "188", "130", "131", "132", "145", "155", "156", "185", "186", "133", "153",
    "180", "181", "189", "166", "173", "175", "176", "177", "178", "183", "184", "191", "198",
    "199",
)  # fmt: skip

ILLNESSES_ADULT = Weighted.of(
    [
        ("恶性肿瘤", 30),
        ("尿毒症", 12),
        ("脑卒中后遗症", 14),
        ("急性心肌梗死", 8),
        ("重性精神病", 8),
        ("肝硬化", 6),
        ("白血病", 4),
        ("耐多药肺结核", 3),
        ("再生障碍性贫血", 2),
        ("血友病", 1),
        ("慢性阻塞性肺疾病", 10),
        ("帕金森病", 4),
    ]
)
ILLNESSES_CHILD = Weighted.of(
    [("先天性心脏病", 50), ("白血病", 30), ("苯丙酮尿症", 5), ("血友病", 5), ("脑瘫", 10)]
)

# 2006 national disability survey shares; the second digit of a certificate number suffix.
DISABILITY_CATEGORIES = Weighted.of(
    [
        ("physical", 29.1),
        ("hearing", 24.2),
        ("multiple", 16.3),
        ("visual", 14.9),
        ("mental", 7.4),
        ("intellectual", 6.7),
        ("speech", 1.5),
    ]
)
DISABILITY_CODES = {
    "visual": "1",
    "hearing": "2",
    "speech": "3",
    "physical": "4",
    "intellectual": "5",
    "mental": "6",
    "multiple": "7",
}
DISABILITY_GRADES = Weighted.of([("1", 14), ("2", 22), ("3", 30), ("4", 34)])

SHOPS = ("便利店", "小吃店", "农资店", "理发店", "五金店", "家禽养殖场", "粮油店", "汽修店")
VEHICLES = (
    ("小型轿车", 40_000, 160_000),
    ("小型普通客车", 50_000, 120_000),
    ("轻型普通货车", 30_000, 90_000),
)
ROADS_NINGXIA = ("人民路", "解放路", "长征路", "豫海路", "文化街", "同德路", "清真大寺路", "团结路")
OTHER_ETHNIC_GROUPS = ("满族", "壮族", "苗族", "土家族", "蒙古族", "回族")

# Highest education by birth year (from the year on): none, primary, junior, senior, college,
# bachelor -- roughly the census cohorts of rural central China.
EDUCATION_LEVELS = ("none", "primary", "junior", "senior", "college", "bachelor")
EDUCATION = {
    year: Weighted.of(list(zip(EDUCATION_LEVELS, w, strict=True)))
    for year, w in (
        (1900, (40, 40, 14, 5, 1, 0)),
        (1950, (15, 40, 33, 10, 1.5, 0.5)),
        (1966, (3, 20, 50, 17, 6, 4)),
        (1981, (0.5, 5, 40, 25, 15, 14.5)),
        (1996, (0.2, 1, 20, 30, 25, 24)),
    )
}
