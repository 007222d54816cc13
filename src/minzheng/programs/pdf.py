"""Printable documents of the case engine, as PDF: the public notice list of a village (公示名单)
and the decision letters (审批确认通知书, 不予批准通知书, 终止通知书).

The same Django templates (templates/programs/pdf/) are rendered to a string and laid out by
WeasyPrint. Chinese needs a CJK font on the server (Debian's fonts-noto-cjk; `make run` installs
it as root): without one WeasyPrint would print empty boxes, so we refuse with PDF_NO_CJK_FONT.

Disclosure (DOMAIN.md §1): a notice shows only the masked name, the household size, the amount
and the program. The notice template receives NoticeRow objects built from that allow-list,
never a case, so nothing else can slip onto the wall."""

from __future__ import annotations

import datetime
import logging
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from minzheng.core.models import Region, User
from minzheng.core.scope import require_in_scope
from minzheng.programs.models import (
    Case,
    CaseStatus,
    ReviewOutcome,
    Step,
    StepStatus,
)
from minzheng.programs.policies import POLICIES
from minzheng.programs.selectors import county_code, notice_steps, township_code

logger = logging.getLogger(__name__)

PDF_NO_CJK_FONT = (
    "服务器没有安装中文字体,生成的PDF中汉字会显示为方框,因此未生成。"
    "请系统管理员安装中文字体 fonts-noto-cjk(Debian/Ubuntu:apt-get install fonts-noto-cjk)后重试。"
)
PDF_NO_LIBRARY = (
    "服务器缺少生成PDF所需的系统组件(pango),未能生成PDF。"
    "请系统管理员安装 libpango-1.0-0 和 libpangoft2-1.0-0 后重试。"
)
NOTICE_NOT_VILLAGE = "公示名单按村(社区)生成,请选择一个村(社区)"
NOTICE_EMPTY = "{village}在{day}没有处于公示期的案件"
LETTER_NO_DECISION = "该案件尚未作出审批决定,不能出具决定书"
LETTER_NOT_TERMINATED = "该案件未终止保障,不能出具终止通知书"

APPROVE, REFUSE = "approve", "refuse"  # Case.decision (services.cases)
LETTER_KINDS = ("approval", "refusal", "termination")
# 行政复议法 (2023) §20, 行政诉讼法 §46.
APPEAL_DAYS = 60
LAWSUIT_MONTHS = 6


class PdfUnavailable(RuntimeError):
    """The server cannot lay out Chinese PDFs (no CJK font, or no pango)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NoticeEmpty(ValueError):
    """No case of the village is under public notice on the day."""


# --- the renderer -----------------------------------------------------------------------------

_cjk_font_seen = False


def cjk_fonts() -> list[str]:
    """The font families fontconfig offers for Chinese (fc-list :lang=zh); [] when none or
    when fontconfig is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip() for line in done.stdout.splitlines() if line.strip()})


def require_cjk_font() -> None:
    """Raise PdfUnavailable(PDF_NO_CJK_FONT) unless a Chinese font is installed. A font once
    found is not looked up again; a missing one is, so that installing it needs no restart."""
    global _cjk_font_seen
    if _cjk_font_seen:
        return
    if not cjk_fonts():
        raise PdfUnavailable(PDF_NO_CJK_FONT)
    _cjk_font_seen = True


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Documents are self-contained: no stylesheet, image or font is fetched from anywhere."""
    raise ValueError(f"PDF documents load no external resources ({url[:60]})")


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """The template rendered to HTML, then to an A4 PDF by WeasyPrint."""
    require_cjk_font()
    progress = logging.getLogger("weasyprint.progress")
    if progress.level == logging.NOTSET:  # "Step 1 - Fetching ..." for every PDF, unless asked
        progress.setLevel(logging.WARNING)
    try:
        import weasyprint
    except OSError as e:  # pango or its friends cannot be loaded
        logger.error("WeasyPrint cannot load its libraries: %s", e)
        raise PdfUnavailable(PDF_NO_LIBRARY) from e
    html = render_to_string(template_name, context)
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch, base_url=None)
    pdf: bytes = document.write_pdf()
    return pdf


# --- shared bits ------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """The name as a public notice may show it: 张*三, 欧**明, 张* (two characters), the first
    part of a name with a middle dot kept (买买提·**)."""
    name = name.strip()
    if "·" in name:
        first, _, rest = name.partition("·")
        return f"{first}·{'*' * max(len(rest), 1)}"
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def money(amount: Decimal | None) -> str:
    return f"{(amount or Decimal(0)):,.2f}"


def _region_name(code: str) -> str:
    region = Region.objects.filter(code=code).only("name").first()
    return region.name if region else code


def township_office(code: str) -> str:
    """苏埠镇人民政府, 小华山街道办事处: who posts the notice and hears objections."""
    name = _region_name(township_code(code))
    return f"{name}办事处" if name.endswith("街道") else f"{name}人民政府"


def _day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _month_label(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月" if day else ""


def _program_label(code: str) -> str:
    policy = POLICIES.get(code)
    return policy.label if policy else code


def _is_one_off(code: str) -> bool:
    policy = POLICIES.get(code)
    return bool(policy and policy.kind == "one_off")


# --- the public notice list -------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    """Everything a public notice may say about one case (the allow-list)."""

    seq: int
    masked_name: str
    household_size: int
    amount: str
    program: str


@dataclass
class NoticeSection:
    program: str
    starts_on: datetime.date
    ends_on: datetime.date
    rows: list[NoticeRow]

    @property
    def period(self) -> str:
        return f"{_day_label(self.starts_on)}至{_day_label(self.ends_on)}"


def _as_date(value: Any, fallback: datetime.date | None) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return fallback
    return fallback


def notice_period(step: Step) -> tuple[datetime.date | None, datetime.date | None]:
    """The notice period as step_complete wrote it when the notice opened, else the step's
    own dates."""
    starts_on = _as_date(step.data.get("starts_on"), step.opened_on)
    ends_on = _as_date(step.data.get("ends_on"), step.due_on)
    return starts_on, ends_on


def _household_size(case: Case) -> int:
    if case.counted_members:
        return case.counted_members
    counted = case.members.filter(counted=True).count()
    return counted or 1


def _notice_amount(case: Case) -> str:
    if _is_one_off(case.program):
        return f"{money(case.one_off_amount)}元(一次性)"
    return f"{money(case.monthly_amount)}元/月"


def notice_sections(*, user: User, region_code: str, day: datetime.date) -> list[NoticeSection]:
    """The cases of the village under public notice on `day`, grouped by program and period,
    as allow-listed rows."""
    require_in_scope(user, region_code)
    steps = notice_steps(user=user, region_code=region_code).filter(
        case__region_code=region_code, status=StepStatus.OPEN
    )
    groups: dict[tuple[str, datetime.date, datetime.date], list[Case]] = {}
    for step in steps.select_related("case", "case__applicant"):
        starts_on, ends_on = notice_period(step)
        starts_on = starts_on or day
        if starts_on > day:
            continue
        key = (step.case.program, starts_on, ends_on or starts_on + datetime.timedelta(days=7))
        groups.setdefault(key, []).append(step.case)
    sections = []
    for (program, starts_on, ends_on), cases in sorted(groups.items()):
        rows = [
            NoticeRow(
                seq=i,
                masked_name=mask_name(case.applicant.name),
                household_size=_household_size(case),
                amount=_notice_amount(case),
                program=_program_label(case.program),
            )
            for i, case in enumerate(sorted(cases, key=lambda c: c.pk), start=1)
        ]
        sections.append(NoticeSection(_program_label(program), starts_on, ends_on, rows))
    return sections


def notice_list_pdf(
    *, user: User, region_code: str, day: datetime.date, contact_phone: str = ""
) -> bytes:
    """公示名单: the village's cases under public notice on `day`, to post on the village's
    notice board. Raises NoticeEmpty when there is none."""
    require_in_scope(user, region_code)
    village = Region.objects.filter(code=region_code).first()
    if village is None or village.level != Region.Level.VILLAGE:
        raise ValueError(NOTICE_NOT_VILLAGE)
    sections = notice_sections(user=user, region_code=region_code, day=day)
    if not sections:
        raise NoticeEmpty(NOTICE_EMPTY.format(village=village.name, day=_day_label(day)))
    context = {
        "village": village.name,
        "committee": f"{village.name}{'居民委员会' if village.is_urban else '村民委员会'}",
        "township": _region_name(township_code(region_code)),
        "office": township_office(region_code),
        "county_bureau": f"{_region_name(county_code(region_code))}民政局",
        "contact_phone": contact_phone,
        "sections": sections,
        "day": _day_label(day),
    }
    return render_pdf("programs/pdf/notice_list.html", context)


# --- decision letters -------------------------------------------------------------------------


def letter_kind(case: Case) -> str:
    """Which letter the case's decision calls for: approval, refusal or termination."""
    if case.status == CaseStatus.TERMINATED:
        return "termination"
    if case.decision == REFUSE or case.status == CaseStatus.REFUSED:
        return "refusal"
    if case.decision == APPROVE:
        return "approval"
    raise ValueError(LETTER_NO_DECISION)


def _termination(case: Case) -> tuple[str, datetime.date]:
    """The termination's reasons and date: the review that ended the case, else the case's
    own decision note."""
    review = (
        case.reviews.filter(outcome=ReviewOutcome.TERMINATE)
        .order_by("-completed_at", "-id")
        .first()
    )
    if review is not None:
        reason = review.outcome_reason or review.findings
        at = review.completed_at
    else:
        reason, at = case.decision_reason, None
    return reason, timezone.localdate(at) if at else timezone.localdate()


def _issuer(case: Case) -> str:
    """A township decides where the approval is delegated to it; the county bureau otherwise."""
    decider = case.decided_by
    if (
        decider is not None
        and decider.region_id
        and decider.region_id.endswith("000")
        and (decider.region_id[6:9] != "000")
    ):
        return township_office(case.region_code)
    return f"{_region_name(county_code(case.region_code))}民政局"


def _calculation_lines(case: Case) -> list[dict[str, str]]:
    lines = (case.calculation or {}).get("lines") or []
    return [
        {
            "label": str(x.get("label", "")),
            "formula": str(x.get("formula", "")),
            "value": str(x.get("value", "")),
        }
        for x in lines
        if isinstance(x, dict)
    ]


def decision_letter_pdf(*, user: User, case: Case, kind: str = "") -> bytes:
    """The decision letter of the case: 审批确认通知书 (amount, first month, the calculation),
    不予批准通知书 or 终止通知书 (reasons and the applicant's appeal rights). `kind` forces one
    of LETTER_KINDS (default: what the case's decision calls for)."""
    require_in_scope(user, case.region_code)
    kind = kind or letter_kind(case)
    if kind not in LETTER_KINDS:
        raise ValueError(LETTER_NO_DECISION)
    if kind == "termination" and case.status != CaseStatus.TERMINATED:
        raise ValueError(LETTER_NOT_TERMINATED)
    if kind in ("approval", "refusal") and not case.decision:
        raise ValueError(LETTER_NO_DECISION)
    one_off = _is_one_off(case.program)
    decided_on = timezone.localdate(case.decided_at) if case.decided_at else timezone.localdate()
    applied_at = case.accepted_at or case.created_at
    context: dict[str, Any] = {
        "kind": kind,
        "number": case.number,
        "addressee": case.applicant.name,
        "address": case.household.address,
        "program": _program_label(case.program),
        "applied_on": _day_label(timezone.localdate(applied_at)) if applied_at else "",
        "issuer": _issuer(case),
        "county_government": f"{_region_name(county_code(case.region_code))}人民政府",
        "appeal_days": APPEAL_DAYS,
        "lawsuit_months": LAWSUIT_MONTHS,
        "one_off": one_off,
        "counted_members": _household_size(case),
        "monthly_amount": money(case.monthly_amount),
        "one_off_amount": money(case.one_off_amount),
        "start_month": _month_label(case.start_month),
        "support_mode": case.get_support_mode_display() if case.support_mode else "",
        "care_level": case.get_care_level_display() if case.care_level else "",
        "lines": _calculation_lines(case),
        "reason": case.decision_reason,
        "date": _day_label(decided_on),
    }
    if kind == "termination":
        reason, day = _termination(case)
        context.update(
            reason=reason,
            date=_day_label(day),
            end_month=_month_label(case.end_month),
        )
    return render_pdf(f"programs/pdf/letter_{kind}.html", context)
