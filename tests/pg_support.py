"""Throwaway PostgreSQL databases beside the test database (for tests that need a second, empty one or their own
demo), created on the server of MATCHMAKER_TEST_DATABASE_URL and dropped afterwards."""
from __future__ import annotations

import contextlib
import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def scratch_database(base_url: str, label: str):
    """Yield the URL of a new, empty database named after the test database and `label`."""
    base = make_url(base_url)
    name = f"{base.database}_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
