"""The provisioning model: steps that check before they act, each naming the claims it makes true."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform.errors import LabUnreachable, WaitTimeout
from labconform.poll import until
from labconform.redact import redact, redact_text

FILES = Path(__file__).parent / "files"  # what the steps put on the lab host
LIBEXEC = "/usr/local/libexec/labconform"  # where the scripts among them go
DEBIAN_MIRROR = "http://deb.debian.org/debian"


def image_labels(img: dict[str, Any] | None) -> dict[str, str]:
    """The labels of an image as `docker image inspect` gives it; none for an absent image."""
    return ((img or {}).get("Config") or {}).get("Labels") or {}


def recipe(script: str) -> str:
    """What names a build made by FILES/script: the first 16 hex digits of the script's SHA-256."""
    return hashlib.sha256((FILES / script).read_bytes()).hexdigest()[:16]


# files on the lab host, through a step's context (provision.Context, or a stand-in with `state.raw` and `put`)
def differing(ctx: Any, files: dict[str, bytes]) -> list[str]:
    """The paths of `files` that are missing on the lab host or hold other bytes."""
    return [path for path, data in files.items() if ctx.state.raw(path) != data]


def put_differing(ctx: Any, files: dict[str, bytes]) -> None:
    for path in differing(ctx, files):
        ctx.put(path, files[path])


def put_script(ctx: Any, script: str, path: str = "") -> str:
    """FILES/script put on the lab host, executable, at `path` (default LIBEXEC/script); its path."""
    path = path or f"{LIBEXEC}/{script}"
    ctx.put(path, (FILES / script).read_bytes(), 0o755)
    return path


def show(text: str, out: Any = None) -> None:
    """Print one line of provisioning's output (stdout unless `out`), redacted: commands, their
    output and the outcomes reach the terminal and reports/provision.log with no credential in them."""
    print(redact_text(text), file=out, flush=True)


class StepFailed(Exception):
    """A step acted and the lab is still not as the step promises."""


def wait_or_fail(ok: Callable[[], Any], timeout: float, interval: float, what: str,
                 why: Callable[[str], str] = str) -> None:
    """Wait until `ok()` holds (labconform.poll.until); when it does not in time, the step fails with
    why(the wait's message)."""
    try:
        until(ok, timeout=timeout, interval=interval, what=what)
    except WaitTimeout as exc:
        raise StepFailed(why(str(exc))) from None


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


def file_step(ctx: Any, name: str, claims: tuple[str, ...], path: str, text: str, fine: str,
              commands: tuple[str, ...]) -> Step:
    """A step that writes `text` to `path`, done when the file holds it (`fine` says so)."""

    def check() -> tuple[bool, str]:
        ok = ctx.state.text(path) == text
        return ok, fine if ok else f"{path} missing or different"

    return Step(name, claims, check, lambda: ctx.put(path, text.encode()), commands)


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
