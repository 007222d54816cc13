"""救助标准: each program's policy numbers by parameter and region with their history (the value
in force today marked), and the county's form to set a value from a date. A new value of a
number that changes benefits recalculates the paying cases from that month (services)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from minzheng.core.models import Region
from minzheng.programs.forms import StandardForm
from minzheng.programs.models import Standard
from minzheng.programs.permissions import STANDARD_EDITORS
from minzheng.programs.policies import POLICIES
from minzheng.programs.policies.base import ParameterSpec
from minzheng.programs.services.errors import CaseError
from minzheng.programs.services.standards import standard_list, standard_set
from minzheng.programs.views.common import (
    add_case_errors,
    case_reader,
    may,
    standard_editor,
    today,
)
from minzheng.programs.views.presenters import user_name
from minzheng.registry import selectors as registry_selectors
from minzheng.registry.views.common import current_user, render_page

STANDARD_SAVED = "已设置“{label}”:自{day}起为{value}"


@dataclass
class StandardRow:
    standard: Standard
    region_name: str
    in_force: bool
    by: str


@dataclass
class ParameterGroup:
    program: str
    name: str
    spec: ParameterSpec | None
    rows: list[StandardRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.spec.label if self.spec else self.name

    @property
    def missing(self) -> bool:
        """A required number no region has set."""
        return bool(self.spec and self.spec.required and not self.rows)


def _in_force(rows: list[Standard], day: datetime.date) -> set[int]:
    """The row of each region in force on `day` (rows come newest first per region)."""
    found: dict[str, int] = {}
    for s in rows:
        if s.region_code in found or s.valid_from > day:
            continue
        if s.valid_to is None or s.valid_to > day:
            found[s.region_code] = s.pk
        else:
            found[s.region_code] = -1  # the newest started row has ended: nothing in force
    return {pk for pk in found.values() if pk > 0}


def parameter_groups(
    rows: list[Standard], program: str, day: datetime.date
) -> list[ParameterGroup]:
    names = registry_selectors.region_names({s.region_code for s in rows})
    by_parameter: dict[str, list[Standard]] = defaultdict(list)
    for s in rows:
        by_parameter[s.parameter].append(s)
    specs = POLICIES[program].parameters
    groups = []
    for name in [*specs, *sorted(set(by_parameter) - set(specs))]:
        own = by_parameter.get(name, [])
        current = _in_force(own, day)
        groups.append(
            ParameterGroup(
                program=program,
                name=name,
                spec=specs.get(name),
                rows=[
                    StandardRow(
                        s,
                        names.get(s.region_code, s.region_code),
                        s.pk in current,
                        user_name(s.created_by),
                    )
                    for s in own
                ],
            )
        )
    return groups


@case_reader
def standards(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    program = request.GET.get("program", "")
    if program not in POLICIES:
        program = next(iter(POLICIES))
    day = today()
    rows = list(standard_list(user=user, program=program))
    context = {
        "programs": [(code, gettext(p.label)) for code, p in POLICIES.items()],
        "program": program,
        "program_label": gettext(POLICIES[program].label),
        "groups": parameter_groups(rows, program, day),
        "day": day,
        "may_edit": may(user, STANDARD_EDITORS),
    }
    return render_page(request, "programs/standards.html", "groups", context)


@standard_editor
def standard_create(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    initial = {"parameter": request.GET.get("parameter", "")}
    if user.region_id and user.region.level == Region.Level.COUNTY:
        initial["region_code"] = user.region_id
    form = StandardForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        program, parameter = form.cleaned_data["parameter"]
        c = form.cleaned_data
        try:
            standard_set(
                actor=user,
                program=program,
                parameter=parameter,
                region_code=c["region_code"],
                valid_from=c["valid_from"],
                value=c["value"],
                note=c.get("note", ""),
                valid_to=c.get("valid_to"),
            )
        except CaseError as e:
            add_case_errors(form, e, {"program": "parameter"})
        else:
            spec = POLICIES[program].parameters[parameter]
            messages.success(
                request,
                STANDARD_SAVED.format(
                    label=spec.label,
                    day=f"{c['valid_from']:%Y-%m-%d}",
                    value=f"{c['value'].normalize():f}{spec.unit}",
                ),
            )
            return redirect(f"{reverse('programs:standards')}?program={program}")
    return render(request, "programs/standard_form.html", {"form": form})
