"""The Java processes on the lab host, so that a Tomcat start is timed alone (rand-01, rand-02): never
while another JVM starts beside it (another run's container, a pod restarting, the lab's own churn)."""

from __future__ import annotations

from typing import Any

from labconform.errors import WaitTimeout
from labconform.poll import until
from labconform.transport.target import Target

# a JVM younger than this is still starting: Tomcat's own start takes 1 to 4 s on the labs' 2 cores, and
# the JIT compiles hardest in the seconds after it (a test's first requests, Jasper compiling its JSP)
STARTING_S = 30
WAIT_S = 120
# at least one of the labs' 2 cores free before a start is timed
IDLE_SHARE = 0.5
# over how long that share is read: 0.5 s is 100 ticks of the 2 cores' /proc/stat counters (USER_HZ 100)
IDLE_WINDOW_S = 0.5


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


def cpu_idle(t: Target, window_s: float = IDLE_WINDOW_S) -> float:
    """The share of the lab host's CPU time that was idle over `window_s` (/proc/stat, read twice; in a
    container the machine's own counters)."""
    res = t.run("head -1 /proc/stat; sleep %s; head -1 /proc/stat", str(window_s))
    rows = [[int(v) for v in line.split()[1:]] for line in res.stdout.splitlines() if line.startswith("cpu ")]
    if len(rows) != 2:
        raise RuntimeError(f"/proc/stat unreadable on the lab host: {res.stderr.strip()[-200:]}")
    delta = [b - a for a, b in zip(rows[0], rows[1], strict=False)]
    total = sum(delta[:8])  # user nice system idle iowait irq softirq steal (guest time is inside user)
    return round((delta[3] + delta[4]) / total, 2) if total > 0 else 1.0


def await_quiet(t: Target, timeout: float = WAIT_S) -> dict[str, Any]:
    """Wait (bounded) until no JVM on the host is younger than STARTING_S and at least IDLE_SHARE of its CPU is
    idle: a start timed on a saturated host measures the contention, not Tomcat. What was waited for."""
    seen: list[dict[str, Any]] = []
    idle: list[float] = []

    def look() -> bool:
        young = young_jvms(t, STARTING_S)
        seen.extend(j for j in young if j["pid"] not in {s["pid"] for s in seen})
        if young:
            return False
        idle.append(cpu_idle(t))
        return idle[-1] >= IDLE_SHARE

    try:
        until(look, timeout=timeout, interval=1, what="no JVM starting on the lab host and its CPU not saturated")
    except WaitTimeout:
        raise RuntimeError(f"for {timeout:g} s another JVM kept starting on the lab host (last seen: "
                           f"{young_jvms(t, STARTING_S)}) or its CPU stayed busy (idle shares {idle[-5:]}): a "
                           "Tomcat start is not timed beside another JVM's or on a saturated host") from None
    return {"JVMs starting": seen or "none", "CPU idle share before the start": idle[-1] if idle else None,
            "CPU idle shares seen while waiting": idle[:-1][-10:] or "none"}
