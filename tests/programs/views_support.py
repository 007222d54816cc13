"""What the case page tests share: a 低保 case accepted at the window and moved along by the
users who do each step, and the htmx headers of a request for a part of the page."""

from __future__ import annotations

from django.urls import reverse

from minzheng.programs.models import Case
from minzheng.programs.services import cases as svc

HTMX = {"HTTP_HX_REQUEST": "true"}


def accept(personas, family, program: str = "dibao_rural", **kwargs) -> Case:
    return svc.case_accept(
        actor=personas.township_clerk,
        household=family.household,
        applicant=family.head,
        program=program,
        reason="因病致贫",
        **kwargs,
    )


def authorize(personas, case: Case) -> None:
    svc.step_complete(
        actor=personas.township_clerk, case=case, code="authorization", data={"signed": True}
    )


def survey(personas, case: Case, visited_on: str = "2026-03-02") -> None:
    svc.step_complete(
        actor=personas.township_clerk,
        case=case,
        code="survey",
        data={"surveyors": ["张敏", "刘伟"], "visited_on": visited_on, "findings": "属实"},
    )


def run_to_notice(personas, case: Case) -> None:
    authorize(personas, case)
    survey(personas, case)
    svc.step_complete(actor=personas.county_officer, case=case, code="verification", outcome="pass")
    svc.step_complete(
        actor=personas.township_clerk, case=case, code="township_review", outcome="approve"
    )


def case_url(case: Case) -> str:
    return reverse("programs:case_detail", args=[case.pk])


def step_url(case: Case, code: str) -> str:
    return reverse("programs:step_complete", args=[case.pk, code])


def version(case: Case) -> int:
    return type(case).objects.get(pk=case.pk).version
