"""Benchmark: what the host, root-trust, link and registry claims add to a run.

Runs `pytest` on their feature files N times against the lab and reports, per run, the wall time
of the whole pytest process and the sum of the claims' own durations (setup, call and teardown as
results.json records them): the second is what they add to a full run, whose start-up, connection
and report writing are paid once anyway. Not a test: a measurement, printed and written as JSON.

    .venv/bin/python scripts/bench_host.py [--runs 5] [--target local] [--json reports/bench-host.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
FEATURES = ["features/30_rocky.feature", "features/35_fresh_restart.feature",
            "features/90_dragged_by_the_roots.feature", "features/92_glitch.feature",
            "features/94_eggs_and_baskets.feature"]
BUDGET_S = 10.0


def one_run(target: str, reports: Path) -> dict:
    name = f"lc-bench-host-{uuid.uuid4().hex[:6]}"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--target", target,
                           "--reports-dir", str(reports), "--run-name", name, *FEATURES],
                          cwd=TOP, capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - t0
    results = reports / name / "results.json"
    if not results.exists():
        raise SystemExit(f"no results from the run:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    claims = json.loads(results.read_text())["claims"]
    verdicts: dict[str, int] = {}
    for c in claims:
        verdicts[c["verdict"]] = verdicts.get(c["verdict"], 0) + 1
    slowest = sorted(claims, key=lambda c: -c["duration_s"])[:5]
    return {"wall_s": round(wall, 2), "claims_s": round(sum(c["duration_s"] for c in claims), 2),
            "claims": len(claims), "verdicts": verdicts,
            "slowest": [(c["id"], round(c["duration_s"], 2)) for c in slowest]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--target", default="local")
    ap.add_argument("--json", default=str(TOP / "reports" / "bench-host.json"))
    args = ap.parse_args(argv)
    reports = TOP / "reports" / "bench-host"
    runs = []
    for i in range(args.runs):
        r = one_run(args.target, reports)
        runs.append(r)
        print(f"run {i + 1}: wall {r['wall_s']:.2f} s, claims {r['claims_s']:.2f} s over {r['claims']} claims "
              f"{r['verdicts']}; slowest {r['slowest'][:3]}", flush=True)
    claims = [r["claims_s"] for r in runs]
    walls = [r["wall_s"] for r in runs]
    summary = {
        "runs": args.runs, "target": args.target, "features": FEATURES,
        "claims_s": {"median": round(statistics.median(claims), 2), "max": max(claims), "min": min(claims)},
        "wall_s": {"median": round(statistics.median(walls), 2), "max": max(walls), "min": min(walls)},
        "load_average": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
        "budget_s": BUDGET_S, "within_budget": max(claims) < BUDGET_S, "detail": runs,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    print(f"claims add: median {summary['claims_s']['median']} s, max {summary['claims_s']['max']} s "
          f"(budget {BUDGET_S:g} s); pytest wall: median {summary['wall_s']['median']} s; "
          f"load average {summary['load_average']}; written {args.json}")
    return 0 if summary["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
