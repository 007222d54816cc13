"""系统管理 → 行政区划: the region tree from the user's own region down, with counts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from minzheng.core.scope import REGISTRY_READERS
from minzheng.core.selectors import region_breakdown, region_options, region_path, region_search
from minzheng.core.views.access import current_user, roles_required


@roles_required(REGISTRY_READERS)
def region_tree(request: HttpRequest, code: str = "") -> HttpResponse:
    """The region's children with counts. An htmx request (a row being expanded) gets only the
    child rows, to be placed under the row."""
    user = current_user(request)
    breakdown = region_breakdown(user=user, code=code or None)
    if request.headers.get("HX-Request") == "true":
        return render(request, "core/region_tree.html#children", {"breakdown": breakdown})
    q = request.GET.get("q", "").strip()
    context = {
        "breakdown": breakdown,
        "path": region_path(user=user, region=breakdown.region),
        "q": q,
        "found": region_search(user=user, q=q) if q else None,
    }
    return render(request, "core/region_tree.html", context)


@roles_required(REGISTRY_READERS)
def region_datalist(request: HttpRequest) -> HttpResponse:
    """<option>s for a region field's datalist (htmx fills it as the user types)."""
    user = current_user(request)
    text = request.GET.get("region_code", "") or request.GET.get("q", "")
    return render(
        request, "core/region_options.html", {"regions": region_options(user=user, q=text)}
    )
