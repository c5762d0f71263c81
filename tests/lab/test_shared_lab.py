"""The shared lab under the suite: concurrent runs, a lost SSH connection, results that cannot be written."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import docker

from labconform.docker.containers import RUN_LABEL
from labconform.poll import until
from tests.support.midrun import running_containers, start_run, stop
from tests.support.ssh_server import Sshd, sshd_server

REPO = Path(__file__).resolve().parents[2]
WAIVERS = "labs/debian-offline/waivers.yaml"


def pytest_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:randomly", *args]


def results_of(reports: Path) -> dict:
    return json.loads((reports / "latest" / "results.json").read_text())


def test_two_full_runs_at_the_same_time_both_pass(tmp_path):
    """Passive and active verification take no lease and share nothing: both gates pass."""
    runs = []
    for name in ("lc-concurrent-a", "lc-concurrent-b"):
        runs.append(subprocess.Popen(
            # the timed Tomcat starts (rand-01, rand-02, rand-04) refuse by design to time a start beside another JVM's,
            # which two full runs at once always have: they are left to the runs that time them alone
            pytest_cmd("-q", "features/", "--waivers", WAIVERS, "--run-name", name,
                       "-m", 'not id(value="rand-01") and not id(value="rand-02") and not id(value="rand-04")',
                       "--reports-dir", str(tmp_path / name)),
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    outs = [p.communicate(timeout=900)[0] for p in runs]
    for p, out in zip(runs, outs, strict=True):
        assert p.returncode == 0, out[-4000:]
    a, b = (results_of(tmp_path / n) for n in ("lc-concurrent-a", "lc-concurrent-b"))
    assert {c["id"]: c["verdict"] for c in a["claims"]} == {c["id"]: c["verdict"] for c in b["claims"]}
    left = docker.from_env().containers.list(all=True, filters={"label": RUN_LABEL})
    assert not [c.name for c in left if c.labels[RUN_LABEL] in ("lc-concurrent-a", "lc-concurrent-b")]


# --- the SSH connection drops in the middle of a run ---------------------------------------------


def start_remote_run(sshd: Sshd, run_name: str, reports: Path, **kw: str) -> tuple[subprocess.Popen[str], list[str]]:
    """A run over SSH, in the middle of its Docker claims (tests/support/midrun.py)."""
    # the lab's waivers: its declared deviations (docker-08, the Docker CE repository) fail here without them
    return start_run(run_name, reports, "--target", sshd.target(), *sshd.options(), "--waivers", WAIVERS, **kw)


def test_a_dropped_ssh_connection_makes_the_remaining_claims_errors_naming_the_target(tmp_path):
    reports = tmp_path / "reports"
    run_name = "lc-ssh-drop"
    with sshd_server() as sshd:
        proc, seen = start_remote_run(sshd, run_name, reports)
        try:
            started = running_containers(run_name)
            sshd.kill()  # the lab's sshd and every session it serves, gone at once
            rest, _ = proc.communicate(timeout=300)  # bounded: a hang fails here
        finally:
            stop(proc)
    out = "".join(seen) + rest
    assert proc.returncode == 1, out[-3000:]
    data = results_of(reports)
    lost = data["run"]["target"]["unreachable"]
    assert lost and "127.0.0.1" in lost and "connection lost" in lost, lost
    errors = [c for c in data["claims"] if c["verdict"] == "error"]
    assert len(errors) >= 5, out[-3000:]
    for c in errors:
        assert "127.0.0.1" in c["reason"], c
    assert not [c["id"] for c in data["claims"] if c["verdict"] == "failed"]  # lost is an error, not a failure
    passed_before = [c for c in data["claims"] if c["verdict"] == "passed"]
    assert len(passed_before) >= 3
    assert "connection lost" in (reports / "latest" / "index.html").read_text()
    # the run's containers: the lab host removed them itself when the connection ended
    assert started, "the run had started no container before the connection dropped"
    try:
        until(lambda: running_containers(run_name), lambda left: not left, timeout=60, what="containers removed")
    finally:
        for c in docker.from_env().containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_name}"}):
            c.remove(force=True)


def test_sigterm_in_the_middle_of_a_remote_run_leaves_nothing_on_the_lab(tmp_path):
    run_name = "lc-ssh-term"
    reports = tmp_path / "reports"
    with sshd_server() as sshd:
        # the claim after this one starts a mytc container and waits seconds for its Tomcat: the signal lands there,
        # in the middle of a claim, not in the last second of the run (where it used to race the results' writing)
        proc, seen = start_remote_run(sshd, run_name, reports, until="bakes_the_urandom_entropy_source")
        try:
            until(lambda: running_containers(run_name), timeout=60, interval=0.05, what="a container of the run")
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=300)
        finally:
            stop(proc)
        assert sshd.sessions() == [], "the run's SSH connection outlived it"
    out = "".join(seen) + rest
    assert proc.returncode == 2, out[-4000:]  # pytest's "interrupted"
    assert running_containers(run_name) == []
    cut = [c for c in results_of(reports)["claims"] if "interrupted" in c["reason"]]
    assert [c["verdict"] for c in cut] == ["error"], out[-4000:]  # the greeting claim, cut short and on record


# --- results that cannot be written ---------------------------------------------------------------


