"""``claimflow db``: the database schema, for operators who run migrations themselves."""

from __future__ import annotations

import typer

from services.settings import get_settings

db_app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command()
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Create or migrate the database to this release's schema; data is kept."""
    from services import db

    settings = get_settings()
    engine = db.make_engine(settings.resolved_database_url)
    before = db.current(engine)
    db.upgrade(engine, revision)
    typer.echo(f"database schema: {before or 'empty'} -> {db.current(engine)}")
    engine.dispose()


@db_app.command()
def current() -> None:
    """Show the database's schema revision and the one this release needs."""
    from services import db

    engine = db.make_engine(get_settings().resolved_database_url)
    typer.echo(f"database: {db.current(engine) or 'empty'}; this release: {db.head()}")
    engine.dispose()


@db_app.command()
def revision(
    message: str = typer.Option(..., "--message", "-m", help="What the migration changes."),
    rev_id: str = typer.Option(..., "--id", help="Revision id: the next number, e.g. 0003."),
) -> None:
    """For developers: write a migration from the models' difference to the database.

    Point CLAIMFLOW_DATABASE_URL at a database at the current head (an empty one is upgraded
    first), then review the generated file: autogenerate does not see renames or data moves.
    """
    from alembic import command

    from services import db

    engine = db.make_engine(get_settings().resolved_database_url)
    db.upgrade(engine, db.head())
    with engine.begin() as conn:
        command.revision(db.alembic_config(conn), message=message, rev_id=rev_id, autogenerate=True)
    engine.dispose()
