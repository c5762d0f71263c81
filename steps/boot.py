"""Steps about a reboot of the lab host (the document's "Fresh restart") and what must come back after it."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.host import boot


@given("the lab host has been rebooted in this run")
def _(lab, evidence):
    evidence.judged(boot.judged_reboot(lab.rebooted))


@then("systemd has started the host's userspace again since the reboot")
def _(lab, evidence):
    evidence.judged(boot.judged_restarted(lab.rebooted()))


@then(parsers.parse("within {seconds:d} seconds the clock is synchronised by chrony or timesyncd"))
def _(lab, evidence, seconds):
    evidence.judged(boot.judged_clock_settled(lab.target, seconds))


@given(parsers.parse('within {seconds:d} seconds deployment "{name}" has all {want:d} replicas available again'))
def _(lab, evidence, seconds, name, want):
    evidence.judged(boot.judged_replicas(lab.kube, name, want, seconds))


@given(parsers.parse('within {seconds:d} seconds service "{name}" answers {count:d} requests in a row at its NodePort '
                     'again'))
def _(lab, evidence, seconds, name, count):
    evidence.judged(boot.judged_node_port(lab.kube, name, "hw-deploy", count, seconds))


@given(parsers.parse('within {seconds:d} seconds every pod of deployment "{name}" answers at its address on port '
                     '{port:d} again'))
def _(lab, evidence, seconds, name, port):
    evidence.judged(boot.judged_pods(lab.kube, name, port, seconds))
