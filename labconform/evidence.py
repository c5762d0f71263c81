"""Evidence: what each Then step asked, expected and found, kept as data for the report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import pytest

from labconform.errors import ClaimFailed
from labconform.judged import Judged, Seen
from labconform.redact import redact_text

# long outputs are folded in the report, never cut silently: this only caps pathological sizes
MAX_TEXT = 64 * 1024


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + f"\n[... {len(value) - MAX_TEXT} more characters not kept]"
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clip(v) for v in value]
    return value


@dataclass
class Observation(Seen):
    """One thing a claim's steps saw, as the report keeps it; ok None: recorded for information, not judged."""

    details: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # how the report draws a detail (observation.KINDS)

    def as_dict(self) -> dict[str, Any]:
        return _clip(
            {
                "what": self.what,
                "expected": self.expected,
                "found": self.found,
                "how": self.how,
                "ok": self.ok,
                **({"details": self.details} if self.details else {}),
                **({"kinds": self.kinds} if self.kinds else {}),
            }
        )


class Evidence:
    """The observations of one claim, in the order its steps made them."""

    def __init__(self, target_name: str = "local") -> None:
        self.target_name = target_name
        self.observations: list[Observation] = []
        self.not_applicable_reason: str | None = None

    def check(self, ok: bool, what: str, *, expected: Any, found: Any, how: str, **details: Any) -> None:
        """Record an observation; fail the claim with target, expected and found when it does not hold."""
        self._checked(Observation(bool(ok), what, expected, found, how, details))

    def _checked(self, ob: Observation) -> None:
        self.observations.append(ob)
        if not ob.ok:  # the message reaches pytest's FAILURES section and the CI log: redacted, as the reports are
            message = f"[{self.target_name}] {ob.what}: expected {ob.expected!r}, found {ob.found!r} ({ob.how})"
            raise ClaimFailed(redact_text(message))

    def equal(self, what: str, *, expected: Any, found: Any, how: str, **details: Any) -> None:
        self.check(expected == found, what, expected=expected, found=found, how=how, **details)

    def note(self, what: str, found: Any, how: str, **details: Any) -> None:
        """Record something the reader needs (a sample, a command's output) without judging it."""
        self.observations.append(Observation(None, what, None, found, how, details))

    def not_applicable(self, reason: str, **found: Any) -> None:
        """End the claim as not applicable, with the reason (and what was seen that gives it)."""
        self.not_applicable_reason = reason
        self.observations.append(Observation(None, "applicability", "applicable", reason, "host facts", found))
        pytest.skip(reason)

    def judged(self, j: Judged) -> None:
        """Record what a judging function of the library handed back: not applicable with its reason (and what
        was seen that gives it), else checked."""
        self.applicable(j)
        self._checked(Observation(bool(j.ok), j.what, j.expected, j.found, j.how, j.details, j.kinds))

    def applicable(self, j: Judged) -> None:
        """A precondition a judging function of the library weighed: end the claim as not applicable when it
        says so (with what was seen that gives it); else record nothing."""
        if j.not_applicable:
            self.not_applicable(j.not_applicable, **j.details)

    def as_list(self) -> list[dict[str, Any]]:
        return [o.as_dict() for o in self.observations]


def summary(samples: list[float]) -> dict[str, float]:
    """Median and max (and the rest a reader wants) of timing samples."""
    return {
        "n": len(samples),
        "median": round(statistics.median(samples), 3),
        "max": round(max(samples), 3),
        "min": round(min(samples), 3),
    }
