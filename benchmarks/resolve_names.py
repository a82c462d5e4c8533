"""Benchmark: resolve 5,000 written names against 50,000 registered firms with the blocked resolver, against a
naive loop that compares every pair with rapidfuzz's fuzz.ratio (a timed sample, scaled). Prints one JSON line
with both timings, the speed-up, and the precision and recall of automatic links on the generated variants."""
from __future__ import annotations

import json
import random
import time

from rapidfuzz import fuzz

from matchmaker.domain import names
from matchmaker.domain.entity_resolution import AUTO, Resolver, name_key
from matchmaker.domain.uscc import make as make_uscc

FIRMS, NAMES, NAIVE_SAMPLE, SEED = 50_000, 5_000, 20, 2023


def build():
    generated = names.registry_names(FIRMS + 600, seed=SEED)
    registry = [(make_uscc(f"91370402MA{i:07d}"), n) for i, (n, _) in enumerate(generated[:FIRMS])]
    keys = {name_key(n) for _, n in registry}
    rng = random.Random(SEED)
    queries = []  # (written name, true uscc or None)
    while len(queries) < NAMES * 8 // 10:
        code, name = rng.choice(registry)
        queries.append((names.spelling_variant(rng, name)[0], code))
    queries += [(n, None) for n, _ in generated[FIRMS:FIRMS + NAMES // 10]]  # firms not registered
    while len(queries) < NAMES:  # near misses: a longer trade or another brand character
        miss = names.near_miss(rng, rng.choice(registry)[1])
        if name_key(miss) not in keys:
            queries.append((miss, None))
    rng.shuffle(queries)
    return registry, queries


def main() -> None:
    registry, queries = build()
    start, cpu = time.perf_counter(), time.process_time()
    resolver = Resolver((code, code, name) for code, name in registry)
    results = [resolver.resolve(name) for name, _ in queries]
    ours, cpu = time.perf_counter() - start, time.process_time() - cpu

    sample = queries[:NAIVE_SAMPLE]
    start = time.perf_counter()
    for name, _ in sample:
        best, best_score = None, -1.0
        for code, firm_name in registry:
            score = fuzz.ratio(name, firm_name)
            if score > best_score:
                best, best_score = code, score
    naive = (time.perf_counter() - start) * len(queries) / len(sample)

    autos = [(res, truth) for res, (_, truth) in zip(results, queries) if res.decision == AUTO]
    right = sum(1 for res, truth in autos if truth is not None and res.ref == truth)
    positives = sum(1 for _, truth in queries if truth is not None)
    decisions = {d: sum(1 for r in results if r.decision == d) for d in ("auto", "review", "new")}
    print(json.dumps({
        "benchmark": "resolve_names", "names": len(queries), "firms": len(registry),
        "seconds": round(ours, 3), "cpu_seconds": round(cpu, 3), "target_seconds": 3.0,
        "naive_fuzz_ratio_loop_seconds": round(naive, 1), "naive_sample_names": len(sample),
        "speedup": round(naive / ours, 1), "target_speedup": 20,
        "precision_auto": round(right / len(autos), 4) if autos else None,
        "recall_auto": round(right / positives, 4), "decisions": decisions,
        "met": ours <= 3.0 and naive / ours >= 20,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
