"""Benchmark: the Docker half's claims against a provisioned lab, and a no-op provisioning run.

    .venv/bin/python scripts/bench_docker.py [--repeat 3]

Targets (issue 2): every claim of the Docker half in under 30 s wall; a provisioning run that
has nothing to do in under 10 s. Prints one line per measurement and a summary; never a test.
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
DOCKER_HALF = [
    "features/10_hello.feature",
    "features/20_docker_container.feature",
    "features/40_docker_ce.feature",
    "features/50_tomcat_from_dockerhub.feature",
    "features/55_stopping_tomcat.feature",
    "features/60_tomcat_with_root_war.feature",
    "features/65_securerandom.feature",
    "features/70_multiple_containers.feature",
]


def timed(cmd: list[str]) -> tuple[float, int]:
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    return time.monotonic() - t0, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    claims, provision = [], []
    with tempfile.TemporaryDirectory() as reports:
        for i in range(args.repeat):
            took, rc = timed([sys.executable, "-m", "pytest", "-q", *DOCKER_HALF, "--reports-dir", reports])
            doc = json.loads((Path(reports) / "latest" / "results.json").read_text())
            print(f"claims run {i + 1}: {took:.1f} s wall, exit {rc}, {doc['counts']}")
            claims.append(took)
    for i in range(args.repeat):
        took, rc = timed([sys.executable, "-m", "provision", "--only", "docker"])
        print(f"no-op provision --only docker {i + 1}: {took:.1f} s, exit {rc}")
        provision.append(took)
    for i in range(args.repeat):
        took, rc = timed([sys.executable, "-m", "provision"])
        print(f"no-op provision (whole lab) {i + 1}: {took:.1f} s, exit {rc}")
        provision.append(took)
    print(f"Docker-half claims: median {statistics.median(claims):.1f} s, max {max(claims):.1f} s (target < 30 s)")
    print(
        f"no-op provisioning: median {statistics.median(provision):.1f} s, max {max(provision):.1f} s (target < 10 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
