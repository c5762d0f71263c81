"""The judging functions of the probes converted last to one observation type (issue 12): a service, a unit,
the docker group's user, the way out, the reboot and what settles after it, the Docker engine and its images,
the baskets. Each judged from what a fake of its read hands back, as the step records it."""

from __future__ import annotations

from typing import Any

import pytest

from labconform import link
from labconform.observation import Judged
from labconform.target import Target, parse_facts

pytestmark = pytest.mark.unit


def target(init: str = "systemd", **files: bytes) -> Target:
    t = Target("local")
    t.facts = parse_facts(f"init={init}\nkernel=6.1.0-13-amd64\n")  # nothing asked of this machine
    t.read_bytes = lambda path: files.get(path)  # type: ignore[method-assign]
    return t


def shape(j: Judged) -> tuple[Any, ...]:
    return j.ok, j.what, j.expected, j.found, j.how, j.not_applicable, j.details, j.kinds


# --- the way out --------------------------------------------------------------------------------------------


def test_the_way_out_needs_a_default_route_through_an_addressed_interface_that_is_up() -> None:
    eth0 = link.Interface("eth0", operstate="up", addresses=["10.0.0.5/24"])
    snap = link.Snapshot(0.0, ["eth0"], {"eth0": eth0}, routes=["default via 10.0.0.1 dev eth0"])
    j = link.judged_route_out(snap)
    assert j.ok and j.how == link.ROUTE_HOW and j.found == {
        "default route": ["default via 10.0.0.1 dev eth0"],
        "eth0 (its interface)": {"operstate": "up", "addresses": ["10.0.0.5/24"]},
        "addressed interfaces": {"eth0": ["10.0.0.5/24"]}}
    eth0.operstate = "down"
    assert not link.judged_route_out(snap).ok
    assert link.judged_route_out(link.Snapshot(0.0, [], {})).found == {
        "default route": "none", "addressed interfaces": "none besides loopback"}
