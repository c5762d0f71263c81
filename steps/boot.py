"""Steps about a reboot of the lab host (the document's "Fresh restart") and what must come back after it."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.host import boot
from steps import judged

judged(given, "the lab host has been rebooted in this run", lambda lab: boot.judged_reboot(lab.rebooted))
judged(then, "systemd has started the host's userspace again since the reboot",
       lambda lab: boot.judged_restarted(lab.rebooted()))
judged(then, parsers.parse("within {seconds:d} seconds the clock is synchronised by chrony or timesyncd"),
       lambda lab, seconds: boot.judged_clock_settled(lab.target, seconds))
judged(given, parsers.parse('within {seconds:d} seconds deployment "{name}" has all {want:d} replicas available again'),
       lambda lab, seconds, name, want: boot.judged_replicas(lab.kube, name, want, seconds))
judged(given, parsers.parse('within {seconds:d} seconds service "{name}" of deployment "{deploy}" answers {count:d} '
                            'requests in a row at its NodePort again'),
       lambda lab, seconds, name, deploy, count: boot.judged_node_port(lab.kube, name, deploy, count, seconds))
judged(given, parsers.parse('within {seconds:d} seconds every pod of deployment "{name}" answers at its address on '
                            'port {port:d} again'),
       lambda lab, seconds, name, port: boot.judged_pods(lab.kube, name, port, seconds))
