"""A test-first change (`--expect ID[,ID...]`): the claims the change is meant to make true. Each must not pass
before it (failing, not applicable, waived, or not run) and must pass after it; the checks judge every other
claim as they always do, with these set aside (docs/change.md, "A test-first change")."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labconform.option_values import shown
from labconform.outputs.repair import base_id
from labconform.run.collection import ID_FORM, ids_under

MAX_CHARS = 1000  # of the option's value
MAX_IDS = 50
NOT_RUN = "not run"
WORST_FIRST = ("error", "failed", "waived", "not_applicable")


def expect_ids(text: str) -> list[str]:
    """An argparse type: comma-separated claim ids (an optional `id:` prefix each), once each, in the order given."""
    if len(text) > MAX_CHARS:
        raise argparse.ArgumentTypeError(f"at most {MAX_CHARS} characters of claim ids ({len(text)} given)")
    ids = list(dict.fromkeys(p.strip().removeprefix("id:") for p in text.split(",")))
    bad = [repr(i) for i in ids if not ID_FORM.fullmatch(i)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a claim id: {shown(', '.join(bad), 120)} (ID[,ID...], each of letters, "
                                         "digits, '.', '_' and '-', as the @id tags of the feature files)")
    if len(ids) > MAX_IDS:
        raise argparse.ArgumentTypeError(f"at most {MAX_IDS} claim ids ({len(ids)} given)")
    return ids


def unknown(ids: list[str], paths: Iterable[str | Path]) -> list[str]:
    """The ids no feature file of these paths (files, or folders searched as pytest collects them) has."""
    known = ids_under(paths)
    return [i for i in ids if i not in known]


def verdict(claims: list[dict[str, Any]], cid: str) -> str:
    """One claim's verdict in a run (results.json's claims): "passed" when every row of it (an Outline's, each
    lab's) passed, else its worst row's; NOT_RUN when the run did not check it."""
    rows = [c.get("verdict") or "" for c in claims if base_id(c["id"]) == cid]
    if not rows:
        return NOT_RUN
    if all(v == "passed" for v in rows):
        return "passed"
    return next((v for v in WORST_FIRST if v in rows), rows[0])


def verdicts(claims: list[dict[str, Any]], ids: list[str]) -> dict[str, str]:
    return {i: verdict(claims, i) for i in ids}


def set_aside(gate: dict[str, Any], ids: list[str]) -> tuple[bool, list[str]]:
    """The gate's decision with the expected claims set aside: (it passes, the reasons left). A reason is left
    when it names a claim not expected, or no claim at all (a failing test that is not a claim)."""
    reasons, items = list(gate.get("reasons") or []), list(gate.get("failures") or [])
    if gate.get("status") == "passed":
        return True, reasons
    if len(reasons) != len(items):  # not the gate's own record of its reasons: nothing is set aside
        return False, reasons
    left = [why for why, item in zip(reasons, items, strict=True)
            if not item.get("claims") or any(base_id(c) not in ids for c in item["claims"])]
    return not left, left


def before(record: dict[str, dict[str, Any]], ids: list[str], claims: list[dict[str, Any]]) -> list[str]:
    """Each expected claim's verdict before the change into `record` (Change.expected); the reasons the change
    is not made: the expected claims that pass already."""
    for cid, was in verdicts(claims, ids).items():
        record[cid] = {"before": was, "after": None, "held": None}
    return [f"{cid} passes before the change: a test-first change whose claim already holds proves nothing; "
            "nothing was changed" for cid, rec in record.items() if rec["before"] == "passed"]


def after(record: dict[str, dict[str, Any]], seen: dict[str, str]) -> list[str]:
    """Each expected claim's verdict after the change (`seen`: the after check's verdicts of them), and whether
    its expectation held; the reasons the change is rejected: the expected claims that do not pass after it."""
    missed = []
    for cid, rec in record.items():
        rec["after"] = seen.get(cid, NOT_RUN)
        rec["held"] = rec["after"] == "passed"
        if not rec["held"]:
            missed.append(f"{cid} was expected to pass after the change: {rec['after']}")
    return missed


def line(cid: str, rec: dict[str, Any]) -> str:
    """What the terminal says of one expected claim."""
    if rec.get("after") is None:
        held = "already holds: the change was not made" if rec["before"] == "passed" else "not checked after"
        return f"expect {cid}: {rec['before']} before; {held}"
    return (f"expect {cid}: {rec['before']} before, {rec['after']} after: "
            f"{'held' if rec['held'] else 'NOT held'}")
