"""Lab nodes: made on this lab host, booting systemd, reached over SSH with a known host key, listed, made
again without change, removed with nothing left behind; a bad name is refused before anything is made."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconform.lease import LEASE_ENV
from tests.support.lab_node import node, run_on

REPO = Path(__file__).resolve().parents[2]
NAME = "lctest"


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)


def reach() -> list[str]:
    return node("args", NAME).stdout.split("\n")[:-1]


def on_node(*command: str) -> subprocess.CompletedProcess[str]:
    return run_on(reach(), *command)


@pytest.fixture(scope="module")
def made() -> Iterator[subprocess.CompletedProcess[str]]:
    if os.environ.get(LEASE_ENV):
        pytest.skip(f"{LEASE_ENV} is set: node tests take the lab host's real lease")
    up = node("up", NAME, "--lease-wait", "900")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield up
    finally:
        node("rm", NAME)


def test_a_node_boots_systemd_and_answers_over_ssh_with_its_own_host_key(made):
    got = on_node("cat /proc/1/comm; hostname; systemctl is-system-running")
    assert got.returncode in (0, 1), got.stderr  # is-system-running exits 1 when degraded
    comm, hostname, state = got.stdout.split()
    assert (comm, hostname) == ("systemd", NAME)
    assert state in ("running", "degraded"), state
    assert "reach it with: --target ssh://root@172.30.0." in made.stdout


def test_it_is_listed_and_a_second_up_changes_nothing(made):
    listed = node("list")
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith(NAME + "\t"))
    assert "\trunning\t" in line and "ssh://root@172.30.0." in line
    again = node("up", NAME, "--lease-wait", "900")
    assert again.returncode == 0, again.stdout + again.stderr
    statuses = {line.split()[0] for line in again.stdout.splitlines() if "  [" in line}
    assert statuses == {"unchanged"}, again.stdout


@pytest.mark.parametrize("bad", ["Lab1", "lab;touch /tmp/lc-pwned", "$(id)", "-x", "a" * 40])
def test_a_bad_name_is_refused_and_nothing_is_made(bad):
    p = node("up", "--", bad)
    assert p.returncode == 2 and "node name" in p.stderr, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert not Path("/tmp/lc-pwned").exists()
    assert docker("inspect", f"labconform-node-{bad}").returncode != 0


def test_two_nodes_are_two_labs_of_one_run_then_removed_leave_nothing(suite, made):
    """A second node is a second lab: one run checks both (--target twice, one worker each), with the nodes'
    one key and known_hosts; removed, it leaves no container, volume, folder or host key behind."""
    up = node("up", "lcgone", "--lease-wait", "900")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        first, second = reach(), node("args", "lcgone").stdout.split("\n")[:-1]
        assert first[2:] == second[2:]  # the same --ssh-identity and --known-hosts
        run = suite("features/30_rocky.feature", "-k", "rocky-02 or rocky-09", first[0], first[1], *second,
                    "-n", "2", "--dist", "each", timeout=300)
        labs = {c["target"] for c in run.results["claims"]}
        assert labs == {first[1].split("@")[1].rsplit(":")[0], second[1].split("@")[1].rsplit(":")[0]}, labs
        assert {c["verdict"] for c in run.results["claims"]} == {"passed"}, run.out[-2000:]
        address = second[1].split("@")[1].rsplit(":")[0]
    finally:
        gone = node("rm", "lcgone")
    assert gone.returncode == 0, gone.stderr
    assert docker("inspect", "--type", "container", "labconform-node-lcgone").returncode != 0
    assert docker("volume", "inspect", "labconform-node-lcgone-docker").returncode != 0
    assert not Path("/var/lib/labconform/nodes/lcgone").exists()
    known = Path("/var/lib/labconform/nodes/known_hosts").read_text()
    assert address + " " not in known and known.strip(), known
    assert node("rm", "lcgone").returncode == 2


def test_an_image_build_with_no_mirror_fails_saying_why_and_leaves_nothing():
    before = set(Path("/var/tmp").glob("labconform-node.*"))
    p = subprocess.run(["bash", str(REPO / "provision" / "files" / "build-node-image.sh"), "labconform/node:lc-broken",
                        "http://127.0.0.1:9/debian", "test"], capture_output=True, text=True, timeout=300)
    said = p.stdout + p.stderr
    assert p.returncode != 0 and "127.0.0.1:9" in said, said  # debootstrap's own words about the mirror
    assert docker("image", "inspect", "labconform/node:lc-broken").returncode != 0
    assert set(Path("/var/tmp").glob("labconform-node.*")) == before


def test_a_node_removed_while_a_run_uses_it_ends_the_run_with_errors_naming_it(tmp_path):
    from tests.support.midrun import start_run, stop

    up = node("up", "lcdrop", "--lease-wait", "900")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        args = node("args", "lcdrop").stdout.split("\n")[:-1]
        address = args[1].split("@")[1].rsplit(":")[0]
        proc, seen = start_run("lc-node-drop", tmp_path / "reports", *args,
                               files=("features/30_rocky.feature", "features/80_preparing_k8s.feature",
                                      "features/90_dragged_by_the_roots.feature"),
                               until="at_least_the_size_of_the_documents")
        try:
            assert node("rm", "lcdrop").returncode == 0
            rest, _ = proc.communicate(timeout=300)  # bounded: a lost node is no reason to hang
        finally:
            stop(proc)
    finally:
        node("rm", "lcdrop")
    out = "".join(seen) + rest
    assert "Traceback" not in out, out[-3000:]
    doc = json.loads((tmp_path / "reports" / "lc-node-drop" / "results.json").read_text())
    errors = [c for c in doc["claims"] if c["verdict"] == "error"]
    assert errors, out[-3000:]
    assert all(address in c["reason"] for c in errors), [c["reason"] for c in errors][:3]
    assert proc.returncode != 0


def test_a_container_of_that_name_not_made_for_a_node_is_refused_and_left_alone():
    foreign = "labconform-node-lcforeign"
    docker("rm", "-f", foreign)
    made = docker("run", "-d", "--name", foreign, "--entrypoint", "sleep", "labconform/node:bookworm", "300")
    try:
        assert made.returncode == 0, made.stderr
        up = node("up", "lcforeign", "--lease-wait", "900")
        assert up.returncode == 2 and "provisioning did not make for node lcforeign" in up.stderr, up.stderr
        assert "Traceback" not in up.stderr
        assert docker("inspect", "-f", "{{.State.Running}}", foreign).stdout.strip() == "true"  # left alone
        assert not Path("/var/lib/labconform/nodes/lcforeign").exists()
    finally:
        docker("rm", "-f", foreign)


def test_an_address_another_container_holds_on_the_lab_network_is_not_given_to_a_new_node(tmp_path, monkeypatch):
    from labconform.transport.target import Target
    from provision.node import container, state

    if docker("network", "inspect", state.NETWORK).returncode != 0:
        pytest.skip(f"no {state.NETWORK} network: no node was ever made here")
    monkeypatch.setattr(state, "STATE_DIR", tmp_path)  # a state that knows no node at all
    squatter = "lc-squatter"
    docker("rm", "-f", squatter)
    held = container.network_addresses(Target("local"))
    first_free = next(str(a) for a in list(state.SUBNET.hosts())[state.FIRST_HOST - 1:] if str(a) not in held)
    made = docker("run", "-d", "--name", squatter, "--network", state.NETWORK, "--ip", first_free, "--entrypoint",
                  "sleep", "labconform/node:bookworm", "300")
    try:
        assert made.returncode == 0, made.stderr
        new = state.Node.allocate("lcnext", container.network_addresses(Target("local")))
        assert new.address != first_free and new.address not in held, (new.address, first_free, held)
    finally:
        docker("rm", "-f", squatter)
