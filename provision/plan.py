"""The plan: every part's steps in the document's order, and the Context each step works with."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from labconform.params import LabParams
from labconform.redact import redact_text
from labconform.transport.target import Target
from provision.core import Plan, StepFailed, show


@dataclass
class Context:
    """What every step works with: the target, what it reads of it, the lab's parameters."""

    target: Target | None
    state: Any  # LiveState or RecordedState
    params: LabParams
    out: Any = field(default=sys.stdout)

    def say(self, message: str) -> None:
        show(f"      {message}", self.out)

    def _live(self) -> Target:
        if self.target is None or self.state.recorded:
            raise StepFailed(f"recorded facts ({self.state.source}) can only be checked, not changed")
        return self.target

    def sh(self, *commands: str, timeout: float = 900, quiet: bool = False) -> None:
        """Run commands on the target in order; the first failure stops the step with its output."""
        t = self._live()
        for command in commands:
            if not quiet:
                self.say(f"$ {command}")
            res = t.run(command, timeout=timeout)
            if not res.ok:
                tail = (res.stdout + res.stderr).strip()[-1500:]
                raise StepFailed(redact_text(f"`{command}` exited {res.rc}: {tail}"))
        self.state.forget()

    def put(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self._live().write_bytes(path, data, mode)
        self.state.forget()


def build_plan(ctx: Context) -> Plan:
    # imported here: each module reads the family from the context when the plan is built
    from provision.docker import engine, tomcat
    from provision.host import clock, repos, software, trust
    from provision.kubernetes import steps as kubernetes

    plan = Plan()
    if ctx.state.facts.family == "debian" and not ctx.state.recorded:
        plan.add(*apt_index_step(ctx), section="host")
    # the document prepares the host (its clock set at install) before Docker
    plan.add(*software.steps(ctx), *clock.steps(ctx), *trust.steps(ctx), section="host")
    plan.add(*repos.docker_steps(ctx), *engine.steps(ctx), *repos.docker_selinux_steps(ctx), section="docker")
    plan.add(*software.registry_steps(ctx), section="docker")
    plan.add(*tomcat.steps(ctx), section="docker")
    plan.add(*repos.kubernetes_steps(ctx), *kubernetes.steps(ctx), section="kubernetes")
    return plan


def apt_index_step(ctx: Context) -> list:
    """apt-get update once, only when some package the plan needs has no candidate yet."""
    from provision.core import Step

    def check() -> tuple[bool, str]:
        res = ctx.target.run("apt-cache policy docker.io | grep -q 'Candidate: [0-9]'")
        return res.ok, "package lists present" if res.ok else "package lists empty"

    return [Step("apt package lists", (), check, lambda: ctx.sh("apt-get update -q", quiet=False), ("apt-get update",))]
