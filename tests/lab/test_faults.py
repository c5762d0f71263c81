"""Faults caused for real: the Docker daemon stopped, a run interrupted in the middle of a claim."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from labconform.docker.containers import RUN_LABEL
from labconform.poll import until
from tests.support.midrun import as_at_a_terminal, interrupt, running_containers, start_run

REPO = Path(__file__).resolve().parents[2]


def test_a_run_killed_with_sigkill_leaves_no_container_behind(tmp_path):
    """No handler runs on SIGKILL: the lab host's reaper sees its input end and removes the containers."""
    run_name = f"lc-sigkill-{os.getpid()}"
    proc, _ = start_run(run_name, tmp_path / "reports")
    assert running_containers(run_name)
    proc.kill()
    proc.wait()
    until(lambda: running_containers(run_name), lambda left: not left, timeout=30, what="the reaper's clean-up")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_no_container_behind(tmp_path, sig):
    run_name = f"lc-interrupt-{sig.name.lower()}-{os.getpid()}"
    client = docker.from_env()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "features/70_multiple_containers.feature",
            "--run-name",
            run_name,
            "--reports-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=as_at_a_terminal,
    )
    # interrupt as soon as the run has started containers, while its claims wait on Tomcat
    out = interrupt(proc, sig, lambda: client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_name}"}),
                    "the run's containers", wait=60, timeout=60)
    left = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_name}"})
    assert left == [], f"left behind: {[c.name for c in left]}\n{out}"
    assert proc.returncode != 0
    doc = json.loads((tmp_path / run_name / "results.json").read_text())
    # the claim that was waiting on Tomcat is an error saying so; nothing is lost from results.json
    assert [c["reason"] for c in doc["claims"] if c["verdict"] == "error"] == [
        "the run was interrupted before this claim finished"
    ], doc["claims"]
