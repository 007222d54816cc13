"""Working a flag (核实疑点): confirm it with the action it calls for, or dismiss it with the
reason. A flag with a review is concluded through the review (the review's outcome is the
flag's); a death confirmed is recorded in the registry (the case engine then does what a death
does); a death dismissed resumes the payment the run suspended; a candidate confirmed says
the person was referred for enrolment."""

from __future__ import annotations

from minzheng.core.models import User
from minzheng.matching.models import MatchFlag


def flag_confirm(
    *,
    actor: User,
    flag: MatchFlag,
    outcome: str,
    reason: str,
    findings: str = "",
) -> MatchFlag:
    """Confirm: `outcome` is a ReviewOutcome (adjust / suspend / terminate; continue is not a
    confirmation) for a flag with a case, or "referred" for a candidate. MatchingError for a
    missing reason or an outcome the case's status does not allow; MatchingConflict when the
    flag was worked meanwhile; PermissionDenied/404 outside the actor's role or scope."""
    raise NotImplementedError


def flag_dismiss(*, actor: User, flag: MatchFlag, reason: str) -> MatchFlag:
    """Dismiss (not true: wrong person, vehicle sold, income already declared ...) with the
    reason; the review concludes "continue", a suspension by the run is lifted. The same
    evidence is never flagged again."""
    raise NotImplementedError
