"""The history across kept runs: verdicts over time, a change between runs explains a moved verdict,
drift and flaky claims without one; the Prometheus text of a run, read by a real parser."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from labconform.results import history

REPO = Path(__file__).resolve().parents[2]
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


def change(reports: Path, name: str, minute: int, kind: str = "change", spec: str = "local",
           phases: dict[str, float] | None = None) -> None:
    """A change record; `phases`: phase name -> the minute it started (each lasts 10 s)."""
    folder = reports / "changes" / name
    folder.mkdir(parents=True)
    doc = {"kind": kind, "id": name, "target": spec, "started": stamp(T0 + 60 * minute), "outcome": "accepted",
           "duration_s": 10}
    if kind == "change":
        doc["phases"] = {p: {"started": stamp(T0 + 60 * at), "duration_s": 10}
                         for p, at in (phases or {"change": minute + 40 / 60}).items()}
    (folder / "change.json").write_text(json.dumps(doc))


def test_a_verdict_moved_by_a_recorded_change_is_no_drift_and_one_moved_without_is(tmp_path):
    run(tmp_path, "r1", 0, {"a": "passed", "b": "passed"})
    change(tmp_path, "chg-1", 1)  # its change phase at minute 1:40
    run(tmp_path, "r2", 2, {"a": "failed", "b": "passed"})
    run(tmp_path, "r3", 4, {"a": "failed", "b": "failed"})
    h = history.build(tmp_path)["labs"]["local"]
    assert h["runs"] == ["r1", "r2", "r3"]
    assert h["drifting"] == ["b"], h
    b = next(c for c in h["claims"] if c["id"] == "b")
    assert b["drift"] == [{"from_run": "r2", "to_run": "r3", "was": "passed", "now": "failed"}]
    assert not b["flaky"]
    assert [e.get("run") or e.get("change") for e in h["timeline"]] == ["r1", "chg-1 (change)", "r2", "r3"]


def test_a_claim_that_comes_back_with_no_change_is_flaky(tmp_path):
    for i, v in enumerate(["passed", "failed", "passed", "passed"]):
        run(tmp_path, f"r{i}", 2 * i, {"k8s-svc-02": v})
    h = history.build(tmp_path)["labs"]["local"]
    assert h["flaky"] == ["k8s-svc-02"] and h["drifting"] == ["k8s-svc-02"]


def test_a_provisioning_between_runs_explains_the_move_and_labs_are_kept_apart(tmp_path):
    run(tmp_path, "r1", 0, {"a": "failed"})
    change(tmp_path, "prov-1", 1, kind="provision")
    run(tmp_path, "r2", 2, {"a": "passed"})
    run(tmp_path, "n1", 0, {"a": "passed"}, spec="ssh://root@172.30.0.10:22")
    change(tmp_path, "prov-2", 3, kind="provision", spec="ssh://root@172.30.0.10:22")  # not local's
    run(tmp_path, "n2", 2, {"a": "failed"}, spec="ssh://root@172.30.0.10:22")
    labs = history.build(tmp_path)["labs"]
    assert labs["local"]["drifting"] == []
    assert labs["ssh://root@172.30.0.10:22"]["drifting"] == ["a"]  # its provisioning came after both runs


def test_the_command_writes_the_json_and_the_page(tmp_path):
    run(tmp_path, "r1", 0, {"a": "passed"})
    run(tmp_path, "r2", 2, {"a": "failed"})
    (tmp_path / "latest").symlink_to("r2")
    p = subprocess.run([sys.executable, "-m", "labconform", "history", "--reports-dir", str(tmp_path)], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "local: 2 runs; drift: a; flaky: none" in p.stdout
    data = json.loads((tmp_path / "history.json").read_text())
    assert data["schema"] == history.SCHEMA and data["labs"]["local"]["runs"] == ["r1", "r2"]  # latest: once
    assert "<h2>local</h2>" in (tmp_path / "history.html").read_text()
    missing = subprocess.run([sys.executable, "-m", "labconform", "history", "--reports-dir", str(tmp_path / "no")],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 4 and "no such folder" in missing.stderr


def test_the_prometheus_text_of_a_run_parses_and_names_what_fails():
    from prometheus_client.parser import text_string_to_metric_families

    doc = {"run": {"started": stamp(T0), "duration_s": 12, "target": {"spec": 'ssh://root@lab"x:22'}},
           "counts": {"passed": 3, "failed": 1, "error": 1}, "gate": {"status": "failed"},
           "claims": [{"id": "a", "verdict": "passed"}, {"id": "rocky-05[Perl]", "verdict": "failed"},
                      {"id": "c", "verdict": "error"}]}
    text = history.prometheus(doc)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    series = [line.split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert len(series) == len(set(series)), series  # no series twice (the parser would not say)
    claims = {s.labels["verdict"]: s.value for s in families["labconform_claims"].samples}
    assert claims == {"passed": 3, "failed": 1, "error": 1}
    assert families["labconform_gate_passed"].samples[0].value == 0
    failing = {(s.labels["id"], s.labels["verdict"]) for s in families["labconform_claim_failing"].samples}
    assert failing == {("rocky-05[Perl]", "failed"), ("c", "error")}
    assert families["labconform_run_timestamp_seconds"].samples[0].value == T0 + 12
    assert families["labconform_claims"].samples[0].labels["lab"] == 'ssh://root@lab"x:22'


def test_a_rollback_after_the_after_check_explains_the_final_check_and_one_lab_is_one_lab(tmp_path):
    """before (passed), the change, after (failed), a rollback, final (passed): no drift anywhere, and the
    record's target written another way is the same lab as the runs'."""
    ssh = "ssh://root@172.30.0.10:22"
    run(tmp_path, "before", 0, {"a": "passed"}, spec=ssh)
    run(tmp_path, "after", 2, {"a": "failed"}, spec="ssh://root@172.30.0.10")
    run(tmp_path, "final", 4, {"a": "passed"}, spec=ssh + "?sudo=true")
    change(tmp_path, "chg-1", 0, spec="ssh://root@172.30.0.10", phases={"change": 1, "rollback": 3})
    labs = history.build(tmp_path)["labs"]
    assert list(labs) == [ssh]
    assert labs[ssh]["drifting"] == [] and labs[ssh]["flaky"] == []


def test_a_change_under_way_while_a_run_that_took_no_lease_started_counts():
    marks = [history.ChangeMark("c", "local", at=T0 + 50, end=T0 + 130, outcome="")]
    earlier = history.Run("r1", "local", T0, T0 + 60, {}, "passed")  # overlaps the change's first 10 s
    later = history.Run("r2", "local", T0 + 200, T0 + 230, {}, "passed")
    assert history.changed_between(marks, earlier, later) == marks
    before = history.Run("r0", "local", T0 - 300, T0 - 270, {}, "passed")
    assert history.changed_between(marks, before, earlier) == marks  # under way as r1 ran
    assert history.changed_between(marks, history.Run("r3", "local", T0 + 140, T0 + 150, {}, "passed"), later) == []


def test_lab_keys():
    assert history.lab_key("local") == history.lab_key("local://") == history.lab_key(None) == "local"
    assert history.lab_key("ssh://root@lab") == history.lab_key("ssh://root@lab:22?sudo=true") == "ssh://root@lab:22"
    assert history.lab_key("ssh://admin@lab:2222") != history.lab_key("ssh://root@lab:2222")
