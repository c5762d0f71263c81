"""Every file an option names is read one way (labconform/input_files.py): a regular file, bounded, UTF-8, YAML
whose aliases cannot blow up; a refusal names the option and the file (issue 25)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from labconform import input_files
from labconform.commands.faults import load as load_catalog
from labconform.errors import UsageError
from labconform.option_values import seconds
from labconform.params import load_params
from labconform.results import document, waivers
from provision.state import RecordedState

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("make, says", [
    (lambda d: Path("/dev/zero"), "not a regular file"),
    (lambda d: d / "absent.yaml", "no such file"),
    (lambda d: d, "not a regular file"),
])
def test_what_is_not_a_small_regular_file_is_refused_at_once(tmp_path, make, says) -> None:
    with pytest.raises(UsageError, match=f"--lab-params .*: {says}"):
        input_files.read_text(make(tmp_path), "--lab-params")


def test_a_fifo_is_refused_without_waiting_for_a_writer(fifo) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        input_files.read_text(fifo, "--waivers")


def test_size_and_encoding_are_bounded(tmp_path) -> None:
    big, latin = tmp_path / "big", tmp_path / "latin"
    big.write_bytes(b"x" * 2001)
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(UsageError, match="2001 bytes, over the bound of 2000"):
        input_files.read_text(big, "--baseline", limit=2000)
    with pytest.raises(UsageError, match="not UTF-8 text"):
        input_files.read_text(latin, "--lab-params")
    assert input_files.read_text(big, "--baseline", limit=2001) == "x" * 2001


def test_an_alias_bomb_is_refused_before_it_is_built(tmp_path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(BOMB)  # 9**9 strings once built
    with pytest.raises(UsageError, match="aliases expand past 100000 nodes"):  # built, it would take GBs
        input_files.read_yaml(f, "--lab-params")
    with pytest.raises(UsageError, match="aliases expand past"):
        input_files.load_yaml("&a [*a]", "--lab-params", f)  # an alias inside itself
    assert input_files.load_yaml("a: &x [1, 2]\nb: *x\n", "--lab-params", f) == {"a": [1, 2], "b": [1, 2]}


def test_each_loader_names_its_option(tmp_path, fifo) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    with pytest.raises(UsageError, match="--lab-params .*aliases expand"):
        load_params(str(bomb))
    with pytest.raises(waivers.WaiverError, match="aliases expand"):
        waivers.load(bomb)
    with pytest.raises(waivers.WaiverError, match="--waivers .*not a regular file"):
        waivers.load(fifo)
    with pytest.raises(UsageError, match="--facts /dev/zero: not a regular file"):
        RecordedState.load("/dev/zero")
    with pytest.raises(UsageError, match="--catalog .*aliases expand"):
        load_catalog(bomb)


@pytest.mark.parametrize("doc, says", [
    ({"facts": []}, "a mapping under 'facts'"),
    ([1, 2], "a mapping under 'facts'"),
])
def test_facts_of_the_wrong_shape_are_one_line(tmp_path, doc, says) -> None:
    f = tmp_path / "facts.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match=says):
        RecordedState.load(f)
    f.write_text("{")
    with pytest.raises(UsageError, match=r"--facts .*facts.json:1: not JSON"):
        RecordedState.load(f)


def _results(tmp_path: Path, **changes) -> Path:
    doc = {"schema": "labconform.results", "schema_version": 1, "claims": [{"id": "a-01", "verdict": "passed"}]}
    doc.update(changes)
    (tmp_path / "results.json").write_text(json.dumps(doc))
    return tmp_path


@pytest.mark.parametrize("changes, says", [
    ({"claims": [{"verdict": "passed"}]}, r"claims\[0\]: expected a mapping with a non-empty id"),
    ({"claims": {"a-01": "passed"}}, "claims: expected a list"),
    ({"claims": [{"id": "a-01", "verdict": "great"}]}, "verdict 'great' is none of"),
    ({"schema_version": None}, "not a labconform.results document"),
    ({"schema_version": 2}, "not a labconform.results document"),
])
def test_a_baseline_whose_claims_the_gate_cannot_read_is_refused_when_loaded(tmp_path, changes, says) -> None:
    with pytest.raises(ValueError, match=says):
        document.load(_results(tmp_path, **changes))
    assert document.load(_results(tmp_path))["claims"][0]["id"] == "a-01"


def test_a_results_document_that_is_a_list_is_refused(tmp_path) -> None:
    (tmp_path / "results.json").write_text("[]")
    with pytest.raises(ValueError, match="not a labconform.results document"):
        document.load(tmp_path)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "-1", "86401", "soon"])
def test_a_wait_is_a_finite_number_of_seconds_up_to_a_day(text) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        seconds(text)


def test_a_wait_in_range_is_taken() -> None:
    assert seconds("0") == 0 and seconds("900") == 900 and seconds("1.5") == 1.5
