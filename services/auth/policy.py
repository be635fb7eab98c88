"""The route x role table: which roles may call each API route. Authorization is here alone.

Every router attaches ``authorize`` as a dependency (``APIRouter(dependencies=AUTHORIZED)``);
it looks the matched route up in ``ROUTE_ROLES`` and refuses (403, naming the roles the
route needs) a caller holding none of them. A route missing from the table is refused to
everyone, and ``tests/services/test_auth_matrix.py`` fails until it is added, so a new
route can never be open by accident.

To add a router (webhooks admin, payer registry admin, console pages, ...):

1. create it with ``router = APIRouter(dependencies=AUTHORIZED)``;
2. add one line per route below, e.g.
   ``("GET", "/admin/webhooks"): ADMINS,`` or ``("GET", "/console/claims"): READERS,``;
3. in a route that needs the caller (to name the actor, say), take ``principal: Authorized``.

The matrix test walks every line: every role and no credential, 2xx/401/403 as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path

from claims.roles import Role
from services.api.errors import error
from services.auth.authenticate import PrincipalDep
from services.auth.principal import Principal

R = Role
# Read claims, events, queues and analytics.
READERS = frozenset({R.CODER, R.BILLER, R.SUPERVISOR, R.OPS})
# Act on a claim's money and its dealings with the payer.
BILLING = frozenset({R.BILLER, R.SUPERVISOR})
# See decrypted Temporal payloads (the codec server behind the Temporal UI).
CODEC = frozenset({R.OPS, R.BILLER, R.SUPERVISOR})
ADMINS = frozenset({R.ADMIN})
ANY_ROLE = frozenset(Role)
# Edit a claim's codes (coders recode, billers correct and replace).
CODING = frozenset({R.CODER}) | BILLING

# (method, path as declared on the route) -> the roles allowed; one of them is enough.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    # intake
    ("POST", "/claims"): frozenset({R.INTAKE}),
    ("POST", "/fhir/Claim"): frozenset({R.INTAKE}),
    ("POST", "/x12/inbound"): frozenset({R.INTAKE}),
    # reading
    ("GET", "/claims"): READERS,
    ("GET", "/claims/{claim_id}"): READERS,
    ("GET", "/claims/{claim_id}/events"): READERS,
    ("GET", "/claims/{claim_id}/audit"): READERS | ADMINS,
    ("GET", "/payer-messages/unmatched"): READERS,
    ("GET", "/inbound-files"): READERS | {R.INTAKE},
    ("GET", "/inbound-files/{file_id}"): READERS | {R.INTAKE},
    ("GET", "/claims/{claim_id}/ledger"): READERS,
    ("GET", "/payments"): READERS,
    ("GET", "/payments/{payment_id}"): READERS,
    ("GET", "/payers"): READERS | ADMINS,
    ("GET", "/payers/{payer_id}"): READERS | ADMINS,
    # work queues, figures, alerts and the live feed (the console's and any service's)
    ("GET", "/queues"): READERS,
    ("GET", "/queues/{queue}"): READERS,
    ("GET", "/write-off-requests"): READERS,
    ("GET", "/analytics/overview"): READERS,
    ("GET", "/analytics/aging"): READERS,
    ("GET", "/analytics/denials"): READERS,
    ("GET", "/alerts"): READERS,
    ("GET", "/stream"): READERS,
    # seeing an alert is part of watching the claims; it changes no claim (audited)
    ("POST", "/alerts/{alert_id}/acknowledge"): READERS,
    # unmatched payer messages: a biller delivers one to a claim or dismisses it (audited)
    ("POST", "/payer-messages/{message_id}/match"): BILLING,
    ("POST", "/payer-messages/{message_id}/dismiss"): BILLING,
    # attachments: billers upload them for appeals; their contents and names are PHI
    ("POST", "/claims/{claim_id}/attachments"): BILLING,
    ("GET", "/claims/{claim_id}/attachments"): CODEC,
    ("GET", "/attachments/{attachment_id}"): CODEC,
    # the code editor: each edit is sent as recode, correct or replace, and the caller must
    # also hold that action's roles (``require`` in the route)
    ("GET", "/claims/{claim_id}/codes"): CODING,
    ("POST", "/claims/{claim_id}/codes"): CODING,
    ("GET", "/claims/{claim_id}/patient-balance"): READERS,
    ("GET", "/claims/{claim_id}/patient-payments"): READERS,
    ("GET", "/patients/{patient_key}/balance"): READERS,
    # human actions
    ("POST", "/claims/{claim_id}/recode"): frozenset({R.CODER}),
    ("POST", "/claims/{claim_id}/correct"): BILLING,
    ("POST", "/claims/{claim_id}/appeal"): BILLING,
    ("POST", "/claims/{claim_id}/replace"): BILLING,
    ("POST", "/claims/{claim_id}/void"): BILLING,
    ("POST", "/claims/{claim_id}/write-off"): BILLING,
    ("POST", "/claims/{claim_id}/write-off/approve"): frozenset({R.SUPERVISOR}),
    ("POST", "/claims/{claim_id}/write-off/reject"): frozenset({R.SUPERVISOR}),
    # eligibility on demand (270/271): asks the payer, changes nothing on the claim
    ("POST", "/eligibility"): READERS,
    ("POST", "/claims/{claim_id}/eligibility"): READERS,
    ("POST", "/claims/{claim_id}/patient-payments"): BILLING,
    ("POST", "/statements"): BILLING,
    # PHI in plain text, for people allowed to see it
    ("POST", "/codec/encode"): CODEC,
    ("POST", "/codec/decode"): CODEC,
    ("POST", "/x12/decrypt"): CODEC,
    # a patient statement names the patient: for the people who bill the patient
    ("GET", "/statements/{statement_id}"): BILLING,
    # who am I
    ("GET", "/auth/me"): ANY_ROLE,
    # administration
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("PATCH", "/admin/users/{name}"): ADMINS,
    ("GET", "/admin/api-keys"): ADMINS,
    ("POST", "/admin/api-keys"): ADMINS,
    ("DELETE", "/admin/api-keys/{name}"): ADMINS,
    # the payer registry (terms every new claim inherits)
    ("POST", "/payers"): ADMINS,
    ("PATCH", "/payers/{payer_id}"): ADMINS,
    # webhook subscriptions (they receive claim events: an admin's decision)
    ("POST", "/webhooks"): ADMINS,
    ("GET", "/webhooks"): ADMINS,
    ("GET", "/webhooks/{sub_id}"): ADMINS,
    ("PATCH", "/webhooks/{sub_id}"): ADMINS,
    ("DELETE", "/webhooks/{sub_id}"): ADMINS,
    ("GET", "/webhooks/{sub_id}/dead-letters"): ADMINS | READERS,
    ("POST", "/webhooks/{sub_id}/redrive"): ADMINS,
}

# The console's pages read what readers read; each of its forms is the API route it calls,
# with that route's roles (so a page offers an action exactly when the API would take it).
CONSOLE_FORMS: dict[str, tuple[str, str]] = {
    "/console/claims/{claim_id}/appeal": ("POST", "/claims/{claim_id}/appeal"),
    "/console/claims/{claim_id}/void": ("POST", "/claims/{claim_id}/void"),
    "/console/claims/{claim_id}/write-off": ("POST", "/claims/{claim_id}/write-off"),
    "/console/claims/{claim_id}/write-off/approve": (
        "POST",
        "/claims/{claim_id}/write-off/approve",
    ),
    "/console/claims/{claim_id}/write-off/reject": ("POST", "/claims/{claim_id}/write-off/reject"),
    "/console/claims/{claim_id}/codes": ("POST", "/claims/{claim_id}/codes"),
    "/console/claims/{claim_id}/coverage": ("POST", "/claims/{claim_id}/correct"),
    "/console/claims/{claim_id}/patient-payments": ("POST", "/claims/{claim_id}/patient-payments"),
    "/console/claims/{claim_id}/statements": ("POST", "/statements"),
    "/console/unmatched/{message_id}/match": ("POST", "/payer-messages/{message_id}/match"),
    "/console/unmatched/{message_id}/dismiss": ("POST", "/payer-messages/{message_id}/dismiss"),
    "/console/alerts/{alert_id}/acknowledge": ("POST", "/alerts/{alert_id}/acknowledge"),
}
CONSOLE_PAGES = (
    "/console",
    "/console/overview",
    "/console/queues",
    "/console/queues/{queue}",
    "/console/claims",
    "/console/claims/{claim_id}",
    "/console/alerts",
)
ROUTE_ROLES.update({("GET", page): READERS for page in CONSOLE_PAGES})
ROUTE_ROLES.update({("POST", form): ROUTE_ROLES[api] for form, api in CONSOLE_FORMS.items()})

# Routes anyone may call: health, and the ways to sign in and out.
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/health"),
        ("POST", "/auth/token"),
        ("POST", "/auth/login"),
        ("POST", "/auth/logout"),
        # the console's sign-in page, its style sheet and scripts (no data in any of them)
        ("GET", "/console/login"),
        ("GET", "/console/static/{name}"),
    }
)


def _compiled() -> list[tuple[str, Any, str]]:
    """(method, regex, template), templates with fewer parameters first."""
    keys = sorted(ROUTE_ROLES, key=lambda k: (k[1].count("{"), k[1]))
    return [(method, compile_path(path)[0], path) for method, path in keys]


_MATCHERS = _compiled()


def route_template(method: str, path: str) -> str | None:
    """The table's route template that a request path matches (None: not in the table).

    Matched against the table itself rather than read from the framework's routing
    internals, so prefixes and FastAPI versions cannot make a route miss its line.
    """
    for m, regex, template in _MATCHERS:
        if m == method and regex.match(path):
            return template
    return None


def needed_roles(method: str, path: str) -> frozenset[Role] | None:
    """The roles for a request path (concrete, e.g. /claims/01J.../appeal) or a template."""
    found = ROUTE_ROLES.get((method, path))
    if found is not None:
        return found
    template = route_template(method, path)
    return ROUTE_ROLES[(method, template)] if template else None


def _names(roles: frozenset[Role]) -> str:
    ordered = [r.value for r in Role if r in roles]
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def authorize(request: Request, principal: PrincipalDep) -> Principal:
    """403 unless the caller holds one of the roles the table gives the matched route."""
    path = route_template(request.method, request.scope["path"]) or request.scope["path"]
    needed = ROUTE_ROLES.get((request.method, path))
    if needed is None:
        raise error(
            403,
            f"{request.method} {path} has no roles in the route table; refused to everyone",
            rule="route_not_declared",
        )
    if not principal.has_any(needed):
        raise _refusal(principal, request.method, path, needed)
    return principal


def _refusal(
    principal: Principal, method: str, path: str, needed: frozenset[Role]
) -> HTTPException:
    held = ", ".join(sorted(principal.roles)) or "no claimflow role"
    return error(
        403,
        f"{method} {path} needs the role {_names(needed)}; {principal.name} has {held}",
        rule="role_required",
    )


def allows(principal: Principal, method: str, template: str) -> bool:
    """Whether the table lets ``principal`` call a route: the one answer to "may this person
    do this", for the API's own checks and for what the console shows."""
    return principal.has_any(ROUTE_ROLES[(method, template)])


def require(principal: Principal, method: str, template: str) -> None:
    """403 (as ``authorize`` words it) unless the table lets ``principal`` call the route;
    for a route that acts for another (the code editor sends a recode, correct or replace)."""
    if not allows(principal, method, template):
        raise _refusal(principal, method, template, ROUTE_ROLES[(method, template)])


Authorized = Annotated[Principal, Depends(authorize)]
AUTHORIZED: list[DependsParam] = [Depends(authorize)]


def served_routes(app: FastAPI) -> dict[tuple[str, str], bool]:
    """The operations ``app`` serves, as its OpenAPI document lists them (method, path
    template, prefixes included), each with whether ``authorize`` guards it.

    Read from the routes themselves: generating the OpenAPI document builds a JSON schema
    of every model (seconds of CPU), which a process should not pay at each start.
    """
    served: dict[tuple[str, str], bool] = {}
    for route in iter_route_contexts(app.routes):  # included routers' routes, as served
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            guarded = _depends_on(route.dependant, authorize)
            for method in route.methods or ():
                served[(method, str(route.path_format))] = guarded
    return served


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def check_routes(app: FastAPI) -> None:
    """Refuse to start an API with a route that is neither public nor in the table.

    Every operation served must be public or have a line in ``ROUTE_ROLES`` and be guarded
    by ``authorize`` (its router carries ``AUTHORIZED``); every line must name a real
    operation. The route x role matrix test then proves each line's roles are enforced.
    """
    problems = []
    served = served_routes(app)
    for (method, path), guarded in served.items():
        if (method, path) in PUBLIC:
            continue
        if (method, path) not in ROUTE_ROLES:
            problems.append(f"{method} {path} has no line in ROUTE_ROLES")
        elif not guarded:
            problems.append(f"{method} {path}: its router lacks dependencies=AUTHORIZED")
    problems += [
        f"{m} {p} is in ROUTE_ROLES but not served" for m, p in ROUTE_ROLES.keys() - served
    ]
    if problems:
        raise RuntimeError("routes without authorization:\n  " + "\n  ".join(sorted(problems)))
