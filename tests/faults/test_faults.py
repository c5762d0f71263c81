"""Faults caused for real: the Docker daemon stopped, a run interrupted in the middle of a claim."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import docker
import pytest

from labconform.docker.containers import RUN_LABEL
from labconform.params import load_params
from labconform.poll import until
from labconform.transport.target import Target
from provision.docker.engine import restart_supervised, stop_supervised
from provision.plan import Context
from provision.state import LiveState
from tests.support.midrun import running_containers, start_run, stop
from tests.support.ssh_server import sshd_server


def supervised_docker() -> Context:
    """The provisioning context of this machine, whose dockerd runs under labconform's supervisor (a lab
    whose daemon runs under systemd is skipped: stop it with systemctl in a dedicated test)."""
    target = Target("local")
    if target.facts.systemd_is_init:
        pytest.skip("this lab's daemon runs under systemd: stop it with systemctl in a dedicated test")
    return Context(target, LiveState(target), load_params(None))


@pytest.fixture
def docker_stopped(lab_lease):
    """Stop the Docker daemon for the test (live-restore keeps the lab's containers up); restart after."""
    ctx = supervised_docker()
    stop_supervised(ctx, "docker")
    try:
        yield ctx
    finally:
        restart_supervised(ctx, "docker", "/usr/sbin/dockerd")
        until(lambda: (ctx.state.forget(), ctx.state.docker_info())[1], timeout=60, what="docker back")


def test_docker_claims_fail_naming_the_socket_then_pass_once_restarted(suite, docker_stopped):
    # bounded: the run ends within 120 s (a subprocess timeout), not waiting a minute per claim
    run = suite("features/40_docker_ce.feature", "features/50_tomcat_from_dockerhub.feature", timeout=120)
    v = run.verdicts()
    assert v["docker-04"] == "failed" and v["tomcat-01"] == "failed" and v["tomcat-03"] == "failed"
    assert v["docker-01"] == "passed"  # the packages are still installed: not every claim is about the daemon
    assert "supervisor for docker: not running" in run.claim("docker-04")["reason"]
    for claim in ("tomcat-01", "tomcat-03"):
        reason = run.claim(claim)["reason"]
        assert "docker engine not answering at unix:///var/run/docker.sock" in reason, reason

    restart_supervised(docker_stopped, "docker", "/usr/sbin/dockerd")
    until(lambda: (docker_stopped.state.forget(), docker_stopped.state.docker_info())[1], timeout=60, what="up")
    again = suite("features/40_docker_ce.feature", "features/50_tomcat_from_dockerhub.feature", timeout=180)
    assert {again.verdicts()[i] for i in ("tomcat-01", "tomcat-03")} == {"passed"}
    # without systemd nothing starts docker at boot: not applicable, saying that it runs again now
    assert again.verdicts()["docker-04"] == "not_applicable"
    assert "runs now under labconform's supervisor" in again.claim("docker-04")["reason"]


@pytest.mark.usefixtures("lab_lease")
def test_dockerd_stopped_mid_run_fails_the_rest_in_bounded_time_and_the_lab_host_cleans_up(tmp_path, over_ssh):
    """The engine goes away while mytc's containers run and the SecureRandom claims are to come. Every
    Docker claim after it fails naming the engine, the run ends in bounded time, and the run's
    containers (kept running by live-restore) are removed by the lab host once the engine is back.
    Over SSH the engine's socket is forwarded through the run's connection, and the reaper is remote."""
    ctx = supervised_docker()
    run_name = f"lc-dockerd-stop-{'ssh' if over_ssh else 'local'}-{os.getpid()}"
    reports = tmp_path / "reports"
    with contextlib.ExitStack() as stack:
        lab: list[str] = []
        if over_ssh:
            sshd = stack.enter_context(sshd_server())
            lab = ["--target", sshd.target(), *sshd.options()]
        proc, seen = start_run(run_name, reports, *lab)
        try:
            pids = container_pids(run_name)
            assert pids, "the run had started no container"
            stop_supervised(ctx, "docker")
            rest, _ = proc.communicate(timeout=150)  # the bound: the run ends within 150 s of the stop
            alive_while_down = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
        finally:
            stop(proc)
            restart_supervised(ctx, "docker", "/usr/sbin/dockerd")
            until(lambda: (ctx.state.forget(), ctx.state.docker_info())[1], timeout=60, what="docker back")
    out = "".join(seen) + rest
    assert proc.returncode == 1, out[-3000:]
    doc = json.loads((reports / run_name / "results.json").read_text())
    claims = {c["id"]: c for c in doc["claims"]}
    # rand-01 and rand-02 run first (@alone), before the stop; rand-03 starts a container after it and says
    # the engine is not answering
    for cid in ("rand-01", "rand-02"):
        assert claims[cid]["verdict"] == "passed", claims[cid]
    assert claims["rand-03"]["verdict"] in ("failed", "error"), claims["rand-03"]
    assert "docker engine not answering at unix://" in claims["rand-03"]["reason"], claims["rand-03"]
    # a stopped engine ends every claim's wait on it at once (a Conclusive error), not by waiting out its bound
    # (60 s for Tomcat's startup): no such claim's reason is a wait that ran out
    engine = [c for c in claims.values() if "docker engine not answering" in c["reason"]]
    assert engine and not [c for c in engine if "not reached within" in c["reason"]], engine
    assert claims["hello-01"]["verdict"] == "passed"  # what passed before the stop stays passed
    cleanup = doc["run"]["cleanup"]
    assert cleanup["engine_error"] and "once it answers again" in cleanup["note"], cleanup
    assert "clean-up: the Docker engine did not answer" in out
    assert alive_while_down, "live-restore kept no container of the run running: nothing for the reaper to do"
    until(lambda: running_containers(run_name), lambda left: not left, timeout=60, what="the reaper's clean-up")


def container_pids(run_name: str) -> list[int]:
    client = docker.from_env()
    return [c.attrs["State"]["Pid"] for c in client.containers.list(filters={"label": f"{RUN_LABEL}={run_name}"})]


