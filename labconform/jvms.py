"""The Java processes on the lab host, so that a Tomcat start is timed alone (rand-01, rand-02): never
while another JVM starts beside it (another run's container, a pod restarting, the lab's own churn)."""

from __future__ import annotations

from typing import Any

from labconform.errors import WaitTimeout
from labconform.poll import until
from labconform.target import Target

# a JVM younger than this is still starting: Tomcat's own start takes 1 to 4 s on the labs' 2 cores, and
# the JIT compiles hardest in the seconds after it (a test's first requests, Jasper compiling its JSP)
STARTING_S = 30
WAIT_S = 120


def young_jvms(t: Target, younger_than: float, besides: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """The java processes on the host (in its containers too) started under `younger_than` seconds ago."""
    res = t.run("ps -eo pid=,etimes=,args=")
    out = []
    for line in res.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
            continue
        if parts[2].split()[0].rsplit("/", 1)[-1] != "java":
            continue
        pid, age = int(parts[0]), int(parts[1])
        if age < younger_than and pid not in besides:
            out.append({"pid": pid, "age_s": age, "command": parts[2][:200]})
    return out


def await_quiet(t: Target, timeout: float = WAIT_S) -> list[dict[str, Any]]:
    """Wait (bounded) until no JVM on the host is younger than STARTING_S; the ones waited for."""
    seen: list[dict[str, Any]] = []

    def look() -> list[dict[str, Any]]:
        young = young_jvms(t, STARTING_S)
        seen.extend(j for j in young if j["pid"] not in {s["pid"] for s in seen})
        return young

    try:
        until(look, lambda young: not young, timeout=timeout, interval=1, what="no JVM starting on the lab host")
    except WaitTimeout as exc:
        raise RuntimeError(f"another JVM kept starting on the lab host for {timeout:g} s (last seen: {exc.last}): "
                           "a Tomcat start is not timed beside another JVM's") from None
    return seen
