"""Steps about a reboot of the lab host (the document's "Fresh restart") and what must come back after it."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform import boot, sysinfo
from labconform.errors import WaitTimeout


@given("the lab host has been rebooted in this run")
def _(lab, evidence):
    try:
        r = lab.rebooted()
    except WaitTimeout as exc:
        evidence.check(False, "reboot", expected="systemd boots the lab host again", found=str(exc),
                       how="systemctl reboot; then systemctl show -p UserspaceTimestamp, polled")
    evidence.note("reboot", found={"userspace started before": r["before"].get("UserspaceTimestamp"),
                                   "userspace started after": r["after"].get("UserspaceTimestamp"),
                                   "seconds": r["seconds"]}, how=r["how"])


@then("systemd has started the host's userspace again since the reboot")
def _(lab, evidence):
    r = lab.rebooted()
    b, a = r["before"], r["after"]
    key = "UserspaceTimestampMonotonic"
    evidence.check(int(a.get(key) or 0) > int(b.get(key) or 0) and a.get("state") in ("running", "degraded"),
                   "systemd start", expected="a later start, booted to running",
                   found={"before": b.get("UserspaceTimestamp"), "after": a.get("UserspaceTimestamp"),
                          "state": a.get("state")}, how=a["command"], boot_id=[b.get("boot_id"), a.get("boot_id")])


@then(parsers.parse("within {seconds:d} seconds the clock is synchronised by chrony or timesyncd"))
def _(lab, evidence, seconds):
    c = boot.settled(lambda: sysinfo.clock(lab.target), lambda c: c["synchronised"], seconds, "clock synchronised")
    if isinstance(c, Exception):
        raise c
    evidence.check(c["synchronised"], "clock synchronisation", expected="synchronised by chrony or timesyncd",
                   found=f"{c['synchroniser'] or 'no synchroniser running'}: "
                         f"{'synchronised' if c['synchronised'] else 'not synchronised'}",
                   how=f"chronyc tracking or timedatectl, polled for {seconds} s", **c)


@given(parsers.parse('within {seconds:d} seconds deployment "{name}" has all {want:d} replicas available again'))
def _(lab, evidence, seconds, name, want):
    def available() -> int:
        lab.kube.forget_failure()  # the API server is still coming back: not answering yet is not an answer
        d = lab.kube.deployment(name)
        return (d.status.available_replicas or 0) if d else 0

    got = boot.settled(available, lambda n: n == want, seconds, f"{name} available")
    found = str(got) if isinstance(got, Exception) else got
    evidence.equal(f"available replicas of {name}", expected=want, found=found,
                   how=f"GET deployment default/{name}, polled for {seconds} s")


@given(parsers.parse('within {seconds:d} seconds service "{name}" answers {count:d} requests in a row at its NodePort '
                     'again'))
def _(lab, evidence, seconds, name, count):
    def streak() -> int:
        lab.kube.forget_failure()
        sample = lab.kube.sample_node_port(name, "hw-deploy", count)["sample"]
        return len(sample.answers) if not sample.failures else 0

    got = boot.settled(streak, lambda n: n == count, seconds, f"{count} answers in a row from service {name}")
    evidence.equal(f"NodePort of service {name} settled", expected=count, found=str(got) if isinstance(got, Exception)
                   else got, how=f"{count} x GET the NodePort from the lab host, repeated for up to {seconds} s")


@given(parsers.parse('within {seconds:d} seconds every pod of deployment "{name}" answers at its address on port '
                     '{port:d} again'))
def _(lab, evidence, seconds, name, port):
    def answers() -> dict:
        lab.kube.forget_failure()
        return lab.kube.pod_answers(name, port, timeout=5)  # the pods as they are now: a restart moves their IP

    got = boot.settled(answers, lambda a: bool(a) and all(v.get("status") == 200 for v in a.values()), seconds,
                       f"the pods of {name} answering")
    found = str(got) if isinstance(got, Exception) else {pod: a.get("status") for pod, a in got.items()}
    evidence.check(not isinstance(got, Exception) and bool(got) and set(found.values()) == {200},
                   f"pods of {name} settled", expected="HTTP 200 from each", found=found,
                   how=f"GET http://<pod IP>:{port}/ from the lab host, repeated for up to {seconds} s")
