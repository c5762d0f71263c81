"""Benchmark: labconform's passive claims against a Serverspec spec of the same facts (issue 14).

    .venv/bin/python scripts/bench_serverspec.py [--repeat 5] [--max-load 2.5] [--wait 1200] [--trace]

Runs, alternating in one run (labconform, serverspec, labconform, ...), N times each:
  labconform  pytest features/ -q -p no:cacheprovider -m "id(value='...') or ..." over CLAIMS below
              (passive host, Docker and Kubernetes claims), --reports-dir in a temporary folder;
  serverspec  rspec -I scripts/serverspec scripts/serverspec/spec/lab_spec.rb: one describe per claim,
              each checking what that claim's steps check (the exec backend: the commands run here).
Both sides must pass (labconform: every claim passed or not applicable; rspec: no failure), in an
untimed first round and in every timed run: a benchmark of failing checks is no comparison. Prints
per side the median, min and max wall time, the ratio labconform/serverspec of the medians (target:
at most 1.0), the number of facts, the 1-minute load average before and after each run, and where
labconform's time goes: the interpreter's start, `--collect-only` alone, the claims' own durations;
with --trace, one more run under strace split into phases (start-up, claims, the owners subprocess, reports).
Measured runs start once the 1-minute load is below --max-load, after at most --wait seconds.
Installs Debian's ruby-serverspec with apt-get when rspec or serverspec is missing. Not a test.
Exit 0 target met, 1 target missed, 2 a side failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC_DIR = REPO / "scripts" / "serverspec"
SPEC = SPEC_DIR / "spec" / "lab_spec.rb"
# passive claims only (no @active, no @destructive); an Outline's id selects each of its rows
CLAIMS = [
    "docker-01", "docker-02", "docker-04", "rocky-09",                          # host and Docker
    "k8s-prep-01", "k8s-prep-02", "k8s-prep-04",                                # the host a cluster needs
    "k8s-inst-01", "k8s-inst-03",                                               # the tools, kubelet
    "k8s-init-01", "k8s-init-02", "k8s-init-05", "k8s-net-01",                  # the control plane, the node
    "k8s-app-03", "k8s-svc-01",                                                 # hw-deploy, its Service
]
GOOD = ("passed", "not_applicable")
TARGET_RATIO = 1.0
RUN_TIMEOUT_S = 600


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def marker(ids: list[str]) -> str:
    """The -m expression provision/claims.py builds: exact id markers (-k "id:x" would match "id:x0")."""
    return " or ".join(f'id(value="{i}")' for i in ids)


def pytest_argv(reports: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider", "-m", marker(CLAIMS),
            "--reports-dir", str(reports), *extra]




def rspec_argv() -> list[str]:
    """rspec on the spec, its describes of CLAIMS only (each describe's text starts with "<claim id>:")."""
    chosen = [a for cid in CLAIMS for a in ("-e", f"{cid}:")]
    return ["rspec", "-I", str(SPEC_DIR.relative_to(REPO)), str(SPEC.relative_to(REPO)), "--format", "json", *chosen]


def ensure_serverspec() -> None:
    """rspec and the serverspec gem, from Debian's ruby-serverspec; apt-get update only if the install fails."""
    def present() -> bool:
        return bool(shutil.which("rspec")) and subprocess.run(
            ["ruby", "-e", "require 'serverspec'"], capture_output=True).returncode == 0
    if shutil.which("ruby") and present():
        return
    install = ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=300", "ruby-serverspec"]
    print("installing ruby-serverspec: " + " ".join(install), flush=True)
    if subprocess.run(install).returncode != 0:
        subprocess.run(["apt-get", "update"], check=False)
        subprocess.run(install, check=True)
    if not present():
        raise SystemExit("ruby-serverspec installed, but rspec or the serverspec gem is still missing")


def wait_quiet(max_load: float, wait_s: float) -> dict:
    t0 = time.monotonic()
    first = load1()
    while load1() >= max_load and time.monotonic() - t0 < wait_s:
        time.sleep(15)
    waited = time.monotonic() - t0
    now = load1()
    said = "quiet" if now < max_load else f"still {now:.2f} after {waited:.0f} s: measured anyway"
    print(f"load 1 min: {first:.2f} at the start, {now:.2f} after waiting {waited:.0f} s ({said})", flush=True)
    return {"load_at_start": first, "load_when_measuring": now, "waited_s": round(waited), "quiet": now < max_load}


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess, float, float]:
    before = load1()
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    wall = time.monotonic() - t0
    return wall, p, before, load1()


def run_labconform(tmp: Path, i: int) -> dict:
    name = f"bench-serverspec-{i}"
    wall, p, before, after = timed(pytest_argv(tmp, "--run-name", name))
    results = tmp / name / "results.json"
    if not results.exists():
        return {"wall_s": wall, "load": [before, after], "facts": 0, "claims_s": 0.0, "slowest": [],
                "failures": [f"no results.json (exit {p.returncode}): {(p.stdout + p.stderr)[-1500:]}"]}
    claims = json.loads(results.read_text())["claims"]
    failures = [f"{c['id']}: {c['verdict']}: {(c.get('reason') or '').strip()[:300]}"
                for c in claims if c["verdict"] not in GOOD]
    seen = {c["id"].split("[", 1)[0] for c in claims}
    failures += [f"{cid}: not run" for cid in CLAIMS if cid not in seen]
    verdicts: dict[str, int] = {}
    for c in claims:
        verdicts[c["verdict"]] = verdicts.get(c["verdict"], 0) + 1
    return {"wall_s": wall, "load": [before, after], "facts": len(claims), "verdicts": verdicts,
            "claims_s": sum(c["duration_s"] for c in claims), "failures": failures,
            "durations": {c["id"]: c["duration_s"] for c in claims}}


def run_serverspec() -> dict:
    wall, p, before, after = timed(rspec_argv())
    try:
        doc = json.loads(p.stdout[p.stdout.index("{"):])
    except ValueError:
        return {"wall_s": wall, "load": [before, after], "facts": 0,
                "failures": [f"rspec wrote no JSON (exit {p.returncode}): {(p.stdout + p.stderr)[-1500:]}"]}
    failures = [f"{e['full_description']}: {(e.get('exception') or {}).get('message', '').strip()[:300]}"
                for e in doc["examples"] if e["status"] != "passed"]
    if p.returncode != 0 and not failures:
        failures.append(f"rspec exit {p.returncode}: {p.stderr[-1500:]}")
    groups = {e["full_description"].split(":", 1)[0] for e in doc["examples"]}
    failures += [f"{cid}: no describe in {SPEC.relative_to(REPO)}" for cid in CLAIMS if cid not in groups]
    return {"wall_s": wall, "load": [before, after], "facts": len(groups), "examples": len(doc["examples"]),
            "failures": failures, "rspec_s": doc["summary"]["duration"]}


def traced_phases(tmp: Path) -> dict | None:
    """One more labconform run under strace (process events only): the time to the first command on the
    lab (interpreter, plugin and steps imported, features collected), the claims (from that command to the
    owners subprocess), `python -m provision --owners` (which the run asks at its end), and what follows it
    (reports written). None without strace."""
    if not shutil.which("strace"):
        return None
    out = tmp / "strace.txt"
    argv = ["strace", "-f", "--seccomp-bpf", "-ttt", "-e", "trace=execve", "-o", str(out),
            *pytest_argv(tmp, "--run-name", "bench-serverspec-traced")]
    subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    start = first_cmd = owners_start = owners_end = end = None
    owners_pid = main_pid = None
    for line in out.read_text().splitlines():
        pid, at, rest = line.split(None, 2)
        if main_pid is None:
            main_pid, start = pid, float(at)
        elif first_cmd is None and "execve(" in rest and "/sh" in rest.split(",", 1)[0] and "= -1" not in rest:
            first_cmd = float(at)
        if owners_pid is None and "execve(" in rest and '"provision", "--owners"' in rest:
            owners_pid, owners_start = pid, float(at)
        if pid == owners_pid and rest.startswith("+++ exited"):
            owners_end = float(at)
        if pid == main_pid and rest.startswith("+++ exited"):
            end = float(at)
    if None in (start, first_cmd, end):
        return None
    phases = {"to the first lab command": first_cmd - start, "wall": end - start}
    if owners_start is not None and owners_end is not None:
        phases.update({"claims (first command to owners)": owners_start - first_cmd,
                       "python -m provision --owners": owners_end - owners_start,
                       "after owners (reports written)": end - owners_end})
    return {k: round(v, 2) for k, v in phases.items()}


def stats(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def say_failures(side: str, failures: list[str]) -> None:
    print(f"{side} FAILED {len(failures)} check(s):")
    for f in failures[:40]:
        print("  " + " ".join(f.split())[:400])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-load", type=float, default=2.5, help="start measuring below this 1-minute load")
    ap.add_argument("--wait", type=float, default=1200, help="seconds to wait for that load, at most")
    ap.add_argument("--trace", action="store_true",
                    help="one more labconform run under strace: where its time goes, by phase")
    ap.add_argument("--json", default=str(REPO / "reports" / "bench-serverspec.json"))
    ap.add_argument("--claims", help="comma-separated claim ids instead of CLAIMS (each must have its describe "
                                     "in scripts/serverspec/spec/lab_spec.rb)")
    args = ap.parse_args(argv)
    if args.claims:
        CLAIMS[:] = [c.strip() for c in args.claims.split(",") if c.strip()]
    ensure_serverspec()
    with tempfile.TemporaryDirectory(prefix="lc-bench-serverspec-") as tmp_name:
        tmp = Path(tmp_name)
        first = run_labconform(tmp, 0), run_serverspec()  # untimed round: both sides must pass
        for side, r in zip(("labconform", "serverspec"), first, strict=True):
            if r["failures"]:
                say_failures(side, r["failures"])
        if first[0]["failures"] or first[1]["failures"]:
            return 2
        print(f"first round: labconform {first[0]['facts']} claims {first[0]['verdicts']}, "
              f"serverspec {first[1]['facts']} claims in {first[1]['examples']} examples: both pass", flush=True)
        quiet = wait_quiet(args.max_load, args.wait)
        lc, ss, collect, start = [], [], [], []
        for i in range(1, args.repeat + 1):
            lc.append(run_labconform(tmp, i))
            ss.append(run_serverspec())
            collect.append(timed(pytest_argv(tmp / "collect", "--collect-only"))[0])
            start.append(timed([sys.executable, "-c", "pass"])[0])
            print(f"run {i}: labconform {lc[-1]['wall_s']:.2f} s (load {lc[-1]['load'][0]:.2f} -> "
                  f"{lc[-1]['load'][1]:.2f}), serverspec {ss[-1]['wall_s']:.2f} s (load {ss[-1]['load'][0]:.2f} -> "
                  f"{ss[-1]['load'][1]:.2f}), collect-only {collect[-1]:.2f} s", flush=True)
        traced = traced_phases(tmp) if args.trace else None
    failed = [(side, r["failures"]) for side, runs in (("labconform", lc), ("serverspec", ss)) for r in runs
              if r["failures"]]
    for side, f in failed:
        say_failures(side, f)
    lcs, sss = stats([r["wall_s"] for r in lc]), stats([r["wall_s"] for r in ss])
    ratio = lcs["median"] / sss["median"]
    claims_s = stats([r["claims_s"] for r in lc])
    per_claim: dict[str, list[float]] = {}
    for r in lc:
        for cid, d in r["durations"].items():
            per_claim.setdefault(cid, []).append(d)
    slowest = sorted(((cid, statistics.median(d)) for cid, d in per_claim.items()), key=lambda kv: -kv[1])[:6]
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "repeat": args.repeat, "claims": CLAIMS,
        "command_labconform": " ".join(pytest_argv(Path("TMP"))[1:]), "command_serverspec": " ".join(rspec_argv()),
        "labconform_s": lcs, "serverspec_s": sss, "ratio": round(ratio, 2), "target_ratio": TARGET_RATIO,
        "facts": {"labconform claims": lc[0]["facts"], "serverspec claims": ss[0]["facts"],
                  "serverspec examples": ss[0]["examples"]},
        "collect_only_s": stats(collect), "python_start_s": stats(start), "claims_own_s": claims_s,
        "rspec_reported_s": stats([r["rspec_s"] for r in ss]),
        "slowest_claims_s": [(cid, round(d, 3)) for cid, d in slowest],
        "load_1min": {"labconform": [r["load"] for r in lc], "serverspec": [r["load"] for r in ss]},
        "waiting": quiet, "both_pass": not failed, "traced_run_s": traced,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    print()
    print(f"{'side':<34}{'median s':>10}{'min s':>8}{'max s':>8}")
    for label, s in ((f"labconform ({lc[0]['facts']} claims)", lcs),
                     (f"serverspec ({ss[0]['facts']} claims, {ss[0]['examples']} examples)", sss),
                     ("labconform --collect-only alone", summary["collect_only_s"]),
                     ("python -c pass", summary["python_start_s"]),
                     ("labconform claims' own durations", claims_s),
                     ("rspec's own count (examples run)", summary["rspec_reported_s"])):
        print(f"{label:<34}{s['median']:>10.2f}{s['min']:>8.2f}{s['max']:>8.2f}")
    print(f"ratio labconform/serverspec of the medians: {ratio:.2f} (target <= {TARGET_RATIO:g}); "
          f"{args.repeat} runs each, alternating")
    print("slowest claims (median s): " + ", ".join(f"{cid} {d:.3f}" for cid, d in slowest))
    for side, loads in summary["load_1min"].items():
        print(f"load 1 min before -> after, {side}: " + ", ".join(f"{a:.2f}->{b:.2f}" for a, b in loads))
    if traced:
        print("one labconform run under strace: " + ", ".join(f"{k} {v:.2f} s" for k, v in traced.items()))
    print(f"both sides pass in every run: {'yes' if not failed else 'NO'}; written {args.json}")
    if failed:
        return 2
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
