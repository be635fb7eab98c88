"""Raw CloudEvents records as claimflow publishes them, for tests that write topics directly."""

from __future__ import annotations

import json


def raw_event(
    claim_id: str,
    seq: int,
    status: str,
    *,
    type_: str | None = None,
    payer_id: str = "SIMPAYER1",
    time: str = "2026-11-02T12:00:00Z",
) -> bytes:
    """A record of the v1 envelope; ``type_`` overrides the type (e.g. one not in v1)."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": f"{claim_id}:{seq}",
            "source": "/claimflow/claim-workflow",
            "type": type_ or f"claimflow.claim.{status.lower()}.v1",
            "subject": claim_id,
            "time": time,
            "datacontenttype": "application/json",
            "data": {"claim_id": claim_id, "seq": seq, "status": status, "payer_id": payer_id},
        }
    ).encode()
