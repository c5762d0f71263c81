"""The history across kept runs: verdicts over time, a change between runs explains a moved verdict,
drift and flaky claims without one; the Prometheus text of a run, read by a real parser."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labconform import history

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parent.parent
T0 = 1_790_000_000  # a fixed moment: the runs are minutes apart


def stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def run(reports: Path, name: str, minute: int, verdicts: dict[str, str], spec: str = "local") -> None:
    folder = reports / name
    folder.mkdir(parents=True)
    claims = [{"id": cid, "verdict": v} for cid, v in verdicts.items()]
    counts = {k: sum(1 for v in verdicts.values() if v == k)
              for k in ("passed", "failed", "not_applicable", "waived", "error")}
    gate = "passed" if all(v in ("passed", "not_applicable", "waived") for v in verdicts.values()) else "failed"
    (folder / "results.json").write_text(json.dumps({
        "run": {"name": name, "started": stamp(T0 + 60 * minute), "duration_s": 30, "target": {"spec": spec}},
        "counts": counts, "claims": claims, "gate": {"status": gate}}))


def change(reports: Path, name: str, minute: int, kind: str = "change", spec: str = "local") -> None:
    folder = reports / "changes" / name
    folder.mkdir(parents=True)
    doc = {"kind": kind, "id": name, "target": spec, "started": stamp(T0 + 60 * minute), "outcome": "accepted"}
    if kind == "change":
        doc["phases"] = {"change": {"started": stamp(T0 + 60 * minute + 40)}}
    (folder / "change.json").write_text(json.dumps(doc))


def test_a_verdict_moved_by_a_recorded_change_is_no_drift_and_one_moved_without_is(tmp_path):
    run(tmp_path, "r1", 0, {"a": "passed", "b": "passed"})
    change(tmp_path, "chg-1", 1)  # its change phase at minute 1:40
    run(tmp_path, "r2", 2, {"a": "failed", "b": "passed"})
    run(tmp_path, "r3", 4, {"a": "failed", "b": "failed"})
    h = history.build(tmp_path)["labs"]["local://"]
    assert h["runs"] == ["r1", "r2", "r3"]
    assert h["drifting"] == ["b"], h
    b = next(c for c in h["claims"] if c["id"] == "b")
    assert b["drift"] == [{"from_run": "r2", "to_run": "r3", "was": "passed", "now": "failed"}]
    assert not b["flaky"]
    assert [e.get("run") or e.get("change") for e in h["timeline"]] == ["r1", "chg-1", "r2", "r3"]


def test_a_claim_that_comes_back_with_no_change_is_flaky(tmp_path):
    for i, v in enumerate(["passed", "failed", "passed", "passed"]):
        run(tmp_path, f"r{i}", 2 * i, {"k8s-svc-02": v})
    h = history.build(tmp_path)["labs"]["local://"]
    assert h["flaky"] == ["k8s-svc-02"] and h["drifting"] == ["k8s-svc-02"]


def test_a_provisioning_between_runs_explains_the_move_and_labs_are_kept_apart(tmp_path):
    run(tmp_path, "r1", 0, {"a": "failed"})
    change(tmp_path, "prov-1", 1, kind="provision")
    run(tmp_path, "r2", 2, {"a": "passed"})
    run(tmp_path, "n1", 0, {"a": "passed"}, spec="ssh://root@172.30.0.10:22")
    change(tmp_path, "prov-2", 3, kind="provision", spec="ssh://root@172.30.0.10:22")  # not local's
    run(tmp_path, "n2", 2, {"a": "failed"}, spec="ssh://root@172.30.0.10:22")
    labs = history.build(tmp_path)["labs"]
    assert labs["local://"]["drifting"] == []
    assert labs["ssh://root@172.30.0.10:22"]["drifting"] == ["a"]  # its provisioning came after both runs


def test_the_command_writes_the_json_and_the_page(tmp_path):
    run(tmp_path, "r1", 0, {"a": "passed"})
    run(tmp_path, "r2", 2, {"a": "failed"})
    (tmp_path / "latest").symlink_to("r2")
    p = subprocess.run([sys.executable, "-m", "labconform", "history", "--reports-dir", str(tmp_path)], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "local://: 2 runs; drift: a; flaky: none" in p.stdout
    data = json.loads((tmp_path / "history.json").read_text())
    assert data["schema"] == history.SCHEMA and data["labs"]["local://"]["runs"] == ["r1", "r2"]  # latest: once
    assert "<h2>local://</h2>" in (tmp_path / "history.html").read_text()
    missing = subprocess.run([sys.executable, "-m", "labconform", "history", "--reports-dir", str(tmp_path / "no")],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 4 and "no such folder" in missing.stderr


def test_the_prometheus_text_of_a_run_parses_and_names_what_fails():
    from prometheus_client.parser import text_string_to_metric_families

    doc = {"run": {"started": stamp(T0), "duration_s": 12, "target": {"spec": 'ssh://root@lab"x:22'}},
           "counts": {"passed": 3, "failed": 1, "error": 1}, "gate": {"status": "failed"},
           "claims": [{"id": "a", "verdict": "passed"}, {"id": "rocky-05[Perl]", "verdict": "failed"},
                      {"id": "c", "verdict": "error"}]}
    families = {f.name: f for f in text_string_to_metric_families(history.prometheus(doc))}
    claims = {s.labels["verdict"]: s.value for s in families["labconform_claims"].samples}
    assert claims == {"passed": 3, "failed": 1, "error": 1}
    assert families["labconform_gate_passed"].samples[0].value == 0
    failing = {(s.labels["id"], s.labels["verdict"]) for s in families["labconform_claim_failing"].samples}
    assert failing == {("rocky-05[Perl]", "failed"), ("c", "error")}
    assert families["labconform_run_timestamp_seconds"].samples[0].value == T0 + 12
    assert families["labconform_claims"].samples[0].labels["lab"] == 'ssh://root@lab"x:22'
