"""Define lint findings; take raw per-case findings and return one finding per problem.

A check may find the same problem in many renders (every offer, every locale,
the worst-case data). :func:`merge_findings` keeps one finding per
``(code, rectangle)``: the worst severity, the message of the worst instance
(the check ranks them), and the list of cases that showed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1}
MAX_CASES_IN_MESSAGE = 3
"""How many more cases a merged message names before it says "and N more"."""


@dataclass(frozen=True)
class Finding:
    """One problem: a stable ``code``, its severity, the rectangle it is about, a sentence."""

    code: str
    severity: Severity
    rectangle: str | None
    """The rectangle's name, or None for the template as a whole."""
    index: int | None
    """The rectangle's position in the template's list, or None."""
    message: str
    cases: tuple[str, ...] = ()
    """The renders that showed the problem (``offer · locale``), empty for static checks."""

    def to_json(self) -> dict[str, Any]:
        """Return the finding as ``--json`` prints it."""
        return {
            "code": self.code,
            "severity": self.severity,
            "rectangle": self.rectangle,
            "index": self.index,
            "message": self.message,
            "cases": list(self.cases),
        }

    def line(self) -> str:
        """Return the finding as one human line: ``severity rectangle code: message``."""
        if self.rectangle is None:
            where = "-"
        elif self.rectangle and not any(c.isspace() for c in self.rectangle):
            where = self.rectangle
        else:
            where = repr(self.rectangle)
        return f"{self.severity} {where} {self.code}: {self.message}"


@dataclass(frozen=True)
class RawFinding:
    """A finding from one render, before merging: ``rank`` orders instances, higher is worse."""

    code: str
    severity: Severity
    index: int | None
    message: str
    case: str = ""
    rank: float = 0.0


def merge_findings(raw: Iterable[RawFinding], names: dict[int, str]) -> list[Finding]:
    """Return one Finding per (code, rectangle), in a stable order: template first, then by rect."""
    groups: dict[tuple[str, int | None], list[RawFinding]] = {}
    for f in raw:
        groups.setdefault((f.code, f.index), []).append(f)
    out: list[Finding] = []
    for (code, index), items in groups.items():
        worst = min(items, key=lambda f: (SEVERITY_ORDER[f.severity], -f.rank))
        cases = list(dict.fromkeys(f.case for f in items if f.case))
        message = worst.message
        if worst.case:
            message += f" [{worst.case}]"
            others = [c for c in cases if c != worst.case]
            if others:
                shown = ", ".join(others[:MAX_CASES_IN_MESSAGE])
                more = len(others) - MAX_CASES_IN_MESSAGE
                message += f" (also {shown}{f' and {more} more' if more > 0 else ''})"
        out.append(Finding(
            code, worst.severity, names.get(index) if index is not None else None, index,
            message, tuple(cases),
        ))
    out.sort(key=lambda f: (
        f.index is not None, f.index or 0, SEVERITY_ORDER[f.severity], f.code,
    ))
    return out
