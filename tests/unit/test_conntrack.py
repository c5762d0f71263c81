"""labconform.kube.conntrack without a lab: which entries are stale, and how the wait for them ends."""

from __future__ import annotations

from labconform.kube import conntrack
from labconform.transport.target import Result, Target

GONE = ("tcp      6 50 SYN_SENT src=172.30.0.10 dst=172.30.0.10 sport=52466 dport=32712 [UNREPLIED] "
        "src=10.244.0.71 dst=10.244.0.1 sport=8080 dport=50285 mark=0 use=1")
ALIVE = ("tcp      6 44 SYN_SENT src=172.30.0.10 dst=172.30.0.10 sport=59552 dport=32712 [UNREPLIED] "
         "src=10.244.0.73 dst=10.244.0.1 sport=8080 dport=62804 mark=0 use=1")


class Scripted(Target):
    """A lab host whose `conntrack -L` answers come from a list, one per call; sysctl says 0 s."""

    def __init__(self, tables: list[tuple[int, str]]) -> None:
        super().__init__("local")
        self.tables, self.commands = tables, []

    def run(self, command, *args, timeout=60):  # noqa: ANN001
        self.commands.append(command % args)
        if command.startswith("sysctl"):
            return Result(command, 0, "0\n", "")
        rc, out = self.tables.pop(0) if len(self.tables) > 1 else self.tables[0]
        return Result(command, rc, out, "" if rc == 0 else "conntrack: command not found")


def test_only_entries_sent_to_an_address_that_is_not_a_pod_are_stale():
    assert conntrack.stale_entries(f"{GONE}\n{ALIVE}\n", {"10.244.0.73"}) == ["52466 -> 10.244.0.71"]
    assert conntrack.stale_entries(f"{GONE}\n", {"10.244.0.71"}) == []
    assert conntrack.stale_entries("conntrack v1.4.7 (conntrack-tools): 0 flow entries\n", set()) == []


def test_the_wait_ends_when_the_stale_entries_are_gone_and_says_what_it_waited_for():
    said: list[str] = []
    t = Scripted([(0, GONE), (0, ALIVE)])
    s = conntrack.await_stale_gone(t, "172.30.0.10", 32712, {"10.244.0.73"}, said.append)
    assert s.stale == ["52466 -> 10.244.0.71"] and s.left == [] and s.waited_s > 0
    assert len(said) == 1 and "kubernetes#101607" in said[0] and "172.30.0.10:32712" in said[0]
    assert "--orig-dst 172.30.0.10 --dport 32712" in t.commands[-1]


def test_the_wait_is_bounded_by_the_labs_own_timeout_and_says_what_was_left():
    s = conntrack.await_stale_gone(Scripted([(0, GONE)]), "172.30.0.10", 32712, {"10.244.0.73"})
    assert s.left == ["52466 -> 10.244.0.71"] and s.evidence()["left after the wait"] == s.left


def test_a_table_that_cannot_be_read_is_said_not_waited_on():
    s = conntrack.await_stale_gone(Scripted([(127, "")]), "172.30.0.10", 32712, set())
    assert s.waited_s == 0 and "command not found" in s.evidence()["error"]


RULES = """\
-A KUBE-SEP-JWF4UOF4KBZGGIVX -p tcp -m comment --comment "default/hw" -m tcp -j DNAT --to-destination 10.244.0.84:8080
-A KUBE-SEP-R6TMZPJPFEUTLZVN -p tcp -m comment --comment "default/hw" -m tcp -j DNAT --to-destination 10.244.0.83:8080
-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment "default/hwx" -m tcp -j DNAT --to-destination 10.244.0.9:80
-A KUBE-SEP-BBBB -p tcp -m comment --comment "default/hw:http" -m tcp -j DNAT --to-destination 10.244.0.85:80
-A KUBE-SEP-VYSJ -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 1.2.3.4:6443
"""


def test_the_pods_a_services_nat_rules_send_to_are_read_from_kube_proxys_comments():
    assert conntrack.nat_destinations(RULES, "default/hw") == {"10.244.0.83", "10.244.0.84", "10.244.0.85"}
    assert conntrack.nat_destinations(RULES, "default/gone") == set()


class Rules(Target):
    def __init__(self, rc: int, out: str) -> None:
        super().__init__("local")
        self.rc, self.out = rc, out

    def run(self, command, *args, timeout=60):  # noqa: ANN001
        return Result(command, self.rc, self.out, "")


def test_rules_that_still_name_an_old_pod_are_not_current_and_unreadable_ones_say_nothing():
    alive = {"10.244.0.83", "10.244.0.84", "10.244.0.85"}
    assert conntrack.proxy_current(Rules(0, RULES), "default/hw", alive)
    assert not conntrack.proxy_current(Rules(0, RULES), "default/hw", {"10.244.0.83", "10.244.0.90"})
    assert conntrack.proxy_current(Rules(1, ""), "default/hw", {"10.244.0.90"})
