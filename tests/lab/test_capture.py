"""`python -m labconform capture` on real labs: what it captures from this machine and from the lab node passes
against the same lab right after; a user removed after the capture fails exactly the claims about that user
(the drift a change leaves is shown). The user made here is removed in a `finally`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from labconform.commands import suite_process
from tests.conftest import Run
from tests.support import lab_node

REPO = Path(__file__).resolve().parents[2]


def capture(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labconform", "capture", "--out", str(out), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def check(folder: Path, *args: str) -> Run:
    reports = folder / "reports"
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                        *suite_process.project_options([folder]),
                        "--reports-dir", str(reports), str(folder / "captured.feature"), *args],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    return Run(p.returncode, p.stdout, p.stderr, reports)


@pytest.mark.skipif(os.geteuid() != 0, reason="the test adds a user: root")
def test_a_capture_of_this_machine_passes_then_shows_a_removed_user(tmp_path: Path) -> None:
    user = f"lcc{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", user], check=True, timeout=60)
    try:
        made = capture(tmp_path / "captured.feature", "--only", "packages,ports,users,groups,mounts,images")
        assert made.returncode == 0, made.stderr
        text = (tmp_path / "captured.feature").read_text()
        assert f'the user "{user}" has the shell "/bin/sh"' in text and "# from: getent passwd" in text
        ok = check(tmp_path)
        assert ok.rc == 0 and set(ok.verdicts().values()) == {"passed"}, ok.out[-3000:]
        assert len(ok.verdicts()) > 100  # packages, ports, users, groups, mounts and images of a real lab
        subprocess.run(["userdel", user], check=True, timeout=60)
        drift = check(tmp_path)
        failed = {i for i, v in drift.verdicts().items() if v != "passed"}
        assert failed == {f"cap-user-{user}"}, drift.out[-3000:]
        assert "no such user" in drift.claim(f"cap-user-{user}")["reason"]
    finally:
        subprocess.run(["userdel", user], capture_output=True, timeout=60)


def test_a_capture_of_the_lab_node_over_ssh_passes_against_it(tmp_path: Path) -> None:
    p = lab_node.node("args", "lab1", timeout=30)
    if p.returncode != 0:
        pytest.skip(f"no lab node lab1 here: {p.stderr.strip()}")
    reach = p.stdout.split("\n")[:-1]
    made = capture(tmp_path / "captured.feature", *reach)
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "captured.feature").read_text()
    assert 'the service "ssh" is running' in text and 'the service "docker" is enabled at boot' in text
    ok = check(tmp_path, *reach, "--lab-params", str(REPO / "labs" / "node" / "params.yaml"))
    assert ok.rc == 0 and set(ok.verdicts().values()) == {"passed"}, ok.out[-3000:]
