#!/usr/bin/env python3
"""Benchmark of the change command (docs/change.md; issue 13, "Measured"): a script, not a timed test.

On this machine as the lab, alternating, --repeat times:
  plain    two `pytest features/...` runs of the same claims, one after the other (what a change checks)
  change   `python -m labconform change --run true` over the same claims (lease, before, change, after)
  repair   `python -m labconform change --run "sysctl -w net.bridge.bridge-nf-call-iptables=0" --repair`
           (a real regression that provisioning owns, repaired by claim), with the bridge claim's file
The overhead of the change command is change minus plain (the target: under 2 s); the repair figure is its
whole time next to one provisioning step and one run of the affected claims. The bridge setting is put back
whatever happens. The load average is recorded before and after each run.

    .venv/bin/python scripts/bench_change.py [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ["features/80_preparing_k8s.feature", "-k", "id:k8s-prep-01"]
WAIT = ["--lease-wait", "600"]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def timed(argv: list[str], ok: set[int]) -> tuple[float, float, float]:
    before, start = load(), time.monotonic()
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    took = time.monotonic() - start
    if p.returncode not in ok:
        sys.exit(f"bench_change: {' '.join(argv[:6])} ... exited {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-1000:]}")
    return took, before, load()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    figures: dict[str, list[dict[str, float]]] = {"plain": [], "change": [], "repair": []}
    with tempfile.TemporaryDirectory(prefix="lc-bench-change-") as tmp:
        reports = ["--reports-dir", tmp]
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CLAIMS, *reports]
        change = [sys.executable, "-m", "labconform", "change", *WAIT, *reports]
        try:
            for i in range(args.repeat):
                t1, l0, _ = timed(pytest, {0})
                t2, _, l1 = timed(pytest, {0})
                figures["plain"].append({"s": round(t1 + t2, 2), "load_before": l0, "load_after": l1})
                t, l0, l1 = timed([*change, "--run", "true", *CLAIMS], {0})
                figures["change"].append({"s": round(t, 2), "load_before": l0, "load_after": l1})
                t, l0, l1 = timed([*change, "--run", "sysctl -w net.bridge.bridge-nf-call-iptables=0", "--repair",
                                   *CLAIMS], {3})
                figures["repair"].append({"s": round(t, 2), "load_before": l0, "load_after": l1})
                print(f"round {i + 1}: plain {figures['plain'][-1]['s']} s, change {figures['change'][-1]['s']} s, "
                      f"repair {figures['repair'][-1]['s']} s", flush=True)
        finally:
            subprocess.run(["sysctl", "-w", "net.bridge.bridge-nf-call-iptables=1"], capture_output=True)
    med = {k: statistics.median(r["s"] for r in v) for k, v in figures.items()}
    print("\n| what | median s | runs |\n| --- | ---: | --- |")
    for k, v in figures.items():
        print(f"| {k} | {med[k]:.2f} | {', '.join(str(r['s']) for r in v)} |")
    print(f"\nchange overhead (change - plain): {med['change'] - med['plain']:.2f} s (target under 2 s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": figures, "medians": med}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
