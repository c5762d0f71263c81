"""The provisioning model: steps that check before they act, each naming the claims it makes true."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labconform.errors import LabUnreachable, WaitTimeout
from labconform.redact import redact, redact_text


def show(text: str, out: Any = None) -> None:
    """Print one line of provisioning's output (stdout unless `out`), redacted: commands, their
    output and the outcomes reach the terminal and reports/provision.log with no credential in them."""
    print(redact_text(text), file=out, flush=True)


class StepFailed(Exception):
    """A step acted and the lab is still not as the step promises."""


@dataclass
class Step:
    """One idempotent provisioning step.

    `check` answers "is the lab already as this step wants it?" with (done, detail);
    `apply` makes it so. A step never acts when its check already holds.
    """

    name: str
    claims: tuple[str, ...]
    check: Callable[[], tuple[bool, str]]
    apply: Callable[[], None]
    # the commands a person would type to do this by hand: shown in the plan
    commands: tuple[str, ...] = ()
    # the part of the lab it belongs to (host, docker, kubernetes): what --only selects
    section: str = ""


@dataclass
class Outcome:
    step: Step
    status: str  # unchanged | changed | would-change | failed
    detail: str
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return redact({
            "step": self.step.name,
            "claims": list(self.step.claims),
            "status": self.status,
            "detail": self.detail,
            "seconds": round(self.seconds, 2),
            "commands": list(self.step.commands),
            "section": self.step.section,
        })


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    def add(self, *steps: Step, section: str = "") -> None:
        for step in steps:
            step.section = step.section or section
        self.steps.extend(steps)

    def only(self, sections: set[str]) -> Plan:
        return Plan([s for s in self.steps if s.section in sections])

    @property
    def sections(self) -> list[str]:
        return list(dict.fromkeys(s.section for s in self.steps))

    def owner_of(self, claim_id: str) -> Step | None:
        return next((s for s in self.steps if claim_id in s.claims), None)

    def run(self, *, check_only: bool, out: Any = None) -> list[Outcome]:
        """Walk the steps in order; stop at the first failure (later steps build on earlier ones)."""
        outcomes: list[Outcome] = []
        for step in self.steps:
            started = time.monotonic()
            try:
                done, detail = step.check()
                if done:
                    outcome = Outcome(step, "unchanged", detail)
                elif check_only:
                    outcome = Outcome(step, "would-change", detail)
                else:
                    show(f"  ... {step.name}: {detail}", out)
                    step.apply()
                    done, detail = step.check()
                    if not done:
                        raise StepFailed(f"still not done after applying: {detail}")
                    outcome = Outcome(step, "changed", detail)
            except (StepFailed, LabUnreachable, WaitTimeout, OSError, RuntimeError) as exc:
                outcome = Outcome(step, "failed", str(exc))
            outcome.seconds = time.monotonic() - started
            outcomes.append(outcome)
            show(format_outcome(outcome), out)
            if outcome.status == "failed":
                break
        return outcomes


def format_outcome(o: Outcome) -> str:
    claims = ",".join(o.step.claims) or "-"
    return redact_text(f"{o.status:>12}  {o.step.name}  [{claims}]  {o.detail}  ({o.seconds:.1f} s)")
