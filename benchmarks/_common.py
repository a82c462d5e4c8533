"""Shared set-up for benchmarks: a temporary SQLite database with the schema and the seed reference data."""
from __future__ import annotations

import tempfile
from pathlib import Path

from matchmaker.config import SEED_DIR
from matchmaker.db import make_engine, make_session_factory
from matchmaker.domain.core import reference
from matchmaker.models import Base


def seeded_database(url: str | None = None):
    """(engine, sessionmaker) on a fresh database (a temp SQLite file unless `url`) with reference data."""
    if url is None:
        url = "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="mm-bench-")) / "bench.sqlite")
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        reference.load_all(session, SEED_DIR)
        session.commit()
    return engine, factory
