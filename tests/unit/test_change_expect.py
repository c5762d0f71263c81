"""A test-first change (`change --expect`), its decision without a lab: the checks are a fake runner whose runs
are judged by the real gate, so the expected claims are set aside as a real run's would be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labconform.commands import change, change_expect, change_record
from labconform.commands.change_record import Change
from labconform.commands.streamed import Streamed
from labconform.results import gate

FEATURE = """@section:own
Feature: A lab's own claims
  @id:own-01 @impact:medium
  Scenario: The package is gone
    Given the lab host
    Then the package "lc-expect-x" is not installed
"""


class FakeRunner:
    """Runner's phases, scripted: each check a results.json of these verdicts judged by the gate (against its
    baseline, as a real run is), each command on the lab an exit status."""

    def __init__(self, tmp_path: Path, args, verdicts: dict[str, dict[str, str]], rc: int = 0) -> None:
        self.tmp, self.args, self.verdicts, self.rc = tmp_path, args, verdicts, rc
        self.change = Change(id="chg-x", who="me@here", target="local", command=["true"], rollback=None,
                             repair=args.repair)
        self.ran: list[str] = []

    def check(self, phase: str, baseline: Path | None) -> dict:
        self.ran.append(phase)
        claims = [{"id": i, "verdict": v, "impact": "medium"} for i, v in self.verdicts[phase].items()]
        diff = gate.compare(claims, json.loads(baseline.read_text()), baseline) if baseline else None
        decision = gate.decide(claims, diff)
        data = {"schema": "labconform.results", "schema_version": 1, "run": {"name": phase}, "claims": claims,
                "gate": decision.as_dict(), "counts": {}}
        folder = self.tmp / phase
        folder.mkdir()
        (folder / "results.json").write_text(json.dumps(data))
        ran = Streamed(rc=1 if decision.failed else 0, seconds=0.1)
        return change_record.summarize_run(data, folder, ran, 0.1, self.args.expect)

    def on_lab(self, phase: str, command: list[str]) -> dict:
        self.ran.append(phase)
        return {"exit_status": self.rc, "timed_out": False}

    def repair(self, ids: list[str]) -> dict:
        self.ran.append(f"repair {','.join(ids)}")
        return {}


@pytest.fixture
def own(tmp_path: Path) -> Path:
    folder = tmp_path / "labs" / "mine" / "features"
    folder.mkdir(parents=True)
    (folder / "own.feature").write_text(FEATURE)
    return folder


def decided(tmp_path: Path, own: Path, verdicts: dict, *extra: str, rc: int = 0) -> tuple[Change, list[str]]:
    args = change.parse_args(["--run", "true", "--expect", "own-01", *extra, str(own)])
    runner = FakeRunner(tmp_path, args, verdicts, rc)
    return change.decide(runner, args), runner.ran  # type: ignore[arg-type]


def test_expected_failing_before_and_passing_after_is_accepted(tmp_path, own):
    done, ran = decided(tmp_path, own, {"before": {"base-01": "passed", "own-01": "failed"},
                                        "after": {"base-01": "passed", "own-01": "passed"}})
    assert (done.exit_status, done.decision) == (change.ACCEPTED, "accepted"), done.reasons
    assert ran == ["before", "change", "after"]
    assert done.expected == {"own-01": {"before": "failed", "after": "passed", "held": True}}
    assert change_expect.line("own-01", done.expected["own-01"]) == "expect own-01: failed before, passed after: held"


@pytest.mark.parametrize("was", ["not_applicable", "waived", "error"])
def test_expected_not_passing_before_in_any_other_way_is_changed(tmp_path, own, was):
    done, _ = decided(tmp_path, own, {"before": {"base-01": "passed", "own-01": was},
                                      "after": {"base-01": "passed", "own-01": "passed"}})
    assert done.exit_status == change.ACCEPTED, done.reasons


def test_expected_not_collected_before_is_changed(tmp_path, own):
    done, _ = decided(tmp_path, own, {"before": {"base-01": "passed"},
                                      "after": {"base-01": "passed", "own-01": "passed"}})
    assert done.exit_status == change.ACCEPTED and done.expected["own-01"]["before"] == "not run", done.reasons


def test_expected_passing_before_is_refused_before_the_change(tmp_path, own):
    done, ran = decided(tmp_path, own, {"before": {"base-01": "passed", "own-01": "passed"}})
    assert done.exit_status == change.ALREADY_HOLDS and done.decision == "not made", done.reasons
    assert ran == ["before"]  # the change never ran
    assert "own-01 passes before the change" in done.reasons[0]
    assert done.expected["own-01"] == {"before": "passed", "after": None, "held": None}


def test_expected_not_passing_after_is_rejected_naming_it(tmp_path, own):
    done, ran = decided(tmp_path, own, {"before": {"base-01": "passed", "own-01": "failed"},
                                        "after": {"base-01": "passed", "own-01": "failed"}})
    assert (done.exit_status, done.decision) == (change.RESTORED, "rejected"), done.reasons
    assert done.reasons[0] == "own-01 was expected to pass after the change: failed"
    assert done.expected["own-01"]["held"] is False and ran == ["before", "change", "after"]


def test_expected_not_passing_after_runs_the_rollback(tmp_path, own):
    verdicts = {"before": {"base-01": "passed", "own-01": "failed"}, "after": {"base-01": "passed", "own-01": "failed"},
                "final": {"base-01": "passed", "own-01": "failed"}}
    done, ran = decided(tmp_path, own, verdicts, "--rollback", "undo-it")
    assert ran == ["before", "change", "after", "rollback", "final"]
    assert done.exit_status == change.RESTORED and "after the rollback" in done.reasons[-1], done.reasons


def test_a_regression_besides_the_expectation_is_repaired_by_its_own_claims(tmp_path, own):
    verdicts = {"before": {"base-01": "passed", "own-01": "failed"}, "after": {"base-01": "failed", "own-01": "passed"},
                "final": {"base-01": "passed", "own-01": "passed"}}
    done, ran = decided(tmp_path, own, verdicts, "--repair")
    assert ran == ["before", "change", "after", "repair base-01", "final"], done.reasons
    assert done.exit_status == change.RESTORED and done.expected["own-01"]["held"], done.reasons


def test_the_gate_set_aside_keeps_every_other_reason():
    claims = [{"id": "a", "verdict": "failed"}, {"id": "own-01[row]@lab1", "verdict": "failed"},
              {"id": "b", "verdict": "error"}]
    record = gate.decide(claims, None, other_failures=1).as_dict()
    ok, left = change_expect.set_aside(record, ["own-01"])
    assert not ok and len(left) == 3, left  # the failed a (named with own-01), b's error, the other failure
    record = gate.decide([claims[1]], None).as_dict()
    assert change_expect.set_aside(record, ["own-01"]) == (True, [])


def test_unknown_or_malformed_ids_are_usage_errors(tmp_path, own, capsys):
    for bad in (["--expect", "own-02"], ["--expect", "own-01,nope"], ["--expect", "own 01"], ["--expect", ""],
                ["--expect", "own-01,,x"], ["--expect", "x" * 5000], ["--expect", ",".join(f"a{i}" for i in range(60))],
                ["--expect", "$(reboot)"]):
        with pytest.raises(SystemExit) as exc:
            change.parse_args(["--run", "true", *bad, str(own)])
        assert exc.value.code == change.USAGE, bad
        err = capsys.readouterr().err.splitlines()
        assert len(err[-1]) < 400 and "Traceback" not in "".join(err), err
        if bad[1] == "own-01,nope":
            assert err[-1].endswith("has the claim id(s) nope"), err
    assert change.parse_args(["--run", "true", "--expect", "id:own-01,own-01", str(own)]).expect == ["own-01"]
    # a folder above the lab's feature folder: its .feature files are found as pytest collects them
    assert change.parse_args(["--run", "true", "--expect", "own-01", str(tmp_path / "labs")]).expect == ["own-01"]
