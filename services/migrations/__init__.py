"""Alembic migrations of claimflow's database (the read model and its side tables).

Run by ``claimflow db upgrade`` (production: once per release, before the processes start)
or by ``services.db.init_db`` when ``CLAIMFLOW_AUTO_MIGRATE`` is on (the embedded default).
"""
