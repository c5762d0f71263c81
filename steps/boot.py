"""Steps about a reboot of the lab host (the document's "Fresh restart") and what must come back after it."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform import boot, sysinfo

REBOOT_HOW = "systemctl reboot; then systemctl show -p UserspaceTimestamp, polled"


@given("the lab host has been rebooted in this run")
def _(lab, evidence):
    r = boot.outcome(lab.rebooted)
    evidence.check(not isinstance(r, Exception), "reboot", expected="systemd boots the lab host again",
                   found=str(r) if isinstance(r, Exception) else {"userspace started before": r["before"].get(
                       "UserspaceTimestamp"), "userspace started after": r["after"].get("UserspaceTimestamp"),
                       "seconds": r["seconds"]}, how=REBOOT_HOW)


@then("systemd has started the host's userspace again since the reboot")
def _(lab, evidence):
    b, a = lab.rebooted()["before"], lab.rebooted()["after"]
    key = "UserspaceTimestampMonotonic"
    evidence.check(int(a.get(key) or 0) > int(b.get(key) or 0) and a.get("state") in ("running", "degraded"),
                   "systemd start", expected="a later start, booted to running",
                   found={"before": b.get("UserspaceTimestamp"), "after": a.get("UserspaceTimestamp"),
                          "state": a.get("state")}, how=a["command"], boot_id=[b.get("boot_id"), a.get("boot_id")])


@then(parsers.parse("within {seconds:d} seconds the clock is synchronised by chrony or timesyncd"))
def _(lab, evidence, seconds):
    c, took = boot.settled(lambda: sysinfo.clock(lab.target), lambda c: c["synchronised"], seconds,
                           "clock synchronised")
    if isinstance(c, Exception):
        raise c
    evidence.check(c["synchronised"], "clock synchronisation", expected="synchronised by chrony or timesyncd",
                   found=f"{c['synchroniser'] or 'no synchroniser running'}: "
                         f"{'synchronised' if c['synchronised'] else 'not synchronised'}",
                   how=f"chronyc tracking or timedatectl, polled for {seconds} s", after_s=took, **c)


@given(parsers.parse('within {seconds:d} seconds deployment "{name}" has all {want:d} replicas available again'))
def _(lab, evidence, seconds, name, want):
    got, took = boot.settled(lambda: boot.replicas_available(lab.kube, name), lambda n: n == want, seconds,
                       f"{name} available")
    evidence.equal(f"available replicas of {name}", expected=want, found=boot.shown(got),
                   how=f"GET deployment default/{name}, polled for {seconds} s", after_s=took)


@given(parsers.parse('within {seconds:d} seconds service "{name}" answers {count:d} requests in a row at its NodePort '
                     'again'))
def _(lab, evidence, seconds, name, count):
    got, took = boot.settled(lambda: boot.node_port_streak(lab.kube, name, "hw-deploy", count), lambda n: n == count,
                       seconds, f"{count} answers in a row from service {name}")
    evidence.equal(f"NodePort of service {name} settled", expected=count, found=boot.shown(got),
                   how=f"{count} x GET the NodePort from the lab host, repeated for up to {seconds} s", after_s=took)


@given(parsers.parse('within {seconds:d} seconds every pod of deployment "{name}" answers at its address on port '
                     '{port:d} again'))
def _(lab, evidence, seconds, name, port):
    got, took = boot.settled(lambda: boot.pod_statuses(lab.kube, name, port), boot.all_ok, seconds,
                       f"the pods of {name} answering")
    evidence.check(boot.all_ok(got), f"pods of {name} settled", expected="HTTP 200 from each", found=boot.shown(got),
                   how=f"GET http://<pod IP>:{port}/ from the lab host, repeated for up to {seconds} s",
                   after_s=took)
