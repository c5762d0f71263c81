"""What claims need prepared before their turn, declared in one way for every case: a steps module
names a session fixture that prepares it and the step texts that need it; the plugin sets that
fixture up at the first selected claim with such a step (or, `first=True`, at the run's first claim),
and the fixture's value is what the steps read. The fixture's own clean-up runs at the run's end, in
pytest's order (before the fixtures it uses, the lab's among them).

A fixture can read the arguments of every selected claim's matching steps (`ahead_steps`), so that
one preparation serves all of them: every container the claims start, started side by side. A preparation
may also be set up `together_with` another one, when that one is due, so that what boots slowly boots in
one wave (a new pod's Tomcat beside the containers' Tomcats)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pytest_bdd.parsers import StepParser

T = TypeVar("T")


@dataclass(frozen=True)
class Ahead:
    """The session fixture `fixture`, set up ahead for the claims with a step that one of `steps`
    matches (a step text, or a pytest-bdd parser: the same object the step is defined with)."""

    fixture: str
    steps: tuple[str | StepParser, ...]
    first: bool = False
    together_with: str = ""


DECLARED: dict[str, Ahead] = {}


def declare(fixture: str, *steps: str | StepParser, first: bool = False, together_with: str = "") -> str:
    """Declare a preparation (again: the same fixture name replaces it); returns the fixture's name."""
    DECLARED[fixture] = Ahead(fixture, steps, first, together_with)
    return fixture


def outcome(prepare: Callable[[], T]) -> T | Exception:
    """What a preparation made, or the exception it raised: a fixture set up ahead does not raise (an
    error in a claim's setup would be its verdict); the step that reads it does, in its claim's turn."""
    try:
        return prepare()
    except Exception as exc:  # noqa: BLE001 - raised again by value() in each claim that reads it
        return exc


def value(made: T | Exception) -> T:
    """A preparation's outcome, or the exception it kept raised in the claim that reads it."""
    if isinstance(made, Exception):
        raise made
    return made


def step_arguments(pattern: str | StepParser, text: str) -> dict[str, Any] | None:
    """The arguments a step text gives `pattern` ({} for a plain text), or None when it does not match."""
    if isinstance(pattern, str):
        return {} if pattern == text else None
    return pattern.parse_arguments(text) if pattern.is_matching(text) else None


@dataclass
class Plan:
    """For one run's selected claims: which preparations each claim needs, and the step arguments
    of every claim that needs one."""

    needed_by: dict[str, list[str]] = field(default_factory=dict)  # fixture -> node ids, in run order
    arguments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # fixture -> matching steps' args
    first: set[str] = field(default_factory=set)  # fixtures set up at the run's first claim
    together: dict[str, str] = field(default_factory=dict)  # fixture -> the one it is set up with
    done: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, claims: Iterable[tuple[str, Iterable[str]]]) -> Plan:
        """`claims`: (node id, its step texts with an Outline row's values filled in), in run order."""
        plan = cls()
        for nodeid, texts in claims:
            for ahead in DECLARED.values():
                found = [a for t in texts for p in ahead.steps if (a := step_arguments(p, t)) is not None]
                if found:
                    plan.needed_by.setdefault(ahead.fixture, []).append(nodeid)
                    plan.arguments.setdefault(ahead.fixture, []).extend(found)
                    if ahead.first:
                        plan.first.add(ahead.fixture)
                    if ahead.together_with:
                        plan.together[ahead.fixture] = ahead.together_with
        return plan

    def due(self, nodeid: str) -> list[str]:
        """The fixtures to set up before this claim runs: those it needs, the `first` ones that any
        selected claim needs, and those set up together with one of these; each once per run."""
        due = [f for f, ids in self.needed_by.items()
               if f not in self.done and (nodeid in ids or f in self.first)]
        due += [f for f, other in self.together.items() if other in due and f not in due and f not in self.done]
        self.done.update(due)
        return due
