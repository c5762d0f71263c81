"""One change as one command (`python -m labconform change`), for real on this machine: accepted, a real
regression repaired by claim or rolled back or left, a change that hangs or fails, the lease taken by
someone else, a reused baseline, Ctrl-C; each one outcome in the record and the exit status."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.change import (
    BREAK,
    CLAIM,
    bridge_restored,  # noqa: F401 - the fixture
    change,
    lease_given_back,
    needs_bridge,
)
from tests.support.midrun import as_at_a_terminal, interrupt

REPO = Path(__file__).resolve().parents[2]


def running(pattern: str) -> bool:
    return subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True).returncode == 0


@needs_bridge
def test_a_harmless_change_is_accepted_its_output_kept_and_redacted(tmp_path):
    rc, record, said = change(tmp_path, "--run", "echo applying password=hunter2hunter2", *CLAIM)
    assert rc == 0, said
    assert record["decision"] == "accepted" and record["outcome"] == "accepted", record
    assert list(record["phases"]) == ["lease", "before", "change", "after"], record["phases"].keys()
    assert record["phases"]["before"]["gate"] == "passed" and record["phases"]["after"]["gate"] == "passed"
    assert record["phases"]["after"]["counts"]["passed"] == 1, record["phases"]["after"]
    assert record["phases"]["change"]["exit_status"] == 0
    assert record["phases"]["lease"]["owner"] == record["who"] and record["phases"]["lease"]["released"]
    folder = tmp_path / "changes" / record["id"]
    log = (folder / "change.log").read_text()
    assert "applying" in log and "hunter2" not in log and "hunter2" not in said, log
    assert "hunter2" not in (folder / "change.json").read_text()
    page = (folder / "index.html").read_text()
    assert "accepted (exit 0)" in page and f"{record['id']}-after" in page, page
    assert lease_given_back(record)


@needs_bridge
def test_a_hanging_change_is_stopped_with_its_children_and_the_lease_freed(tmp_path):
    marker = f"{time.time_ns() % 100000 + 300}"  # a sleep no one else runs
    rc, record, said = change(tmp_path, "--run", f"sh -c 'sleep {marker} & exec sleep {marker}'", "--timeout", "3",
                              *CLAIM)
    made = record["phases"]["change"]
    assert made["timed_out"] and made["exit_status"] == 124, made  # timeout(1) on the lab stopped it
    assert rc == 3 and record["phases"]["after"]["gate"] == "passed", said  # rejected; the lab still conforms
    assert not running(f"^sleep {marker}$")
    assert lease_given_back(record)


@needs_bridge
def test_a_change_that_fails_is_rejected_though_the_lab_still_conforms(tmp_path):
    rc, record, said = change(tmp_path, "--run", "false", *CLAIM)
    assert rc == 3, said
    assert record["reasons"][0] == "the change command exited 1", record["reasons"]


@needs_bridge
def test_a_recent_good_run_stands_for_the_check_before_and_another_labs_does_not(tmp_path):
    rc, first, said = change(tmp_path, "--run", "true", *CLAIM)
    assert rc == 0, said
    good = first["phases"]["after"]["folder"]
    rc, record, said = change(tmp_path, "--run", "true", "--baseline", good, *CLAIM)
    assert rc == 0, said
    assert record["phases"]["baseline"]["used"] and "before" not in record["phases"], record["phases"]
    results = Path(good) / "results.json"
    data = json.loads(results.read_text())
    data["run"]["target"]["spec"] = "ssh://root@elsewhere:22"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    rc, record, said = change(tmp_path, "--run", "true", "--baseline", str(other), *CLAIM)
    assert rc == 0, said
    assert not record["phases"]["baseline"]["used"] and "not of local" in record["phases"]["baseline"]["why_not"]
    assert "before" in record["phases"]


def interrupted(tmp_path: Path, sig: int, at: str, phase: str, *args: str) -> dict:
    """A change of the bridge claim sent `sig` once a process matching `at` runs (its `phase`): it exits 130 and
    its record says it stopped during that phase. The record."""
    proc = subprocess.Popen([sys.executable, "-m", "labconform", "change", "--reports-dir", str(tmp_path),
                             "--lease-wait", "600", *args, *CLAIM], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=as_at_a_terminal)
    said = interrupt(proc, sig, lambda: running(at), f"the {phase} to run", wait=300, timeout=180)
    assert proc.returncode == 130, said
    record = json.loads(next((tmp_path / "changes").glob("chg-*/change.json")).read_text())
    assert f"during the {phase}" in record["reasons"][0], record["reasons"]
    return record


@needs_bridge
@pytest.mark.parametrize(("sig", "phase"), [(signal.SIGINT, "change"), (signal.SIGINT, "before"),
                                            (signal.SIGTERM, "change")])
def test_stopped_at_a_phase_it_says_which_and_leaves_nothing(tmp_path, sig, phase):
    """Ctrl-C during the change or the check before it, or a CI job's SIGTERM during the change: the phase
    running is stopped (pytest cleans up its containers), the record says where it stopped and that nothing
    ran after it, the lease is given back."""
    marker = f"{time.time_ns() % 100000 + 700}"
    # the before check's pytest, or the change itself, running
    at = f"--run-name chg-[^ ]+-before --reports-dir {tmp_path}" if phase == "before" else f"^sleep {marker}$"
    record = interrupted(tmp_path, sig, at, phase, "--run", f"sleep {marker}")
    assert record["outcome"] == "interrupted" and "after" not in record["phases"], record
    assert ("change" in record["phases"]) == (phase == "change"), record["phases"].keys()
    if phase == "change":
        assert record["phases"]["change"]["interrupted"], record["phases"]["change"]
    assert not running(f"^sleep {marker}$") and not running("--run-name " + record["id"])
    assert lease_given_back(record)


@needs_bridge
@pytest.mark.parametrize(("phase", "command", "runs"), [
    ("after", "true", "--run-name chg-[^ ]+-after --reports-dir {reports}"),
    ("repair", BREAK, "-m provision --claims k8s-prep-01"),
])
def test_stopped_after_the_change_it_says_where_and_leaves_nothing(tmp_path, bridge_restored, phase, command, runs):
    """Ctrl-C during the check after the change, or during the repair of what it broke: that phase is
    stopped, the record says the change was made and where it stopped, nothing ran after it, the lease is
    given back."""
    record = interrupted(tmp_path, signal.SIGINT, runs.format(reports=tmp_path), phase, "--run", command, "--repair")
    assert record["outcome"] == "interrupted" and record["phases"]["change"]["exit_status"] == 0, record
    assert "final" not in record["phases"] and (phase == "repair") == ("repair" in record["phases"]), record
    assert not running(runs.format(reports=tmp_path)) and not running("--run-name " + record["id"])
    assert lease_given_back(record)
