"""``claimflow eligibility FILE|CLAIM_ID``: ask the payer whether the patient is covered.

Through the API (a signed-in biller, coder, supervisor or ops user): a claim file goes to
``POST /eligibility``, a claim id to ``POST /claims/{id}/eligibility`` (the claim's
workflow asks, since only it holds the member's identity). Nothing on the claim changes.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from services.cli_common import API_OPTION, api_url, claim_body, explain, fail, request

# Exit codes: what a script wants to branch on.
COVERED, NOT_COVERED, NO_ANSWER = 0, 1, 3
_CLAIM_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def eligibility(
    target: str = typer.Argument(..., metavar="FILE|CLAIM_ID"),
    as_json: bool = typer.Option(False, "--json", help="The API's answer as JSON."),
    api: str | None = API_OPTION,
) -> None:
    """Ask the payer about a claim file's patient, or a claim's (a 270 out, a 271 back).

    Prints the coverage, the plan's cost sharing and the expected patient share of the
    claim's charge. Exit 0: covered; 1: not covered (inactive, or the member not found:
    the payer's reason is printed); 3: no answer (the payer did not or could not answer,
    or the answer comes later as a file); 2: neither a readable file nor a claim id.
    """
    path = Path(target)
    if path.exists():
        response = request("POST", f"{api_url(api)}/eligibility", json=claim_body(path))
    elif _CLAIM_ID.match(target.upper()):
        response = request("POST", f"{api_url(api)}/claims/{target.upper()}/eligibility")
    else:
        fail(f"{target}: neither a claim file nor a claim id (26 characters, a ULID)", 2)
    if response.status_code != 200:
        explain(response)
    answer = response.json()
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
    else:
        typer.echo(describe(answer))
    status = answer["result"]["status"]
    if status == "active":
        raise typer.Exit(COVERED)
    raise typer.Exit(NOT_COVERED if status in ("inactive", "not_found") else NO_ANSWER)


def describe(answer: dict[str, Any]) -> str:
    """The answer in a biller's words."""
    from claims.eligibility import EligibilityResult

    result = EligibilityResult.model_validate(answer["result"])
    head = f"eligibility: {result.status.value}"
    if result.plan_name:
        head += f" ({result.plan_name})"
    if result.status.value != "active":
        return f"{head}: {result.reason_text()}"
    lines = [head]
    summary = answer.get("summary") or {}
    figures = [
        f"{label} {summary[key]}{suffix}"
        for key, label, suffix in (
            ("copay", "copay", ""),
            ("coinsurance_percent", "coinsurance", "%"),
            ("deductible_remaining", "deductible remaining", ""),
            ("out_of_pocket_remaining", "out of pocket remaining", ""),
        )
        if summary.get(key) is not None
    ]
    if figures:
        lines.append("  " + " | ".join(figures))
    share = answer.get("expected_patient_share")
    if share and share.get("known", True):
        total = sum(Decimal(share[k]) for k in ("copay", "deductible", "coinsurance"))
        lines.append(
            f"  expected patient share of {share['amount']}: {total:.2f} (copay "
            f"{share['copay']}, deductible {share['deductible']}, coinsurance "
            f"{share['coinsurance']})"
        )
    elif share:
        lines.append("  expected patient share: unknown (the payer gave no cost-sharing figure)")
    return "\n".join(lines)
