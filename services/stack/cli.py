"""``claimflow stack ...``: start, stop and inspect the local stack from a shell.

Failures print one readable message and exit 1; a traceback would bury the one line that
matters (e.g. "mvn not found on PATH: install Maven").
"""

from __future__ import annotations

import time
from collections.abc import Callable

import typer

from services import stack
from services.settings import Settings, get_settings
from services.stack import kafka, overview

stack_app = typer.Typer(
    help="Run the local Temporal, Kafka and PostgreSQL servers (state in CLAIMFLOW_STATE_DIR).",
    no_args_is_help=True,
)


def _run(action: Callable[[Settings], object], settings: Settings) -> None:
    try:
        action(settings)
    except stack.StackError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except Exception as exc:  # anything else is a bug, but still no traceback wall
        typer.secho(f"error: {type(exc).__name__}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def _print_status(settings: Settings) -> None:
    for row in overview.components(settings):
        colour = typer.colors.GREEN if row.state in ("running", "in use") else typer.colors.YELLOW
        typer.echo(f"{row.name:<10} " + typer.style(f"{row.state:<13}", fg=colour) + row.detail)


@stack_app.command()
def up(
    with_postgres: bool = typer.Option(
        False, "--postgres", help="Also start PostgreSQL (installs it with apt if missing)."
    ),
) -> None:
    """Start the stack (idempotent) and wait until every server answers."""
    settings = get_settings()
    started = time.monotonic()
    _run(lambda s: stack.up(s, postgres=with_postgres), settings)
    typer.echo(f"stack up in {time.monotonic() - started:.1f}s (state in {settings.state_dir})")
    _print_status(settings)


@stack_app.command()
def down() -> None:
    """Stop the servers this state dir started; their data is kept."""
    _run(stack.down, get_settings())
    typer.echo("stack down")


def _print_lag(settings: Settings) -> None:
    """The consumer groups' lag, when the broker runs (else there is nothing to ask)."""
    from services.consumer_lag import lag_by_group

    if not kafka.is_running(settings):
        return
    try:
        lags = lag_by_group(settings, timeout_ms=3000)
    except Exception as exc:  # a broker still starting, a network error: say so, go on
        typer.echo(f"consumer lag unknown: {type(exc).__name__}: {exc}")
        return
    for name, lag in lags.items():
        topics = ", ".join(f"{t} {n}" for t, n in lag.by_topic().items()) or "no topics yet"
        typer.echo(f"{name:<9} lag {lag.total:<9} {topics}")


@stack_app.command()
def status() -> None:
    """One line per server, the database in use, each of claimflow's processes, then
    consumer lag."""
    settings = get_settings()
    _run(_print_status, settings)
    _print_lag(settings)


@stack_app.command()
def reset() -> None:
    """Stop the stack and delete its state dir (all workflows, topics and logs)."""
    settings = get_settings()
    _run(stack.reset, settings)
    typer.echo(f"stack reset: {settings.state_dir} deleted")
