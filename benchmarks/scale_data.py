"""Build the district's data after five years (default: 50,000 firms, 100,000 requests and what they leave
behind — about 250,000 leads, 1.6 million history rows, 0.9 million notices) with bulk writes, one progress bar per
phase, and print one JSON line: the time per phase and the rows written. Goal: ≤ 5 minutes on PostgreSQL.

    python benchmarks/scale_data.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale
    python benchmarks/scale_data.py --firms 5000 --requests 10000        # a temporary SQLite file

The database is wiped first (schema from the migrations, reference data from seed/) unless --no-reset."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaker.config import SEED_DIR  # noqa: E402
from matchmaker.db import make_engine, make_session_factory  # noqa: E402
from matchmaker.demo import scale  # noqa: E402
from matchmaker.domain.core import reference, schema  # noqa: E402


class TimedBars(scale.Progress):
    """click bars per phase, and the seconds each phase took."""

    def __init__(self):
        self.bars, self.times, self.label, self.started = scale.click_progress(), {}, None, None

    def phase(self, label, total):
        self._stop()
        self.label, self.started = label, time.perf_counter()
        self.bars.phase(label, total)

    def advance(self, n=1):
        self.bars.advance(n)

    def _stop(self):
        if self.label is not None:
            self.times[self.label] = round(time.perf_counter() - self.started, 1)

    def close(self):
        self._stop()
        self.label = None
        self.bars.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("MATCHMAKER_DATABASE_URL"))
    parser.add_argument("--firms", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--no-reset", action="store_true", help="build on an existing, seeded and empty schema")
    args = parser.parse_args()
    url = args.url or "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="mm-scale-")) / "scale.sqlite")
    engine = make_engine(url)
    started = time.perf_counter()
    bars = TimedBars()
    if not args.no_reset:
        bars.phase("建表与基础数据", 1)
        schema.drop_all(engine)
        schema.upgrade(engine)
        with make_session_factory(engine)() as session:
            reference.load_all(session, SEED_DIR)
            session.commit()
        bars.advance(1)
    with make_session_factory(engine)() as session:
        result = scale.build(session, firms=args.firms, requests=args.requests, seed=args.seed, progress=bars)
        bars.phase("提交", 1)
        session.commit()
        bars.advance(1)
        scale.analyse(session, bars)
    bars.close()
    print(json.dumps({"benchmark": "scale_data", "database": engine.dialect.name, "firms": args.firms,
                      "requests": args.requests, "rows": result["counts"],
                      "seconds": round(time.perf_counter() - started, 1), "goal_seconds": 300,
                      "python_cpu_seconds": round(time.process_time(), 1),
                      "phases": bars.times}, ensure_ascii=False))


if __name__ == "__main__":
    main()
