"""A step written as a row (`steps.judged`, `steps.precondition`): pytest-bdd sees the judge's parameters as the
step's own, and the step records what the judge hands back."""

from __future__ import annotations

import inspect

import pytest

from labconform.errors import ClaimFailed
from labconform.evidence import Evidence
from labconform.judged import Judged
from steps import judged, precondition


def kind(defined: dict):
    """A stand-in for pytest-bdd's given/when/then that keeps the step it is handed."""
    def decorator(text, stacklevel):
        assert stacklevel == 3

        def register(func):
            defined[text] = func
            return func
        return register
    return decorator


def held(what: str, ok: bool = True, not_applicable: str = "") -> Judged:
    return Judged(ok, what, "x", "x" if ok else "y", "test", not_applicable)


def test_a_row_takes_the_judges_parameters_and_records_its_judgement() -> None:
    defined: dict = {}
    judged(kind(defined), 'the thing "{name}" holds', lambda lab, name: held(f"{lab} {name}"))
    step = defined['the thing "{name}" holds']
    assert list(inspect.signature(step).parameters) == ["evidence", "lab", "name"]
    ev = Evidence()
    step(evidence=ev, lab="lab1", name="a")
    assert [o.what for o in ev.observations] == ["lab1 a"] and ev.observations[0].ok


def test_a_row_records_each_of_several_judgements_and_fails_on_the_first_that_does_not_hold() -> None:
    defined: dict = {}
    judged(kind(defined), "all hold", lambda lab: [held("one"), held("two", ok=False), held("three")])
    ev = Evidence()
    with pytest.raises(ClaimFailed, match="two"):
        defined["all hold"](evidence=ev, lab=None)
    assert [o.what for o in ev.observations] == ["one", "two"]


def test_a_precondition_row_ends_the_claim_as_not_applicable_or_records_nothing() -> None:
    defined: dict = {}
    precondition(kind(defined), "applies", lambda lab: held("init"))
    precondition(kind(defined), "does not apply", lambda lab: held("init", ok=False, not_applicable="no systemd"))
    ev = Evidence()
    defined["applies"](evidence=ev, lab=None)
    assert ev.observations == []
    with pytest.raises(pytest.skip.Exception, match="no systemd"):
        defined["does not apply"](evidence=ev, lab=None)
    assert ev.not_applicable_reason == "no systemd"
