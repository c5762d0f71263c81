"""Benchmark: the suite over a real SSH server on this machine against the same suite run locally.

    .venv/bin/python scripts/bench_ssh.py [--repeat N] [pytest args, default: features/]

    .venv/bin/python scripts/bench_ssh.py --delay-ms 20 [--repeat N] [pytest args]

Starts its own sshd (tests/support/ssh_server.py) on a free loopback port, runs `pytest features/` locally
and with --target ssh://root@127.0.0.1:PORT, N times each, alternating, then prints the wall
times, the ratio of the medians and every claim whose verdict differs between the two.
With --delay-ms D the two sides are the suite over SSH directly and over SSH through a link that adds D ms
to every round trip (scripts/delayed_link.py: D/2 each way, in user space, as this kernel has no netem).
With --keep DIR every run's reports stay in DIR (else a temporary folder, removed), and a claim whose verdict
differs is printed with the reason each side gave.
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
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.ssh_server import sshd_server  # noqa: E402

sys.path.insert(0, str(REPO / "scripts"))

from delayed_link import delayed_link  # noqa: E402


def run_suite(args: list[str], reports: Path) -> tuple[float, dict[str, dict], int, dict[str, float]]:
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
    return wall, {c["id"]: c for c in data["claims"]}, p.returncode, durations


def said(side: str, claim: dict) -> str:
    """A claim's verdict on one side, with the reason it gave (its first failure, or why it was not judged)."""
    return f"{side} {claim.get('verdict', '-')} {claim.get('reason') or ''}".strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--delay-ms", type=float, default=0, help="compare SSH with SSH through this added round trip")
    ap.add_argument("--keep", type=Path, help="keep every run's reports in this folder")
    ap.add_argument("pytest_args", nargs="*", default=["features/"])
    a = ap.parse_args()
    if not 0 <= a.delay_ms <= 1000:
        ap.error("--delay-ms: 0 to 1000")
    local_t, ssh_t = [], []
    diffs: dict[str, list[str]] = {}
    slower: dict[str, list[float]] = {}
    names = ("ssh", f"ssh+{a.delay_ms:g}ms") if a.delay_ms else ("local", "ssh")
    with ExitStack() as stack:
        sshd = stack.enter_context(sshd_server())
        tmp = a.keep or stack.enter_context(tempfile.TemporaryDirectory(prefix="lc-bench-ssh-"))
        Path(tmp).mkdir(parents=True, exist_ok=True)
        remote = ["--target", sshd.target(), *sshd.options()]
        first, second = [], remote
        if a.delay_ms:
            port = stack.enter_context(delayed_link("127.0.0.1", sshd.port, a.delay_ms / 2))
            known = Path(tmp) / "known_hosts"  # the same server's key, reached at the relay's port
            known.write_text(f"[127.0.0.1]:{port} {' '.join(sshd.host_key_pub.split()[:2])}\n")
            first, second = remote, ["--target", f"ssh://root@127.0.0.1:{port}", "--ssh-identity",
                                     str(sshd.identity), "--known-hosts", str(known)]
        for i in range(a.repeat):
            lt, lv, lrc, ld = run_suite([*a.pytest_args, *first], Path(tmp) / f"{names[0]}-{i}")
            st, sv, src, sd = run_suite([*a.pytest_args, *second], Path(tmp) / f"{names[1]}-{i}")
            for cid in ld.keys() & sd.keys():
                slower.setdefault(cid, []).append(sd[cid] - ld[cid])
            local_t.append(lt)
            ssh_t.append(st)
            for cid in sorted(set(lv) | set(sv)):
                sides = [(n, c or {}) for n, c in zip(names, (lv.get(cid), sv.get(cid)), strict=True)]
                if sides[0][1].get("verdict") != sides[1][1].get("verdict"):
                    diffs.setdefault(cid, []).append(f"run {i + 1}: " + ", ".join(said(n, c) for n, c in sides))
            print(f"run {i + 1}: {names[0]} {lt:.1f} s (exit {lrc}, {len(lv)} claims)  "
                  f"{names[1]} {st:.1f} s (exit {src}, {len(sv)} claims)  load {os.getloadavg()[0]:.2f}", flush=True)
    lm, sm = statistics.median(local_t), statistics.median(ssh_t)
    print(f"median: {names[0]} {lm:.1f} s, {names[1]} {sm:.1f} s, ratio {sm / lm:.2f}")
    print(f"claims with the largest difference ({names[1]} - {names[0]}, median of the runs):")
    for cid, d in sorted(slower.items(), key=lambda kv: -abs(statistics.median(kv[1])))[:6]:
        print(f"  {cid}: {statistics.median(d):+.2f} s")
    print(f"claims whose verdict differs: {len(diffs)}")
    for cid, runs in diffs.items():
        print(f"  {cid}:" + "".join(f"\n    {r}" for r in runs))
    if a.keep:
        print(f"reports kept in {a.keep}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
