#!/usr/bin/env python3
"""Benchmark of the lab node (docs/node.md; issue 10, "Speed and size"): a script, not a timed test.

On a node of its own (--name, default benchnode; never lab1), each step by wall time:
  1 up         `python -m provision.node up NAME` for a new node, the node image and the Kubernetes build cached
  2 provision  the first `python -m provision` over SSH (apt, the Tomcat image built inside the node, the
               control-plane images, kubeadm init, hw-deploy, NodePort); 1+2 is the issue's "under 4 minutes"
  3 again      a second provisioning: its seconds and how many steps it changed (--json of provision)
  4 memory     the node container's memory with the cluster and hw-deploy up (`docker stats --no-stream`)
  5 suite      `pytest features/` over SSH to the node and against this machine (--target local), alternating,
               --repeat times: the medians, the ratio node/local, the verdict counts of every run
  6 reboot     `pytest features/35_fresh_restart.feature --destructive` on the node: its seconds, and the
               reboot's own seconds from the evidence of claim restart-02
  7 rm         `python -m provision.node rm NAME`, unless --keep
The load average is recorded before and after every step. Targets are printed beside the figures; no
figure decides the exit status, which is 1 only when a command failed or the second provisioning changed
something.

    .venv/bin/python scripts/bench_node.py [--name benchnode] [--repeat 2] [--keep] [--json FILE]
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provision.kubernetes.build import BUILD_RECIPE, CACHE  # noqa: E402
from provision.node.image import IMAGE, recipe  # noqa: E402
from provision.node.state import Node, check_name  # noqa: E402

PARAMS = ["--lab-params", "labs/node/params.yaml"]
NODE_WAIVERS = ["--waivers", "labs/node/waivers.yaml"]
LOCAL = ["--target", "local", "--waivers", "labs/debian-offline/waivers.yaml"]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
VERDICTS = ("passed", "failed", "not_applicable", "waived", "error")
EVERY_S = 10.0  # a command running longer than this says what it is doing, this often
KEY = re.compile(r"(-----BEGIN [A-Z ]*KEY-----.*|ssh-(ed25519|rsa|dss) [A-Za-z0-9+/=]{16,}|ecdsa-sha2-\S+ \S{16,})")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def safe(line: str) -> str:
    return KEY.sub("<key>", line)


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.steps: dict[str, dict] = {}
        self.failed: list[str] = []
        self._n = 0

    def run(self, what: str, argv: list[str], timeout: float,
            status: Callable[[], str] | None = None) -> tuple[float, int | None, str]:
        """Run argv from the repository, its output into a log; every EVERY_S seconds say how long it has run
        and its last line so far (pytest -q: its dots), or status() when given; killed (its process group)
        after timeout. Returns wall seconds, exit status (None on a timeout) and the output."""
        self._n += 1
        log = self.work / f"{self._n:02d}-{re.sub(r'[^a-z0-9]+', '-', what.lower()).strip('-')}.log"
        print(f"  $ {shlex.join(argv)}  (log {log})", flush=True)
        last = [""]
        t0 = time.monotonic()
        with open(log, "w") as fh:
            p = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 start_new_session=True)

            def pump() -> None:
                # read in chunks, not lines: pytest -q's line of dots is the news while it grows
                assert p.stdout is not None
                decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
                tail = ""
                while chunk := os.read(p.stdout.fileno(), 4096):
                    text = decode(chunk)
                    fh.write(text)
                    tail = (tail + text)[-4000:]
                    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
                    last[0] = lines[-1] if lines else last[0]

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            said = t0
            rc: int | None = None
            try:
                while True:
                    try:
                        rc = p.wait(timeout=1)
                        break
                    except subprocess.TimeoutExpired:
                        now = time.monotonic()
                        if now - t0 > timeout:
                            print(f"  {what}: no end after {timeout:.0f} s: stopped", flush=True)
                            self._stop(p)
                            break
                        if now - said >= EVERY_S:
                            said = now
                            news = status() if status else safe(last[0])[-150:] or "no output yet"
                            print(f"  {what}: {now - t0:.0f} s so far; {news}", flush=True)
            except BaseException:
                self._stop(p)
                raise
            wall = time.monotonic() - t0
            reader.join(10)
        out = log.read_text(errors="replace")
        print(f"  {what}: {wall:.1f} s, exit {rc if rc is not None else 'none (timeout)'}", flush=True)
        if rc != 0:
            print("  " + "\n  ".join(safe(ln) for ln in out.strip().splitlines()[-15:]), flush=True)
        return wall, rc, out

    @staticmethod
    def _stop(p: subprocess.Popen) -> None:
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(p.pid, sig)
                p.wait(timeout=grace)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def step(self, key: str, title: str) -> dict:
        print(f"\n[{key}] {title}; load average {load()}", flush=True)
        rec = {"title": title, "load_before": load()}
        self.steps[key] = rec
        return rec

    @staticmethod
    def done(rec: dict, **figures) -> dict:
        rec.update(figures)
        rec["load_after"] = load()
        return rec

    def retry_on_lease(self, what: str, argv: list[str], timeout: float, lease_wait: float):
        """Run argv; while it exits 5 (the lab's lease is held by someone else), wait and try again, up to
        lease_wait seconds: only the attempt that got the lease is timed."""
        deadline = time.monotonic() + lease_wait
        while True:
            wall, rc, out = self.run(what, argv, timeout)
            if rc != 5 or time.monotonic() > deadline:
                return wall, rc, out
            print(f"  {what}: the lease is held by someone else; trying again in 15 s", flush=True)
            time.sleep(15)


def counts(results: Path) -> tuple[dict[str, int], list[str], dict]:
    """The verdict counts of a run, the claims that failed or erred, the document."""
    if not results.exists():
        return {}, [], {}
    doc = json.loads(results.read_text())
    c = {v: doc["counts"].get(v, 0) for v in VERDICTS}
    bad = [f"{x['id']} {x['verdict']}" for x in doc["claims"] if x["verdict"] in ("failed", "error")]
    return c, bad, doc


def show_counts(c: dict[str, int]) -> str:
    if not c:
        return "no results.json"
    return (f"{c['passed']} passed / {c['failed']} failed / {c['not_applicable']} n.a. / "
            f"{c['waived']} waived / {c['error']} error")


def provision_outcomes(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    out: dict[str, int] = {}
    for s in json.loads(path.read_text())["steps"]:
        out[s["status"]] = out.get(s["status"], 0) + 1
    return out


def node_state(name: str) -> str:
    """What the reboot is doing, seen from the lab host: the node container's state, since when, restarts."""
    res = subprocess.run(["docker", "inspect", "--type", "container", "--format",
                          "{{.State.Status}} since {{.State.StartedAt}}, restarted {{.RestartCount}} time(s)",
                          f"labconform-node-{name}"], capture_output=True, text=True, timeout=20)
    return f"node container {res.stdout.strip()}" if res.returncode == 0 else "node container not seen"


def memory_mib(usage: str) -> float | None:
    """`docker stats` MemUsage ("776.3MiB / 7.7GiB") in MiB."""
    m = re.match(r"\s*([\d.]+)\s*([KMGT]i?B|B)", usage)
    if not m:
        return None
    scale = {"B": 1 / 2**20, "KiB": 1 / 1024, "KB": 1 / 1024, "MiB": 1, "MB": 1, "GiB": 1024, "GB": 1024,
             "TiB": 2**20, "TB": 2**20}
    return round(float(m.group(1)) * scale[m.group(2)], 1)


def preflight(node_name: str) -> dict:
    """Refuses lab1 and a node that exists already; says whether the node image and the Kubernetes build
    are cached (step 1 is measured for that case)."""
    if node_name == "lab1":
        raise SystemExit("bench_node: lab1 is the main lab; the benchmark makes and removes a node of its own")
    check_name(node_name)
    if Node.load(node_name) is not None or subprocess.run(
            ["docker", "inspect", "--type", "container", f"labconform-node-{node_name}"],
            capture_output=True, timeout=30).returncode == 0:
        raise SystemExit(f"bench_node: node {node_name} exists already; step 1 measures a new node: "
                         f"remove it (python -m provision.node rm {node_name}) or give another --name")
    img = subprocess.run(["docker", "image", "inspect", "--format",
                          '{{index .Config.Labels "org.labconform.recipe"}}', IMAGE],
                         capture_output=True, text=True, timeout=30)
    have = Path(CACHE, "bin", "RECIPE")
    return {"node_image_cached": img.returncode == 0 and img.stdout.strip() == recipe(),
            "kubernetes_build_cached": have.exists() and have.read_text().strip() == BUILD_RECIPE}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="benchnode", help="the benchmark's own node (default benchnode; not lab1)")
    ap.add_argument("--repeat", type=int, default=2, help="suite runs on each side, alternating (default 2)")
    ap.add_argument("--keep", action="store_true", help="leave the node (and the reports and logs) in place")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    ap.add_argument("--lease-wait", type=float, default=600, metavar="SECONDS",
                    help="try `up` and provisioning again this long while another holds the lease (default 600)")
    a = ap.parse_args(argv)
    pre = preflight(a.name)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"bench_node: node {a.name}, {os.cpu_count()} cores, {started}, load average {load()}; "
          f"node image cached: {pre['node_image_cached']}, Kubernetes build cached: "
          f"{pre['kubernetes_build_cached']}", flush=True)
    if not all(pre.values()):
        print("bench_node: step 1 includes what is not cached (see above), not only the node's start", flush=True)
    work = Path(tempfile.mkdtemp(prefix="lc-bench-node-"))
    reports = work / "reports"
    tag = f"bench-node-{os.getpid()}"
    b = Bench(work)
    summary: dict = {"command": shlex.join([Path(sys.executable).name, *sys.argv]), "date": started,
                     "cores": os.cpu_count(), "node": a.name, **pre, "steps": b.steps}
    made = False
    try:
        rec = b.step("up", f"python -m provision.node up {a.name} (a new node)")
        wall, rc, _ = b.retry_on_lease("up", [sys.executable, "-m", "provision.node", "up", a.name], 1800,
                                       a.lease_wait)
        made = True
        b.done(rec, seconds=round(wall, 1), exit=rc)
        if rc != 0:
            b.failed.append("up")
            return 1
        reach = subprocess.run([sys.executable, "-m", "provision.node", "args", a.name], cwd=ROOT,
                               capture_output=True, text=True, timeout=60).stdout.split()
        print(f"  reached with: {shlex.join(reach)}", flush=True)

        for key, title, limit in (("provision", "the first provisioning over SSH", 1800),
                                  ("again", "a second provisioning", 900)):
            rec = b.step(key, title)
            out_json = work / f"provision-{key}.json"
            wall, rc, _ = b.retry_on_lease(key, [sys.executable, "-m", "provision", *reach, *PARAMS,
                                                 "--json", str(out_json)], limit, a.lease_wait)
            outcomes = provision_outcomes(out_json)
            b.done(rec, seconds=round(wall, 1), exit=rc, outcomes=outcomes, changed=outcomes.get("changed", 0))
            print(f"  outcomes: {outcomes}", flush=True)
            if rc != 0:
                b.failed.append(key)
                return 1
        if b.steps["again"]["changed"]:
            b.failed.append("again: changed something")

        rec = b.step("memory", "the node's memory, cluster and hw-deploy up")
        st = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}",
                             f"labconform-node-{a.name}"], capture_output=True, text=True, timeout=60)
        b.done(rec, mib=memory_mib(st.stdout), docker_stats=st.stdout.strip())
        print(f"  docker stats: {st.stdout.strip() or st.stderr.strip()}", flush=True)

        rec = b.step("suite", f"pytest features/: node over SSH and this machine, alternating, {a.repeat} times each")
        runs: dict[str, list[dict]] = {"node": [], "local": []}
        for i in range(a.repeat):
            for side, args in (("node", [*reach, *PARAMS, *NODE_WAIVERS]), ("local", LOCAL)):
                name = f"{tag}-{side}-{i + 1}"
                run = {"load_before": load()}
                wall, rc, _ = b.run(f"suite {side} {i + 1}", [*PYTEST, "features/", *args, "--reports-dir",
                                                             str(reports), "--run-name", name], 1200)
                c, bad, _ = counts(reports / name / "results.json")
                run.update(seconds=round(wall, 1), exit=rc, verdicts=c, failed_or_error=bad, load_after=load())
                runs[side].append(run)
                print(f"  {side} {i + 1}: {wall:.1f} s, exit {rc}: {show_counts(c)}"
                      + (f"; {', '.join(bad)}" if bad else ""), flush=True)
                if not c:
                    b.failed.append(f"suite {side} {i + 1}: no results")
        med = {s: round(statistics.median(r["seconds"] for r in runs[s]), 1) for s in runs}
        b.done(rec, runs=runs, median_node_s=med["node"], median_local_s=med["local"],
               ratio=round(med["node"] / med["local"], 2))

        rec = b.step("reboot", "pytest features/35_fresh_restart.feature --destructive on the node")
        name = f"{tag}-reboot"
        wall, rc, _ = b.run("reboot claims", [*PYTEST, "features/35_fresh_restart.feature", *reach, *PARAMS,
                                              "--destructive", "--reports-dir", str(reports), "--run-name", name], 900,
                            status=lambda: node_state(a.name))
        c, bad, doc = counts(reports / name / "results.json")
        reboot_s = next((o["found"].get("seconds") for x in doc.get("claims", []) if x["id"] == "restart-02"
                         for o in x.get("evidence") or [] if o.get("what") == "reboot" and
                         isinstance(o.get("found"), dict)), None)
        b.done(rec, seconds=round(wall, 1), exit=rc, reboot_s=reboot_s, verdicts=c, failed_or_error=bad)
        print(f"  {show_counts(c)}" + (f"; {', '.join(bad)}" if bad else "") + f"; the reboot itself {reboot_s} s",
              flush=True)
        if not c:
            b.failed.append("reboot: no results")
    finally:
        if made and not a.keep:
            rec = b.step("rm", f"python -m provision.node rm {a.name}")
            wall, rc, _ = b.run("rm", [sys.executable, "-m", "provision.node", "rm", a.name], 300)
            b.done(rec, seconds=round(wall, 1), exit=rc)
            if rc != 0:
                b.failed.append("rm")
        report(summary, b)
        if a.json:
            Path(a.json).parent.mkdir(parents=True, exist_ok=True)
            Path(a.json).write_text(json.dumps(summary, indent=2) + "\n")
            print(f"written {a.json}")
        if a.keep or b.failed:
            print(f"reports and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if b.failed else 0


# the report's rows: (step, what it measures, shown when its record has this key, its figure, the target)
FIGURES: list[tuple[str, str, str, Callable[[dict], str], str]] = [
    ("up", "1 up, a new node (image and Kubernetes build cached)", "", lambda r: f"{r.get('seconds', '?')} s", ""),
    ("provision", "2 first provisioning over SSH", "",
     lambda r: f"{r.get('seconds', '?')} s ({r.get('outcomes')})", ""),
    ("again", "3 second provisioning", "", lambda r: f"{r.get('seconds', '?')} s, {r.get('changed', '?')} changed",
     "under 10 s, 0 changed"),
    ("memory", "4 node memory (docker stats)", "", lambda r: f"{r.get('mib')} MiB", "under 3072 MiB"),
    ("suite", "5 pytest features/, median node | local", "ratio",
     lambda r: f"{r['median_node_s']} s | {r['median_local_s']} s, ratio {r['ratio']}", "ratio within 1.3"),
    ("reboot", "6 reboot claims (35_fresh_restart, --destructive)", "",
     lambda r: f"{r.get('seconds', '?')} s, of which the reboot {r.get('reboot_s')} s", "under 90 s"),
    ("rm", "7 rm", "", lambda r: f"{r.get('seconds', '?')} s", ""),
]


def report(summary: dict, b: Bench) -> None:
    s = b.steps
    rows: list[tuple[str, str, str, str]] = []
    for key, what, needs, figure, target in FIGURES:
        rec = s.get(key)
        if rec is None or (needs and needs not in rec):
            continue
        rows.append((what, figure(rec), target, f"{rec.get('load_before', '?')} -> {rec.get('load_after', '?')}"))
        if key == "provision" and "seconds" in s["up"] and "seconds" in rec:
            rows.append(("1+2 node built and provisioned", f"{s['up']['seconds'] + rec['seconds']:.1f} s",
                         "under 240 s", ""))
    widths = [max(len(r[i]) for r in [("step", "figure", "issue's target", "load before -> after"), *rows])
              for i in range(4)]
    print(f"\nbench_node {summary['date']}, {summary['cores']} cores: {summary['command']}")
    for r in [("step", "figure", "issue's target", "load before -> after"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    for side in ("node", "local"):
        for i, run in enumerate(s.get("suite", {}).get("runs", {}).get(side, []), 1):
            print(f"  suite {side} {i}: {run['seconds']} s, {show_counts(run['verdicts'])}")
    if b.failed:
        print(f"did not go as expected: {'; '.join(b.failed)}")


if __name__ == "__main__":
    sys.exit(main())
