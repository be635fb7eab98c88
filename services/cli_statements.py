"""``claimflow statements``: what a patient owes, patient payments, and statements, via the
API (a biller decides when a statement goes out; the API renders, seals and announces it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from services.cli_common import API_OPTION, api_url, explain, fail, request
from services.crypto.secret_files import write_private

statements_app = typer.Typer(
    help="What patients owe: balances, patient payments, statements.", no_args_is_help=True
)

KINDS = ("deductible", "coinsurance", "copay", "non_covered", "other")


def _echo_share(share: dict[str, Any]) -> None:
    parts = ", ".join(f"{k} {share[k]}" for k in KINDS if share[k] not in ("0", "0.00"))
    typer.echo(f"  patient share {share['responsibility']} ({parts or 'nothing'})")
    typer.echo(f"  paid by the patient {share['patient_paid']}, balance {share['balance']}")


@statements_app.command("balance")
def balance(
    claim_id: str | None = typer.Argument(None, help="A claim id."),
    patient: str | None = typer.Option(None, "--patient", help="A patient key instead."),
    api: str | None = API_OPTION,
) -> None:
    """The patient's share by kind, what the patient paid, and the balance."""
    if (claim_id is None) == (patient is None):
        fail("give a claim id or --patient KEY (one of them)", 2)
    path = f"/claims/{claim_id}/patient-balance" if claim_id else f"/patients/{patient}/balance"
    response = request("GET", api_url(api) + path)
    if response.status_code != 200:
        explain(response)
    body = response.json()
    if claim_id:
        typer.echo(f"claim {claim_id}, patient {body['patient_key']}")
        _echo_share(body["share"])
        return
    typer.echo(f"patient {patient}: {len(body['claims'])} claim(s)")
    _echo_share(body["total"])


@statements_app.command("pay")
def pay(
    claim_id: str,
    amount: str = typer.Option(..., "--amount", help="e.g. 25.00"),
    method: str = typer.Option(..., "--method", help="cash, check, card, ach or other"),
    reference: str | None = typer.Option(None, "--reference", help="check or transaction no."),
    api: str | None = API_OPTION,
) -> None:
    """Record a payment the patient made on a claim."""
    body = {"amount": amount, "method": method, "reference": reference}
    response = request("POST", f"{api_url(api)}/claims/{claim_id}/patient-payments", json=body)
    if response.status_code != 201:
        explain(response)
    typer.echo(f"claim {claim_id}: patient payment {response.json()['n']} of {amount} recorded")


@statements_app.command("create")
def create(
    claim: str | None = typer.Option(None, "--claim", help="One claim's statement."),
    patient: str | None = typer.Option(None, "--patient", help="Every claim of a patient key."),
    api: str | None = API_OPTION,
) -> None:
    """Make a statement (stored encrypted; a statement.ready event announces it)."""
    if (claim is None) == (patient is None):
        fail("give --claim ID or --patient KEY (one of them)", 2)
    body = {"claim_id": claim} if claim else {"patient_key": patient}
    response = request("POST", f"{api_url(api)}/statements", json=body)
    if response.status_code != 201:
        explain(response)
    made = response.json()
    typer.echo(
        f"statement {made['statement_id']}: {len(made['claim_ids'])} claim(s), "
        f"amount due {made['totals']['balance']}"
    )


@statements_app.command("show")
def show(
    statement_id: str,
    out: Path | None = typer.Option(
        None, "--out", help="Write the HTML here (mode 0600) instead of printing it."
    ),
    api: str | None = API_OPTION,
) -> None:
    """The statement document (HTML; it names the patient: billing roles only)."""
    response = request("GET", f"{api_url(api)}/statements/{statement_id}")
    if response.status_code != 200:
        explain(response)
    if out is None:
        typer.echo(response.text, nl=False)
        return
    write_private(out, response.text)
    typer.echo(f"wrote {out}")
