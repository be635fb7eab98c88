"""The eligibility activity: ask the payer gateway whether the claim's patient is covered.

Eligibility is a safeguard, not a gate that may hang a claim. So the activity always
returns an outcome and never leaves its caller to a retry storm: within ``timeout_s`` it
asks, and asks again after an outage (a payer restarting, a dropped connection); when the
bound passes without an answer the outcome is ``timeout``, naming the last error. A payer
that refuses the request (4xx, or a request the 270 cannot carry) is ``error`` at once,
since asking again would get the same refusal. Schedule it with a start-to-close timeout
above ``timeout_s``; the result holds no PHI, so it may sit in workflow history as it is.
"""

from __future__ import annotations

import asyncio
import logging

from pydantic import BaseModel, ValidationError
from temporalio import activity

from activities.payer import PayerGateway, PayerRefused
from claims.eligibility import (
    EligibilityRequest,
    EligibilityResult,
    EligibilityStatus,
    request_for_claim,
)
from claims.model import Claim

log = logging.getLogger(__name__)


class EligibilityInput(BaseModel):
    claim: Claim
    # TRN02 of the 270; the claim id when not given. A re-check before a resubmission
    # passes its own (e.g. "<claim id>-2") so the two answers are told apart.
    trace_number: str | None = None
    service_types: tuple[str, ...] = ("30",)


def _outcome(
    status: EligibilityStatus,
    request: EligibilityRequest | None,
    inp: EligibilityInput,
    message: str,
) -> EligibilityResult:
    return EligibilityResult(
        status=status,
        trace_number=request.trace_number if request else inp.trace_number,
        claim_id=inp.claim.claim_id,
        payer_id=inp.claim.payer.payer_id,
        message=message,
    )


class EligibilityActivities:
    def __init__(
        self, gateway: PayerGateway, *, timeout_s: float = 15.0, retry_every_s: float = 1.0
    ) -> None:
        self._gateway = gateway
        self._timeout = timeout_s
        self._retry_every = retry_every_s

    @activity.defn
    async def check_eligibility(self, inp: EligibilityInput) -> EligibilityResult:
        try:
            request = request_for_claim(
                inp.claim, trace_number=inp.trace_number, service_types=inp.service_types
            )
        except (ValueError, ValidationError) as exc:
            return _outcome(EligibilityStatus.ERROR, None, inp, f"no 270 can be built: {exc}")
        return await self.ask(request, inp)

    async def ask(self, request: EligibilityRequest, inp: EligibilityInput) -> EligibilityResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        attempts = 0
        last: str | None = None
        while (remaining := deadline - loop.time()) > 0:
            attempts += 1
            try:
                async with asyncio.timeout(remaining):
                    result = await self._gateway.check_eligibility(request)
                if result.status is EligibilityStatus.PENDING and not result.answer_within_seconds:
                    # A file exchange: the 271 comes later, within the same bound (unless the
                    # gateway knows its exchange's own turnaround).
                    result = result.model_copy(update={"answer_within_seconds": self._timeout})
                return result
            except TimeoutError:
                break
            except PayerRefused as exc:
                return _outcome(EligibilityStatus.ERROR, request, inp, f"the payer refused: {exc}")
            except Exception as exc:  # noqa: BLE001 - an outage: ask again until the bound
                last = f"{type(exc).__name__}: {exc}"
                log.warning("eligibility for %s: attempt %d failed: %s",
                            inp.claim.claim_id, attempts, last)  # fmt: skip
                await asyncio.sleep(min(self._retry_every, max(deadline - loop.time(), 0)))
        detail = f"; last error: {last}" if last else ""
        return _outcome(
            EligibilityStatus.TIMEOUT,
            request,
            inp,
            f"the payer did not answer within {self._timeout:g} s ({attempts} attempt"
            f"{'' if attempts == 1 else 's'}){detail}",
        )
