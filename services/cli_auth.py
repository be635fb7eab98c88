"""``claimflow users|token|apikey|keys|audit``: people, machines, keys and the audit trail.

``users``, ``token``, ``apikey`` and ``keys`` work on this installation's database and state
dir directly (run them where the API runs, as the account that owns its state dir): the
first admin has nobody to ask. ``audit`` asks the API, with the caller's credential.
"""

from __future__ import annotations

import sys

import typer

from claims.roles import Role
from services.cli_common import API_OPTION, api_url, explain, fail, local_engine, request
from services.settings import get_settings

users_app = typer.Typer(help="Local users (people who sign in with a password).")
token_app = typer.Typer(help="Bearer tokens for local users (scripts, tests, the CLI).")
apikey_app = typer.Typer(help="API keys for machines (shown once; only a hash is kept).")
keys_app = typer.Typer(help="Data keys that encrypt PHI at rest.")

ROLE_OPTION = typer.Option(..., "--role", help="A role (repeat for several).")


def _roles(names: list[str]) -> frozenset[Role]:
    from services.auth.store import parse_roles

    try:
        return parse_roles(names)
    except ValueError as exc:
        fail(str(exc), 2)


def _read_password() -> str:
    """From standard input: typed twice at a terminal, or the first line of a pipe."""
    if sys.stdin.isatty():
        password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\n")


@users_app.command("add")
def users_add(name: str, role: list[str] = ROLE_OPTION) -> None:
    """Add a user; the password is read from standard input (at least 12 characters)."""
    from services.auth.users import UserError, add_user

    try:
        user = add_user(local_engine(), name, _read_password(), _roles(role))
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"user {user.name} added ({user.roles})")


@users_app.command("list")
def users_list() -> None:
    """Users, their roles, and whether they are disabled."""
    from services.auth.users import list_users

    for user in list_users(local_engine()):
        state = "  disabled" if user.disabled else ""
        typer.echo(f"{user.name:<24} {user.roles}{state}")


@users_app.command("passwd")
def users_passwd(name: str) -> None:
    """Set a user's password (from standard input)."""
    from services.auth.users import UserError, update_user

    try:
        update_user(local_engine(), name, password=_read_password())
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"password of {name} changed")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: sign-in and every token of theirs stop working at once."""
    from services.auth.users import UserError, update_user

    try:
        update_user(local_engine(), name, disabled=True)
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"user {name} disabled")


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="A local user."),
    role: list[str] = ROLE_OPTION,
    ttl: str = typer.Option("8h", "--ttl", help="Lifetime: 90s, 30m, 8h, 2d (at most 30d)."),
) -> None:
    """Print a bearer token for USER with ROLE(s) they hold (export CLAIMFLOW_TOKEN=...)."""
    from services.auth.tokens import LocalIssuer, parse_ttl
    from services.auth.users import get_user

    wanted = _roles(role)
    found = get_user(local_engine(), user)
    if found is None or found.disabled:
        fail(f"no enabled user {user!r} (claimflow users add)")
    missing = set(wanted) - found.role_set
    if missing:
        fail(f"user {user} does not hold the role(s) {', '.join(sorted(map(str, missing)))}")
    try:
        seconds = parse_ttl(ttl)
    except ValueError as exc:
        fail(str(exc), 2)
    token, _ = LocalIssuer(get_settings()).issue(user, wanted, ttl_seconds=seconds)
    typer.echo(token)


@apikey_app.command("create")
def apikey_create(name: str = typer.Option(..., "--name"), role: list[str] = ROLE_OPTION) -> None:
    """Make an API key and print it once (send it as X-API-Key)."""
    from services.auth.apikeys import create_key
    from services.auth.users import UserError

    try:
        row, key = create_key(local_engine(), name, _roles(role))
    except UserError as exc:
        fail(str(exc))
    typer.echo(key)
    typer.echo(f"(API key {row.name}, roles {row.roles}: shown only now)", err=True)


@apikey_app.command("list")
def apikey_list() -> None:
    """API keys: name, roles, made, revoked (never the key)."""
    from services.auth.apikeys import list_keys

    for row in list_keys(local_engine()):
        revoked = f"  revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
        typer.echo(f"{row.name:<24} {row.roles:<32} made {row.created_at:%Y-%m-%d}{revoked}")


@apikey_app.command("revoke")
def apikey_revoke(name: str) -> None:
    """Revoke an API key: it stops working at once."""
    from services.auth.apikeys import revoke_key
    from services.auth.users import UserError

    try:
        revoke_key(local_engine(), name)
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"API key {name} revoked")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new data key and make it the one that encrypts; old ones still decrypt."""
    from services.crypto.keyring import rotate

    kid, ring = rotate(get_settings())
    if ring is None:
        typer.echo(f"data key {kid} is active; running processes pick it up as they meet it")
        typer.echo("(restart them to encrypt with it from now on)")
    else:
        typer.echo(ring.decode(), nl=False)
        typer.echo(f"store this as CLAIMFLOW_ENCRYPTION_KEYS ({kid} active)", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """Key ids of the data key ring (never the keys), the active one marked."""
    from services.crypto.keyring import KeyRing

    ring = KeyRing.load(get_settings())
    for kid in sorted(ring.keys):
        typer.echo(f"{'*' if kid == ring.active else ' '} {kid}")


def audit(claim_id: str, api: str | None = API_OPTION) -> None:
    """Every write request on a claim: when, who (roles, channel), what, outcome."""
    response = request("GET", f"{api_url(api)}/claims/{claim_id}/audit")
    if response.status_code != 200:
        explain(response)
    for e in response.json():
        who = f"{e['actor'] or '-'} ({e['roles'] or 'no role'}, {e['channel'] or '-'})"
        detail = f"  {e['detail']}" if e.get("detail") else ""
        typer.echo(f"{e['at']}  {who:<40} {e['action'] or e['route']:<20} {e['status_code']} "
                   f"{e['outcome']}{detail}")  # fmt: skip
