"""The link claims against a real veth pair made for the test: a link that runs at the wrong speed,
an interface that is down, and drops that grow while the claims run all fail them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconform.link import interfaces as link
from labconform.transport.target import Target
from tests.support.trust import run_claims

FEATURE = "features/92_glitch.feature"
needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and ip(8)")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def veth() -> Iterator[tuple[str, str]]:
    """A veth pair on 169.254.77.0/30 (link-local, this machine only), deleted whatever happens.
    The peer's MTU is smaller, so a full-size frame sent across is dropped and counted."""
    name = f"lct{uuid.uuid4().hex[:5]}"
    peer = f"{name}p"
    ip("link", "add", name, "type", "veth", "peer", "name", peer)
    try:
        ip("link", "set", peer, "mtu", "1280")
        ip("link", "set", name, "up")
        ip("link", "set", peer, "up")
        ip("addr", "add", "169.254.77.1/30", "dev", name)
        mac = Path(f"/sys/class/net/{peer}/address").read_text().strip()
        ip("neigh", "replace", "169.254.77.2", "lladdr", mac, "dev", name, "nud", "permanent")
        yield name, peer
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True, timeout=10)


def glitch_verdicts(folder: Path, interface: str, select: str, **params: object) -> dict[str, dict]:
    """The glitch claims that `select` (-k) picks, run with `interface` as the lab's only one."""
    return run_claims(folder, {"lab_interfaces": [interface], **params}, FEATURE, "-k", select)


@needs_root
def test_a_link_at_another_speed_fails_and_the_right_one_passes(tmp_path: Path, veth: tuple[str, str]) -> None:
    name, _ = veth
    snap = link.read(Target("local"))
    assert snap.interfaces[name].reports_link  # veth says 10000 Mb/s, full duplex
    verdicts = glitch_verdicts(tmp_path / "gigabit", name, "glitch-02")
    assert verdicts["glitch-02"]["verdict"] == "failed"
    assert "10000" in verdicts["glitch-02"]["reason"]
    verdicts = glitch_verdicts(tmp_path / "ten", name, "glitch-02", link_speed_mbps=10000)
    assert verdicts["glitch-02"]["verdict"] == "passed"


@needs_root
def test_an_interface_that_is_down_fails(tmp_path: Path, veth: tuple[str, str]) -> None:
    name, peer = veth
    ip("link", "set", peer, "down")  # no carrier on the other end
    verdicts = glitch_verdicts(tmp_path, name, "glitch-01")
    assert verdicts["glitch-01"]["verdict"] == "failed"


@needs_root
def test_drops_during_the_run_fail_the_counter_claim(tmp_path: Path, veth: tuple[str, str]) -> None:
    """Frames larger than the peer's MTU are dropped by the kernel and counted, while the claims run."""
    name, _ = veth
    stop = threading.Event()

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while not stop.wait(0.02):
                s.sendto(b"x" * 1400, ("169.254.77.2", 9))

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        verdicts = glitch_verdicts(tmp_path, name, "glitch-01 or glitch-04")
    finally:
        stop.set()
        sender.join(timeout=5)
    assert verdicts["glitch-04"]["verdict"] == "failed"
    assert "tx_dropped" in verdicts["glitch-04"]["reason"]


def test_an_empty_bridge_counts_no_port_up() -> None:
    """The shell glob of an empty brif/ must not count the host's other interfaces as the bridge's."""
    snap = link.read(Target("local"))
    for i in snap.interfaces.values():
        if i.bridge_ports is not None:
            assert i.bridge_ports_up <= i.bridge_ports
