"""Benchmark: the suite over a real SSH server on this machine against the same suite run locally.

    .venv/bin/python scripts/bench_ssh.py [--repeat N] [pytest args, default: features/]

Starts its own sshd (tests/ssh_server.py) on a free loopback port, runs `pytest features/` locally
and with --target ssh://root@127.0.0.1:PORT, N times each, alternating, then prints the wall
times, the ratio of the medians and every claim whose verdict differs between the two.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ssh_server import sshd_server  # noqa: E402


def run_suite(args: list[str], reports: Path) -> tuple[float, dict[str, str], int, dict[str, float]]:
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--reports-dir", str(reports), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    data = json.loads((reports / "latest" / "results.json").read_text())
    durations = {c["id"]: c["duration_s"] for c in data["claims"]}
    return wall, {c["id"]: c["verdict"] for c in data["claims"]}, p.returncode, durations


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("pytest_args", nargs="*", default=["features/"])
    a = ap.parse_args()
    local_t, ssh_t = [], []
    diffs: dict[str, tuple[str, str]] = {}
    slower: dict[str, list[float]] = {}
    with sshd_server() as sshd, tempfile.TemporaryDirectory(prefix="lc-bench-ssh-") as tmp:
        remote = ["--target", sshd.target(), *sshd.options()]
        for i in range(a.repeat):
            lt, lv, lrc, ld = run_suite(a.pytest_args, Path(tmp) / f"local-{i}")
            st, sv, src, sd = run_suite([*a.pytest_args, *remote], Path(tmp) / f"ssh-{i}")
            for cid in ld.keys() & sd.keys():
                slower.setdefault(cid, []).append(sd[cid] - ld[cid])
            local_t.append(lt)
            ssh_t.append(st)
            for cid in sorted(set(lv) | set(sv)):
                if lv.get(cid) != sv.get(cid):
                    diffs[cid] = (lv.get(cid, "-"), sv.get(cid, "-"))
            print(f"run {i + 1}: local {lt:.1f} s (exit {lrc}, {len(lv)} claims)  "
                  f"ssh {st:.1f} s (exit {src}, {len(sv)} claims)", flush=True)
    lm, sm = statistics.median(local_t), statistics.median(ssh_t)
    print(f"median: local {lm:.1f} s, ssh {sm:.1f} s, ratio {sm / lm:.2f}")
    print("claims with the largest difference (ssh - local, median of the runs):")
    for cid, d in sorted(slower.items(), key=lambda kv: -abs(statistics.median(kv[1])))[:6]:
        print(f"  {cid}: {statistics.median(d):+.2f} s")
    print(f"claims whose verdict differs: {len(diffs)}")
    for cid, (lv_, sv_) in diffs.items():
        print(f"  {cid}: local {lv_}, ssh {sv_}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
