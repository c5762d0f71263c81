"""Benchmark: the whole suite on this machine as the lab, its wall time against the CPU time it takes (issue 14).

    .venv/bin/python scripts/bench_suite.py [--repeat 3] [--max-load 2.5] [--wait 600]

Runs `pytest features/ -q -p no:randomly --waivers labs/debian-offline/waivers.yaml` in two parts, N times each,
alternating: the claims tagged @alone (each timed Tomcat start needs a quiet host, so nothing runs beside them),
then every other claim. For each part: the wall time, the host's busy CPU time over it (/proc/stat: user, nice,
system, irq, softirq, steal of every core, in seconds) and, sampled every 0.1 s from /proc/PID/stat, the CPU time of
each program that ran meanwhile (a process that lives under 0.1 s can be missed: the sum is a lower bound).

Prints the medians and a floor: the @alone part's wall time (it cannot overlap anything) plus the other part's
busy CPU time spread perfectly over all cores. No schedule of the same work on this machine beats that floor;
the busy time includes the lab's own services (the cluster, dockerd), which run whatever the suite does.
Each part's verdicts are printed once; a run with a failed claim is still timed, and said. Not a test.
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
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUITE = ["features/", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "--waivers", "labs/debian-offline/waivers.yaml"]
PARTS = {"alone": "alone", "the rest": "not alone"}
HZ = os.sysconf("SC_CLK_TCK")


def busy_and_idle() -> tuple[float, float]:
    """The host's busy and idle CPU seconds since boot, every core summed."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / HZ, (v[3] + v[4]) / HZ


def process_times() -> dict[tuple[int, str], tuple[str, float]]:
    """(pid, start time) -> (program name, CPU seconds so far) of every process."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                s = fh.read()
        except OSError:
            continue
        name, fields = s[s.index("(") + 1:s.rindex(")")], s[s.rindex(")") + 2:].split()
        out[(int(pid), fields[19])] = (name, (int(fields[11]) + int(fields[12])) / HZ)
    return out


def run_part(marker: str, reports: Path) -> dict:
    """One run of the suite's claims selected by `marker`: wall, busy and idle CPU, CPU by program, verdicts."""
    before = process_times()
    seen = dict(before)
    b0, i0 = busy_and_idle()
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *SUITE, "-m", marker, "--reports-dir", str(reports)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        seen.update(process_times())
        time.sleep(0.1)
    seen.update(process_times())
    wall = time.monotonic() - t0
    b1, i1 = busy_and_idle()
    by_program: Counter[str] = Counter()
    for key, (name, cpu) in seen.items():
        by_program[name] += cpu - before.get(key, (name, 0.0))[1]
    results = json.loads(next(reports.glob("lc-*/results.json")).read_text())
    return {"wall": wall, "busy": b1 - b0, "idle": i1 - i0, "programs": by_program, "exit": proc.returncode,
            "verdicts": Counter(c["verdict"] for c in results["claims"]),
            "claims_s": sum(c.get("duration_s") or 0 for c in results["claims"])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-load", type=float, default=2.5, help="start each run once the 1-minute load is below this")
    ap.add_argument("--wait", type=float, default=600, help="at most this long, in seconds, for that")
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    runs: dict[str, list[dict]] = {p: [] for p in PARTS}
    with tempfile.TemporaryDirectory(prefix="lc-bench-suite-") as tmp:
        for i in range(a.repeat):
            for part, marker in PARTS.items():
                deadline = time.monotonic() + a.wait
                while os.getloadavg()[0] >= a.max_load and time.monotonic() < deadline:
                    time.sleep(5)
                load = os.getloadavg()[0]
                r = run_part(marker, Path(tmp) / f"{part}-{i}".replace(" ", "-"))
                runs[part].append(r)
                print(f"run {i + 1}, {part}: {r['wall']:.1f} s wall, {r['busy']:.1f} s busy CPU, {r['idle']:.1f} s "
                      f"idle, claims {r['claims_s']:.1f} s, exit {r['exit']}, load {load:.2f} before, "
                      f"{dict(r['verdicts'])}", flush=True)
    med = {p: {k: statistics.median(r[k] for r in rs) for k in ("wall", "busy", "idle", "claims_s")}
           for p, rs in runs.items()}
    for part, m in med.items():
        programs: Counter[str] = Counter()
        for r in runs[part]:
            programs.update({k: v / len(runs[part]) for k, v in r["programs"].items()})
        top = ", ".join(f"{k} {v:.1f}" for k, v in programs.most_common(8))
        print(f"{part} (median of {a.repeat}): wall {m['wall']:.1f} s, busy CPU {m['busy']:.1f} s of "
              f"{m['wall'] * cores:.1f} s on {cores} cores; CPU s by program (mean): {top}")
    whole = med["alone"]["wall"] + med["the rest"]["wall"]
    floor = med["alone"]["wall"] + med["the rest"]["busy"] / cores
    print(f"the two parts: {whole:.1f} s; floor on this machine: {med['alone']['wall']:.1f} s alone + "
          f"{med['the rest']['busy']:.1f} s busy / {cores} cores = {floor:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
