"""What a claim needs done before any claim runs: a steps module declares it, the plugin does it
once the run's claims are selected, and the claim's steps read the outcome (the `prepared` fixture)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ahead:
    """`prepare(target)`, done when any of `claims` (ids as written: "glitch-04") is selected."""

    name: str
    claims: frozenset[str]
    prepare: Callable[[Any], Any]


DECLARED: dict[str, Ahead] = {}


def declare(name: str, claims: Iterable[str], prepare: Callable[[Any], Any]) -> str:
    """Declare a preparation (again: the same name replaces it); returns its name, the key its
    outcome is found under in `prepared`."""
    DECLARED[name] = Ahead(name, frozenset(claims), prepare)
    return name


def prepare(selected: set[str], target: Any) -> dict[str, Any]:
    """Each declared preparation that a selected claim needs: its outcome, or the exception it raised
    (the claim reads the lab again itself, and reports an unreachable lab as every claim does)."""
    done: dict[str, Any] = {}
    for ahead in DECLARED.values():
        if ahead.claims & selected:
            try:
                done[ahead.name] = ahead.prepare(target)
            except Exception as exc:  # noqa: BLE001 - kept for the claim, which says what went wrong
                done[ahead.name] = exc
    return done
