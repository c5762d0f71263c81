"""glitch-01's first half ("the host's network is up") broken for real: the claim runs in a network
namespace of its own (unshare --net, with /sys remounted so that it shows that namespace) whose
interfaces the test sets up. A Docker bridge that is up and nothing else used to pass; so did a
default route through an interface with no address. Both fail; the same namespace with an address
and a route through it passes. Nothing is sent anywhere: the addresses are documentation ranges."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None,
                                 reason="needs root, unshare(1) and ip(8)")

DOCKER0_ONLY = "ip link add docker0 type bridge && ip link set docker0 up"
# a veth pair stands for the uplink: its end eth9 is up with a carrier, as a cabled NIC is
ETH9 = f"{DOCKER0_ONLY} && ip link add eth9 type veth peer name eth9p && ip link set eth9p up && ip link set eth9 up"
NO_ADDRESS = f"{ETH9} && ip route add default dev eth9"
ADDRESSED = f"{ETH9} && ip addr add 198.51.100.2/24 dev eth9 && ip route add default via 198.51.100.1 dev eth9"


def glitch_01(tmp_path: Path, setup: str) -> dict:
    """glitch-01 in a namespace set up by `setup` (a fixed line of this file, never input)."""
    name = f"lc-test-net-{uuid.uuid4().hex[:6]}"
    reports = tmp_path / "reports"
    inner = f"mount -t sysfs sysfs /sys && ip link set lo up && {setup} && exec \"$@\""
    proc = subprocess.run(["unshare", "--net", "--mount", "sh", "-c", inner, "sh",
                           sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--reports-dir", str(reports),
                           "--run-name", name, "features/92_glitch.feature", "-k", "glitch-01"],
                          cwd=TOP, capture_output=True, text=True, timeout=180)
    results = reports / name / "results.json"
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return next(c for c in json.loads(results.read_text())["claims"] if c["id"] == "glitch-01")


def network_found(tmp_path: Path, setup: str, verdict: str) -> dict:
    """What glitch-01 found of the host's network in the namespace `setup` makes, its verdict being `verdict`."""
    claim = glitch_01(tmp_path, setup)
    assert claim["verdict"] == verdict, claim
    return next(o for o in claim["evidence"] if o["what"] == "the host's network")["found"]


def test_a_docker_bridge_alone_is_not_a_network(tmp_path: Path) -> None:
    assert network_found(tmp_path, DOCKER0_ONLY, "failed")["default route"] == "none"


def test_a_default_route_through_an_interface_without_an_address_fails(tmp_path: Path) -> None:
    found = network_found(tmp_path, NO_ADDRESS, "failed")
    assert found["default route"] != "none" and found["eth9 (its interface)"]["addresses"] == "none", found


def test_an_addressed_interface_with_the_default_route_passes(tmp_path: Path) -> None:
    found = network_found(tmp_path, ADDRESSED, "passed")
    assert found["eth9 (its interface)"]["addresses"] == ["198.51.100.2/24"], found
