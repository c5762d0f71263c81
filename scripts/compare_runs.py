"""Two runs' results.json compared claim by claim: verdict, reason and evidence (what, expected, found, how,
ok), with what differs run to run masked (numbers, times, the run's name, container and pod ids). Used to check
that a change of the code's shape changed no claim (docs/architecture.md). Prints each difference; exit 1 if any.

    python scripts/compare_runs.py reports/RUN_A reports/RUN_B
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
VARYING = [
    (re.compile(r"/tmp/lc-ssh-[^/\s]+"), "/tmp/lc-ssh-<tmp>"),  # the SSH session's own temporary folder
    (re.compile(r"\b[0-9a-f]{12,64}\b"), "<id>"),  # container and image ids
    (re.compile(r"\b(hw-deploy|lc-[\w-]+)-[0-9a-z]{5,10}(-[0-9a-z]{5})?\b"), r"\1-<pod>"),
    (re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z?"), "<time>"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "<time>"),
    (re.compile(r"\d+(\.\d+)?"), "<n>"),
]


def load(path: Path) -> dict[str, Any]:
    path = path / "results.json" if path.is_dir() else path
    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SystemExit(f"compare_runs: {path} is over {MAX_BYTES} bytes")
    return json.loads(data)


def masked(value: Any, run_name: str) -> Any:
    if isinstance(value, dict):
        return {masked(k, run_name): masked(v, run_name) for k, v in value.items() if not k.endswith(("_s", "_ms"))}
    if isinstance(value, list):
        return [masked(v, run_name) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return "<n>"
    text = str(value).replace(run_name, "<run>")
    for rx, to in VARYING:
        text = rx.sub(to, text)
    return text


def claim_view(claim: dict[str, Any], run_name: str) -> dict[str, Any]:
    return {"verdict": claim["verdict"], "reason": masked(claim.get("reason", ""), run_name),
            "evidence": [masked({k: e.get(k) for k in ("what", "expected", "found", "how", "ok")}, run_name)
                         for e in claim.get("evidence", [])]}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    va = {c["id"]: claim_view(c, a["run"]["name"]) for c in a["claims"]}
    vb = {c["id"]: claim_view(c, b["run"]["name"]) for c in b["claims"]}
    out = [f"{i}: only in the first run" for i in sorted(va.keys() - vb.keys())]
    out += [f"{i}: only in the second run" for i in sorted(vb.keys() - va.keys())]
    for i in sorted(va.keys() & vb.keys()):
        if va[i]["verdict"] != vb[i]["verdict"] or va[i]["reason"] != vb[i]["reason"]:
            out.append(f"{i}: {va[i]['verdict']} ({va[i]['reason']}) -> {vb[i]['verdict']} ({vb[i]['reason']})")
        elif va[i]["evidence"] != vb[i]["evidence"]:
            ea, eb = va[i]["evidence"], vb[i]["evidence"]
            at = next((n for n, (x, y) in enumerate(zip(ea, eb, strict=False)) if x != y), min(len(ea), len(eb)))
            out.append(f"{i}: evidence {at} differs: {json.dumps(ea[at:at + 1])[:600]} -> "
                       f"{json.dumps(eb[at:at + 1])[:600]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    args = ap.parse_args(argv)
    a, b = load(args.first), load(args.second)
    diff = differences(a, b)
    for line in diff:
        print(line)
    print(f"{len(a['claims'])} and {len(b['claims'])} claims compared: {len(diff)} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
