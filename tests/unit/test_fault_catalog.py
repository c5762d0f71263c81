"""The fault catalogs (faults/catalog.yaml, this machine's; faults/node.yaml, the lab node's): checked when loaded,
judged claim by claim, and run for real on their lab, each fault undone; the proof names every claim as proved or
unproven."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labconform.commands import faults
from labconform.errors import UsageError
from labconform.run.collection import id_files

REPO = Path(__file__).resolve().parents[2]


def catalog(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


GOOD = {"name": "bridge off", "claims": ["k8s-prep-01"], "break": ["true"], "restore": ["true"]}


def test_the_projects_catalog_loads_and_names_only_real_claims_and_files():
    c = faults.load()
    assert c.faults and len({f.name for f in c.faults}) == len(c.faults)
    assert all(f.files and f.breaks and f.restore for f in c.faults)


@pytest.mark.parametrize(("entry", "said"), [
    ({**GOOD, "claims": ["k8s-prep-99"]}, "no such claim k8s-prep-99"),
    ({**GOOD, "also": ["nope-01"]}, "no such claim nope-01"),
    ({**GOOD, "break": "sysctl -w x=0"}, "break: expected a list of non-empty strings"),
    ({**GOOD, "restore": []}, "restore: expected a list of non-empty strings"),
    ({**GOOD, "files": ["features/none.feature"]}, "no such feature file features/none.feature"),
    ({**GOOD, "undo": ["true"]}, "unknown fields undo"),
    ({k: v for k, v in GOOD.items() if k != "name"}, "needs a name"),
    ({**GOOD, "name": "one, two"}, "a name without commas"),
])
def test_a_bad_entry_is_one_usage_error_naming_it(tmp_path, entry, said):
    with pytest.raises(UsageError, match=said):
        faults.load(catalog(tmp_path, {"faults": [entry]}))


def test_a_fault_named_twice_and_an_unprovable_reason_missing_are_refused(tmp_path):
    with pytest.raises(UsageError, match="named twice"):
        faults.load(catalog(tmp_path, {"faults": [GOOD, GOOD]}))
    with pytest.raises(UsageError, match="unprovable"):
        faults.load(catalog(tmp_path, {"faults": [GOOD], "unprovable": {"k8s-prep-01": ""}}))


def test_judging_a_fault():
    f = faults.Fault("f", ("a", "o"), ("true",), ("true",), ("features/x.feature",), also=("b",))
    files = {"a", "b", "c", "o"}
    before = {"a": "passed", "b": "passed", "c": "passed", "o[1]": "passed", "o[2]": "passed", "z": "failed"}
    assert faults.judge(f, before, {**before, "a": "failed", "b": "failed", "o[2]": "failed"}, files) == (True, [])
    ok, why = faults.judge(f, before, {**before, "a": "failed", "c": "failed", "o[1]": "failed"}, files)
    assert not ok and why == ["c changed too: passed -> failed"]
    ok, why = faults.judge(f, before, {**before, "a": "error", "o[1]": "failed"}, files)
    assert not ok and why == ["a: error, not failed"]
    ok, why = faults.judge(f, before, {k: v for k, v in before.items() if k not in ("a", "c")} | {"o[1]": "failed"},
                           files)
    assert not ok and why == ["a: rows run [], before ['a']", "c changed too: passed -> not run"]
    # a claim that did not pass before the fault proves nothing by failing with it
    ok, why = faults.judge(f, {**before, "a": "failed"}, {**before, "a": "failed", "o[1]": "failed"}, files)
    assert not ok and why == ["a: failed before the fault, not passed"]
    ok, why = faults.judge(f, {}, {"a": "failed", "o[1]": "failed"}, files)
    assert not ok and why == ["a: not run before the fault, not passed", "o: not run before the fault, not passed"]
    # an Outline row not applicable before may stay so; it may not move, nor be all the claim had
    moot = {**before, "o[2]": "not_applicable"}
    assert faults.judge(f, moot, {**moot, "a": "failed", "o[1]": "failed"}, files) == (True, [])
    ok, why = faults.judge(f, moot, {**moot, "a": "failed", "o[1]": "failed", "o[2]": "passed"}, files)
    assert not ok and why == ["o: rows not applicable before moved: ['o[2]']"]
    ok, why = faults.judge(f, moot | {"o[1]": "not_applicable"}, {**moot, "a": "failed", "o[1]": "failed"}, files)
    assert not ok and why == ["o: not_applicable before the fault, not passed"]
    ok, why = faults.judge(f, {**before, "a": "not_applicable"}, {**before, "a": "failed", "o[1]": "failed"}, files)
    assert not ok and why == ["a: not_applicable before the fault, not passed"]


def test_a_fault_whose_claims_are_not_in_its_files_is_refused(tmp_path):
    entry = {**GOOD, "files": ["features/84_k8s_init.feature"]}
    with pytest.raises(UsageError, match="k8s-prep-01 not in its files features/84_k8s_init.feature"):
        faults.load(catalog(tmp_path, {"faults": [entry]}))
    with pytest.raises(UsageError, match="no fault"):
        faults.load(catalog(tmp_path, {"faults": []}))
    with pytest.raises(UsageError, match="unprovable 'k8s-prep-01'"):
        faults.load(catalog(tmp_path, {"faults": [GOOD], "unprovable": {"k8s-prep-01": "named by a fault"}}))


def test_a_catalog_names_its_lab_and_is_run_only_on_such_a_target(tmp_path):
    with pytest.raises(UsageError, match="lab: one of local, node"):
        faults.load(catalog(tmp_path, {"lab": "vm", "faults": [GOOD]}))
    assert faults.load(REPO / "faults" / "node.yaml").lab == "node" and faults.load().lab == "local"
    p = subprocess.run([sys.executable, "-m", "labconform", "faults", "--destructive", "--catalog",
                        str(REPO / "faults" / "node.yaml"), "--reports-dir", str(tmp_path)], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 4 and "lab: node, made on a ssh:// target, not local" in p.stderr, p.stderr
    assert not (tmp_path / "faults").exists()


def test_without_destructive_nothing_is_made(tmp_path):
    p = subprocess.run([sys.executable, "-m", "labconform", "faults", "--reports-dir", str(tmp_path)], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 4 and "--destructive" in p.stderr
    assert not (tmp_path / "faults").exists()


def test_every_claim_has_a_fault_or_a_reason_why_none_can_be_made() -> None:
    """Issue 11's target: every claim of the features is named by a fault of this machine's catalog or of the lab
    node's, or listed under `unprovable` with its reason; a new claim without either fails here."""
    named: set[str] = set()
    for catalog in (faults.CATALOG, REPO / "faults" / "node.yaml"):
        c = faults.load(catalog)
        named |= {cid for f in c.faults for cid in f.claims} | set(c.unprovable)
    assert not set(id_files(REPO / "features")) - named, sorted(set(id_files(REPO / "features")) - named)


