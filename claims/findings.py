"""What the coding and scrubbing stages say about a claim.

A finding is addressed to a biller or coder: a stable code to filter on, a severity that
decides whether the claim may go out, the field to fix (a JSON path into the claim) and a
sentence saying what is wrong.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"  # blocks submission
    WARNING = "warning"  # shown, does not block


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    field: str
    message: str
    # Codes the biller may mean instead (e.g. the billable children of a category code), so a
    # screen can offer them as choices rather than making the coder look them up.
    candidates: tuple[str, ...] = ()


class Report(BaseModel):
    """Findings of one stage. ``ok`` means nothing blocks the claim."""

    model_config = ConfigDict(frozen=True)

    stage: str
    findings: tuple[Finding, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.findings:
            return f"{self.stage}: clean"
        return "; ".join(f"{f.code} {f.field}: {f.message}" for f in self.findings)


def error(code: str, field: str, message: str, candidates: tuple[str, ...] = ()) -> Finding:
    """A finding that blocks submission.

    Built with ``model_construct``: the edits build thousands of these per second from values
    they control, so pydantic's validation would cost time and catch nothing.
    """
    return Finding.model_construct(
        code=code, severity=Severity.ERROR, field=field, message=message, candidates=candidates
    )


def warning(code: str, field: str, message: str, candidates: tuple[str, ...] = ()) -> Finding:
    """A finding shown to the biller that does not block submission."""
    return Finding.model_construct(
        code=code, severity=Severity.WARNING, field=field, message=message, candidates=candidates
    )


def report(stage: str, findings: list[Finding]) -> Report:
    return Report.model_construct(stage=stage, findings=tuple(findings))
