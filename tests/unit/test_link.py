"""The link claims against a real veth pair made for the test: a link that runs at the wrong speed,
an interface that is down, and drops that grow while the claims run all fail them."""

from __future__ import annotations

from labconform.link import interfaces as link
from labconform.transport.target import Target


def test_growth_is_counted_per_interface_and_counter() -> None:
    snap = link.read(Target("local"))
    before = link.Snapshot(snap.taken, snap.default, {"eth9": link.Interface("eth9", stats={"rx_crc_errors": 4,
                                                                                            "rx_packets": 10})})
    after = link.Snapshot(snap.taken + 1, snap.default, {"eth9": link.Interface("eth9", stats={
        "rx_crc_errors": 9, "rx_packets": 900})})
    assert link.counter_growth(before, after, ["eth9"]) == {"eth9": {"rx_crc_errors": 5}}
    assert link.counter_growth(before, before, ["eth9"]) == {}


def test_a_bridge_dropping_what_it_cannot_deliver_is_shown_not_judged() -> None:
    def bridge(**stats: int) -> link.Snapshot:
        return link.Snapshot(0, [], {"docker0": link.Interface("docker0", bridge_ports=0, stats=stats)})

    before, after = bridge(tx_dropped=2, rx_errors=0), bridge(tx_dropped=9, rx_errors=1)
    assert link.counter_growth(before, after, ["docker0"]) == {"docker0": {"rx_errors": 1}}
    assert link.counter_growth(before, after, ["docker0"], judged_only=False) == {
        "docker0": {"tx_dropped": 7, "rx_errors": 1}}


def test_a_bridge_is_judged_by_its_ports() -> None:
    starting = link.Interface("docker0", operstate="down", flags=0x1003, bridge_ports=1, bridge_ports_up=0)
    broken = link.Interface("docker0", operstate="down", flags=0x1003, bridge_ports=1, bridge_ports_up=1)
    disabled = link.Interface("docker0", operstate="down", flags=0x1002, bridge_ports=0)
    assert starting.carries_what_it_should and not broken.carries_what_it_should
    assert not disabled.carries_what_it_should


