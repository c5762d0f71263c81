"""A reboot of the lab host (the document's `reboot`), observed from systemd itself: when userspace started
before and after, and the state it reached. In a container node the kernel is the lab host's, so its
boot_id does not change: systemd's own start time is what names the reboot. The judging functions say whether
the reboot happened and what settled after it, for the steps to record."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from labconform.errors import ClaimFailed, LabUnreachable, WaitTimeout
from labconform.host import hostsoftware, sysinfo
from labconform.judged import Judged
from labconform.kube import conntrack
from labconform.poll import until
from labconform.transport.target import Target

T = TypeVar("T")

_START = ("systemctl show -p UserspaceTimestamp -p UserspaceTimestampMonotonic; "
          "echo boot_id=$(cat /proc/sys/kernel/random/boot_id); echo state=$(systemctl is-system-running)")


def systemd_start(target: Target) -> dict[str, str]:
    """When systemd started userspace (wall clock and monotonic), the kernel's boot id, the system's state."""
    res = target.run(_START, timeout=20)
    found = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    found["command"] = res.command
    return found


REBOOT_TIMEOUT_S = 180


def reboot(target: Target, timeout: float = REBOOT_TIMEOUT_S) -> dict[str, Any]:
    """Ask systemd to reboot the lab host, reach it again and wait (bounded) until a new userspace has booted
    to running (or degraded). Returns before, after and the seconds taken; WaitTimeout when it does not
    come back in time."""
    before = systemd_start(target)
    if not before.get("UserspaceTimestampMonotonic", "").isdigit():
        raise LabUnreachable(f"{target.name}: systemd's start time cannot be read, so no reboot could be seen "
                             f"({before['command']})")
    asked = time.monotonic()
    try:
        res = target.run("systemctl reboot", timeout=20)
    except LabUnreachable:
        res = None  # the connection may drop before the answer comes back
    if res is not None and not res.ok:
        raise ClaimFailed(f"[{target.name}] systemctl reboot exited {res.rc}: {res.stderr.strip()[-300:]}")

    def after() -> dict[str, str]:
        try:
            target.reconnect(timeout=5)  # a new link each time: the old one may be half-dead, its tunnels too
            return systemd_start(target)
        except LabUnreachable as exc:  # not yet: the host is still going down or coming up
            raise RuntimeError(str(exc)) from None

    def booted(now: dict[str, str]) -> bool:
        new = now.get("UserspaceTimestampMonotonic") != before.get("UserspaceTimestampMonotonic")
        return new and now.get("state") in ("running", "degraded")

    now = until(after, booted, timeout=timeout, interval=1, what="the lab host booted again")
    return {"before": before, "after": now, "seconds": round(time.monotonic() - asked, 1),
            "how": "systemctl reboot; then systemctl show -p UserspaceTimestamp; systemctl is-system-running"}


def settled(observe: Callable[[], T], ok: Callable[[T], bool], seconds: float,
            what: str) -> tuple[T | Exception, float]:
    """After a reboot, services come back one by one: poll `observe` until `ok`, counting an API server or
    connection that does not answer yet as "not yet"; the last observation is returned either way, with the
    seconds the wait took."""
    start = time.monotonic()
    got = _settle(observe, ok, seconds, what)
    return got, round(time.monotonic() - start, 1)


def _settle(observe: Callable[[], T], ok: Callable[[T], bool], seconds: float, what: str) -> T | Exception:

    def look() -> T | Exception:
        try:
            return observe()
        except LabUnreachable as exc:
            return exc

    try:
        return until(look, lambda v: not isinstance(v, Exception) and ok(v), timeout=seconds, interval=1, what=what)
    except WaitTimeout as exc:
        return exc.last  # type: ignore[return-value]


def outcome(observe: Callable[[], T]) -> T | Exception:
    """What `observe` gave, or the WaitTimeout it ended with: a claim records either."""
    try:
        return observe()
    except WaitTimeout as exc:
        return exc


def shown(got: Any) -> Any:
    """An observation as evidence shows it: a wait that ended without one is its message."""
    return str(got) if isinstance(got, Exception) else got


# --- what comes back after a reboot, each read as it is now: the API server may still be starting ---------


def replicas_available(kube: Any, name: str) -> int:
    kube.forget_failure()  # the API server is still coming back: not answering yet is not an answer
    d = kube.deployment(name)
    return (d.status.available_replicas or 0) if d else 0


def node_port_streak(kube: Any, service: str, deployment: str, count: int) -> int:
    """How many of `count` requests through the NodePort were answered, or 0 when one was not. No request
    is sent while kube-proxy's rules still send the Service to the pods' old addresses: each one would
    leave a connection entry that sends later connections there for two minutes (labconform.kube.conntrack).
    Entries left by others are not waited for here: the claim's own sample afterwards waits them out."""
    kube.forget_failure()
    alive = {p.status.pod_ip for p in kube.deployment_pods(deployment) if p.status.pod_ip}
    if not alive or not conntrack.proxy_current(kube.target, f"default/{service}", alive):
        return 0
    sample = kube.sample_node_port(service, deployment, count, settle=False).sample
    return len(sample.answers) if not sample.failures else 0


def pod_statuses(kube: Any, deployment: str, port: int) -> dict[str, Any]:
    """The HTTP status each ready pod answers at its address now (a restart moves the address). An answer that
    names another host is not the pod's: until the lab host's pod bridge is back, its address may be routed on
    (on the lab node, to the host's own cluster on the same 10.244.0.0/24), and another pod answers there."""
    kube.forget_failure()
    return {pod: own_status(pod, a) for pod, a in kube.pod_answers(deployment, port, timeout=5).items()}


def own_status(pod: str, answer: dict[str, Any]) -> Any:
    """The status of `pod`'s answer, or what answered in its place (a greeting naming someone else)."""
    body = str(answer.get("body") or "").strip()
    if answer.get("status") == 200 and not body.endswith(pod):
        return f"200 from another host: {body[:80]!r}"
    return answer.get("status")


def all_ok(statuses: Any) -> bool:
    return isinstance(statuses, dict) and bool(statuses) and set(statuses.values()) == {200}


# --- judged, for the steps to record -------------------------------------------------------------------------

REBOOT_HOW = "systemctl reboot; then systemctl show -p UserspaceTimestamp, polled"


def judged_reboot(rebooted: Callable[[], dict[str, Any]]) -> Judged:
    """The run's reboot (`rebooted`, the lab's one): systemd booted the lab host again, or the wait for it ended
    (its message is what was found)."""
    r = outcome(rebooted)
    found = str(r) if isinstance(r, Exception) else {
        "userspace started before": r["before"].get("UserspaceTimestamp"),
        "userspace started after": r["after"].get("UserspaceTimestamp"), "seconds": r["seconds"]}
    return Judged(not isinstance(r, Exception), "reboot", "systemd boots the lab host again", found, REBOOT_HOW)


def judged_restarted(r: dict[str, Any]) -> Judged:
    """After the reboot `r`, systemd started userspace later than before it, and booted to running (or
    degraded)."""
    b, a = r["before"], r["after"]
    key = "UserspaceTimestampMonotonic"
    return Judged(int(a.get(key) or 0) > int(b.get(key) or 0) and a.get("state") in ("running", "degraded"),
                  "systemd start", "a later start, booted to running",
                  {"before": b.get("UserspaceTimestamp"), "after": a.get("UserspaceTimestamp"),
                   "state": a.get("state")}, a["command"], details={"boot_id": [b.get("boot_id"), a.get("boot_id")]})


def judged_clock_settled(t: Target, seconds: float) -> Judged:
    """Within `seconds`, the clock synchronised by chrony or timesyncd; a lab that stops answering is raised."""
    c, took = settled(lambda: sysinfo.clock(t), lambda c: c["synchronised"], seconds, "clock synchronised")
    if isinstance(c, Exception):
        raise c
    return hostsoftware.clock_judged(c, f"chronyc tracking or timedatectl, polled for {seconds} s",
                                     {"after_s": took, **c})


def judged_settled(observe: Callable[[], T], ok: Callable[[T], bool], seconds: float, waited_for: str, *,
                   what: str, expected: Any, how: str) -> Judged:
    """`observe` polled for up to `seconds` until `ok` (settled); the last observation judged, with the wait."""
    got, took = settled(observe, ok, seconds, waited_for)
    return Judged(not isinstance(got, Exception) and ok(got), what, expected, shown(got), how,
                  details={"after_s": took})


def judged_replicas(kube: Any, name: str, want: int, seconds: float) -> Judged:
    return judged_settled(lambda: replicas_available(kube, name), lambda n: n == want, seconds, f"{name} available",
                          what=f"available replicas of {name}", expected=want,
                          how=f"GET deployment default/{name}, polled for {seconds} s")


def judged_node_port(kube: Any, service: str, deployment: str, count: int, seconds: float) -> Judged:
    return judged_settled(lambda: node_port_streak(kube, service, deployment, count), lambda n: n == count, seconds,
                          f"{count} answers in a row from service {service}",
                          what=f"NodePort of service {service} settled", expected=count,
                          how=f"{count} x GET the NodePort from the lab host, repeated for up to {seconds} s")


def judged_pods(kube: Any, deployment: str, port: int, seconds: float) -> Judged:
    return judged_settled(lambda: pod_statuses(kube, deployment, port), all_ok, seconds,
                          f"the pods of {deployment} answering", what=f"pods of {deployment} settled",
                          expected="HTTP 200 from each, its greeting naming the pod itself",
                          how=f"GET http://<pod IP>:{port}/ from the lab host, repeated for up to {seconds} s")
