"""Steps about the lab's network link: interfaces up, speed and duplex, counters, bridge throughput."""

from __future__ import annotations

import pytest
from pytest_bdd import given, then, when

from labconform.link import interfaces as link
from labconform.run import preparation
from steps import judged

BASELINE = "the link counters as the run found them"
# "during the run" starts at the run's first claim, not when the counter claim's turn comes
preparation.declare("link_counters", BASELINE, first=True)


@pytest.fixture(scope="session")
def link_counters(lab) -> link.Snapshot | Exception:
    """The lab's link counters before the run's first claim ran."""
    return preparation.outcome(lambda: link.read(lab.target))


@given(BASELINE, target_fixture="link_baseline")
def _(lab, link_counters):
    """The snapshot taken before the claims ran; read now if it could not be then."""
    return link_counters if isinstance(link_counters, link.Snapshot) else link.read(lab.target)


judged(then, "every interface that carries the lab's traffic is up",
       lambda lab: link.judged_up(link.read(lab.target), lab.params.lab_interfaces))
judged(then, "the host has a default route through an interface that is up and has an address",
       lambda lab: link.judged_route_out(link.read(lab.target)))
judged(then, "each lab interface whose driver reports its link runs at the lab's speed and duplex",
       lambda lab: link.judged_speed(link.read(lab.target), lab.params.lab_interfaces, lab.params.link_speed_mbps,
                                      lab.params.link_duplex))


@when("a bounded transfer crosses the Docker bridge from the host to a container", target_fixture="transfer")
def _(lab):
    return link.bridge_transfer(lab.target, lab.docker, lab.params.mytc_image, lab.params.bridge_transfer_mib)


judged(then, "every byte arrives and the median throughput is above the lab's floor",
       lambda lab, transfer: link.judged_transfer(transfer, lab.params.bridge_throughput_floor_mbps))
judged(then, "the error and drop counters of the lab's interfaces have not grown since the run began",
       lambda lab, link_baseline: link.judged_counters(link_baseline, link.read(lab.target), lab.params.lab_interfaces))
