#!/usr/bin/env python3
"""Benchmark: how long rendering the report of N claims takes (index.html, junit.xml, cucumber.json).

.venv/bin/python scripts/bench_report.py [--claims 200] [--repeat 5] [--from reports/latest]

Claims are made like a real run's (evidence with command output, HTTP responses, timing samples;
some failed, some not applicable, some waived, a baseline diff), or copied round-robin from a real
run's results.json with --from. Prints the median and the worst time of each output; exits 1 when
index.html of the given claims takes 1 s or more (the project's target).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labconform.outputs.exports import cucumber, junit  # noqa: E402
from labconform.outputs.report import render  # noqa: E402
from labconform.redact import redact  # noqa: E402
from labconform.results.document import load  # noqa: E402

VERDICTS = ["passed"] * 16 + ["failed", "not_applicable", "waived", "error"]


def synthetic_claim(i: int, rng: random.Random) -> dict[str, Any]:
    section = i // 20
    verdict = rng.choice(VERDICTS)
    output = "\n".join(f"{time.strftime('%H:%M:%S')} INFO [main] line {n} of the container's log" for n in range(80))
    samples = [round(rng.uniform(900, 2500), 1) for _ in range(5)]
    evidence = [
        {"what": f"setting {i}", "expected": "on", "found": "on" if verdict == "passed" else "off",
         "how": f"cat /etc/lab/setting-{i}", "ok": verdict == "passed"},
        {"what": "container log", "expected": None, "found": "Server startup in [1108] milliseconds",
         "how": "docker logs lc-bench", "ok": None, "details": {"stdout": output, "stderr": ""}},
        {"what": "answer", "expected": "Hello, I am 97f2b500fa47", "found": "Hello, I am 97f2b500fa47",
         "how": "GET http://127.0.0.1:32796/", "ok": True,
         "details": {"response": {"request": "GET http://127.0.0.1:32796/ (from local)", "status": 200,
                                  "body": "Hello, I am 97f2b500fa47\n", "elapsed_ms": 6.8},
                     "samples_ms": samples, "per_pod": {"pod-a": 51, "pod-b": 49}}},
    ]
    return {
        "id": f"bench-{i:03d}", "nodeid": f"features/{section:02d}_s.feature::t{i}", "feature": f"Section {section}",
        "feature_file": f"{section:02d}_section.feature", "scenario": f"claim number {i} holds", "tags": [],
        "impact": rng.choice(["high", "medium", "low"]), "mode": "passive", "target": "local", "verdict": verdict,
        "reason": "" if verdict == "passed" else "[local] setting: expected 'on', found 'off'", "duration_s": 0.2,
        "line": 5 + i % 20, "rationale": "Why the document asks for it.",
        "steps": [{"keyword": "Given", "text": "the lab host", "line": 4, "status": "passed"},
                  {"keyword": "Then", "text": f"setting {i} is on", "line": 6, "status": "passed"}],
        "owner": {"step": "mytc image", "commands": ["docker build -t mytc /app/contexts/mytc"]},
        "waiver": {"id": f"bench-{i:03d}", "justification": "known", "approver": "ops", "expires": "2099-01-01",
                   "expired": False, "source": "w.yaml:1"} if verdict == "waived" else None,
        "change": {"change": "regressed" if verdict == "failed" else "unchanged", "was": "passed"},
        "evidence": evidence,
    }


def document(claims: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for c in claims:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    groups = {"regressed": [c["id"] for c in claims if c["change"]["change"] == "regressed"],
              "unchanged": [c["id"] for c in claims if c["change"]["change"] == "unchanged"],
              "still_failing": [], "fixed": [], "new": [], "not_run": []}
    return {"schema": "labconform.results", "schema_version": 1, "counts": counts, "claims": claims,
            "run": {"name": "lc-bench", "labconform_version": "bench", "started": "2026-11-25T21:00:00Z",
                    "duration_s": 60, "command": ["pytest", "features/"], "exit_status": 1,
                    "target": {"spec": "local", "name": "local", "facts": {"hostname": "vm"}}},
            "gate": {"status": "failed", "reasons": [f"{len(groups['regressed'])} regression(s)"]},
            "baseline": {"path": "reports/good", "name": "good", "started": "2026-11-24T21:00:00Z",
                         "groups": groups}}


def timed(fn: Any, doc: dict[str, Any], repeat: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        size = len(fn(doc))
        times.append(time.perf_counter() - t0)
    return times, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--from", dest="source", help="a real run (folder or results.json) whose claims are copied")
    args = ap.parse_args()
    rng = random.Random(5)
    if args.source:
        real = load(args.source)["claims"]
        claims = []
        for i in range(args.claims):
            c = json.loads(json.dumps(real[i % len(real)]))
            c["id"] = f"{c['id']}-{i}"
            claims.append(c)
        doc = load(args.source) | {"claims": claims}
    else:
        doc = document([synthetic_claim(i, rng) for i in range(args.claims)])
    print(f"{args.claims} claims, {sum(len(c['evidence']) for c in doc['claims'])} observations, "
          f"results.json {len(json.dumps(doc)) / 1e6:.2f} MB; {args.repeat} repeats")
    worst_html = 0.0
    for name, fn in (("redaction", redact), ("index.html", render), ("junit.xml", junit),
                     ("cucumber.json", cucumber)):
        times, size = timed(fn, doc, args.repeat)
        size_note = f", {size / 1e6:.2f} MB" if isinstance(size, int) and fn is not redact else ""
        print(f"  {name:14} median {statistics.median(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms"
              f"{size_note}")
        if fn is render:
            worst_html = max(times)
    ok = worst_html < 1.0
    print(f"index.html of {args.claims} claims: worst {worst_html:.3f} s ({'under' if ok else 'NOT under'} 1 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
