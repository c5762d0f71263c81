"""Lab nodes: containers on the lab host that boot systemd as PID 1 and stand in for the document's VM.

A node is built from Debian's packages, started on its own lab network with a fixed address, and
reached over SSH with a key made for it; from then on it is provisioned and checked like any
`ssh://` lab (`python -m provision --target ...`, `pytest features/ --target ...`).

    python -m provision.node up [NAME]   the node image (once), the node running, SSH answering
    python -m provision.node list        the nodes on this lab host
    python -m provision.node rm NAME     a node, its Docker volume and its host key gone
    python -m provision.node args NAME   the options that reach it (--target, --ssh-identity, --known-hosts)
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from labconform.errors import LabUnreachable, UsageError, WaitTimeout
from labconform.lease import LeaseHeld, LeaseKeeper
from labconform.params import LabParams
from labconform.poll import until
from labconform.target import Target
from provision import Context, apt_index_step
from provision.core import Plan, Step, StepFailed, show
from provision.progress import run_watched

FILES = Path(__file__).parent / "files"
BUILDER = "/usr/local/libexec/labconform/build-node-image.sh"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
IMAGE = "labconform/node:bookworm"
NETWORK = "labconform-lab"
SUBNET = ipaddress.ip_network("172.30.0.0/24")
GATEWAY = "172.30.0.1"
FIRST_HOST = 10
STATE_DIR = Path(os.environ.get("LABCONFORM_NODES_DIR", "/var/lib/labconform/nodes"))
LABEL = "org.labconform.node"
K8S_CACHE = "/var/cache/labconform/kubernetes"
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
BOOT_TIMEOUT_S = 90
# systemd's `reboot` inside a node ends its PID 1: Docker starts it again, as a VM's firmware would
RESTART = "unless-stopped"


def recipe() -> str:
    import hashlib

    return hashlib.sha256((FILES / "build-node-image.sh").read_bytes()).hexdigest()[:16]


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise UsageError(f"node name {name!r}: lower-case letters, digits and '-', starting with a letter, "
                         "at most 31 characters")
    return name


@dataclass(frozen=True)
class Node:
    """One node: its name, where its key and known_hosts live, its address on the lab network."""

    name: str
    address: str

    @property
    def container(self) -> str:
        return f"labconform-node-{self.name}"

    @property
    def volume(self) -> str:
        return f"labconform-node-{self.name}-docker"

    @property
    def dir(self) -> Path:
        return STATE_DIR / self.name

    @property
    def identity(self) -> Path:
        # one key and one known_hosts for every node of this lab host: several nodes are reached in one run
        # (--target more than once) with the run's one --ssh-identity and --known-hosts
        return STATE_DIR / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return STATE_DIR / "known_hosts"

    def known_key(self) -> str | None:
        """This node's line of the shared known_hosts, if any."""
        lines = self.known_hosts.read_text().splitlines() if self.known_hosts.exists() else []
        return next((ln for ln in lines if ln.split(" ", 1)[0] == self.address), None)

    def record_host_key(self, line: str | None) -> None:
        """Put (or, with None, take out) this node's line in the shared known_hosts."""
        lines = self.known_hosts.read_text().splitlines() if self.known_hosts.exists() else []
        kept = [ln for ln in lines if ln.split(" ", 1)[0] != self.address] + ([line] if line else [])
        tmp = self.known_hosts.with_suffix(".tmp")
        tmp.write_text("".join(f"{ln}\n" for ln in kept))
        tmp.replace(self.known_hosts)

    @property
    def target(self) -> str:
        return f"ssh://root@{self.address}:22"

    def args(self) -> list[str]:
        return ["--target", self.target, "--ssh-identity", str(self.identity), "--known-hosts", str(self.known_hosts)]

    @classmethod
    def load(cls, name: str) -> Node | None:
        try:
            data = json.loads((STATE_DIR / check_name(name) / "node.json").read_text())
        except FileNotFoundError:
            return None
        return cls(data["name"], data["address"])

    @classmethod
    def allocate(cls, name: str, in_use: set[str] | frozenset[str] = frozenset()) -> Node:
        """The node of that name, or a new one at the first free address of the lab network: not another
        node's, nor one a container `in_use` holds on the network now."""
        node = cls.load(name)
        if node is not None:
            return node
        taken = {n.address for n in all_nodes()} | set(in_use)
        hosts = list(SUBNET.hosts())[FIRST_HOST - 1:]
        free = next((str(a) for a in hosts if str(a) not in taken), None)
        if free is None:
            raise UsageError(f"no free address left on {SUBNET} for node {name}")
        node = cls(name, free)
        node.dir.mkdir(parents=True, exist_ok=True)
        (node.dir / "node.json").write_text(json.dumps({"name": name, "address": free}) + "\n")
        return node


def all_nodes() -> list[Node]:
    if not STATE_DIR.is_dir():
        return []
    return [n for n in (Node.load(p.name) for p in sorted(STATE_DIR.iterdir()) if NAME_RE.match(p.name)) if n]


def docker_json(t: Target, *argv: str) -> list | dict | None:
    res = t.run("docker " + " ".join(["%s"] * len(argv)), *argv, timeout=30)
    return json.loads(res.stdout) if res.ok else None


def container_state(t: Target, node: Node) -> dict:
    got = docker_json(t, "inspect", "--type", "container", node.container)
    return got[0] if got else {}


def network_addresses(t: Target) -> set[str]:
    """The addresses containers hold on the lab network now (none when it does not exist yet)."""
    got = docker_json(t, "network", "inspect", NETWORK)
    held = ((got or [{}])[0].get("Containers") or {}).values()
    return {c.get("IPv4Address", "").split("/")[0] for c in held} - {""}


def foreign_container(t: Target, name: str) -> str | None:
    """Why the container a node of this name would use is not ours to use, if it is not."""
    container = f"labconform-node-{name}"
    got = docker_json(t, "inspect", "--type", "container", container)
    if not got:
        return None
    label = ((got[0].get("Config") or {}).get("Labels") or {}).get(LABEL)
    if label == name:
        return None
    return (f"a container named {container} exists that provisioning did not make for node {name} (label {LABEL}="
            f"{label or '(none)'}); remove or rename it, or choose another node name")


def node_exec(t: Target, node: Node, *argv: str, timeout: float = 30):
    return t.run("docker exec " + " ".join(["%s"] * (len(argv) + 1)), node.container, *argv, timeout=timeout)


def ssh_argv(node: Node, *command: str) -> list[str]:
    return ["ssh", "-i", str(node.identity), "-o", f"UserKnownHostsFile={node.known_hosts}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
            f"root@{node.address}", *command]


def steps(ctx: Context, node: Node) -> list[Step]:
    """From a lab host with Docker to a node that answers over SSH with a known host key."""
    t = ctx.target
    out: list[Step] = []

    def image_check() -> tuple[bool, str]:
        img = ctx.state.image(IMAGE)
        have = ((img or {}).get("Config") or {}).get("Labels", {}) or {}
        ok = have.get("org.labconform.recipe") == recipe()
        return ok, f"{IMAGE} built by the current recipe" if ok else f"{IMAGE} absent or built by another recipe"

    def image_apply() -> None:
        ctx.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 debootstrap",
               timeout=600)
        ctx.put(BUILDER, (FILES / "build-node-image.sh").read_bytes(), 0o755)
        ctx.say("debootstrap of Debian 12 with systemd and openssh-server, then docker import (about 2 minutes)")
        run_watched(ctx, f"{BUILDER} {IMAGE} {DEBIAN_MIRROR} {recipe()}", "/var/log/labconform/node-image.log",
                    "node image build", timeout=1200)

    out.append(Step("lab node image", (), image_check, image_apply,
                    (f"debootstrap bookworm (systemd, openssh-server, ...); docker import {IMAGE}",)))

    def net_check() -> tuple[bool, str]:
        got = docker_json(t, "network", "inspect", NETWORK)
        subnets = [c.get("Subnet") for c in ((got or [{}])[0].get("IPAM") or {}).get("Config") or []]
        ok = str(SUBNET) in subnets
        return ok, f"network {NETWORK} on {SUBNET}" if ok else f"network {NETWORK} absent or on {subnets}"

    net_cmd = f"docker network create --subnet {SUBNET} --gateway {GATEWAY} {NETWORK}"
    out.append(Step("lab network", (), net_check, lambda: ctx.sh(net_cmd), (net_cmd,)))

    def running_check() -> tuple[bool, str]:
        st = container_state(t, node)
        if not st:
            return False, f"{node.container} absent"
        if not st["State"].get("Running"):
            return False, f"{node.container} {st['State'].get('Status')}"
        addr = ((st.get("NetworkSettings") or {}).get("Networks") or {}).get(NETWORK, {}).get("IPAddress")
        if addr != node.address:
            return False, f"{node.container} at {addr}, not {node.address}"
        policy = (st.get("HostConfig") or {}).get("RestartPolicy", {}).get("Name")
        if policy != RESTART:
            return False, f"{node.container} restart policy {policy!r}: a reboot from inside would not come back"
        return True, f"{node.container} running at {node.address}"

    run_argv = ["docker", "run", "-d", "--name", node.container, "--hostname", node.name,
                "--label", f"{LABEL}={node.name}", "--privileged", "--cgroupns=private", "--stop-signal", "SIGRTMIN+3",
                "--restart", RESTART,
                "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
                "-v", f"{node.volume}:/var/lib/docker", "-v", "/lib/modules:/lib/modules:ro",
                "-v", f"{K8S_CACHE}:{K8S_CACHE}",
                "--network", NETWORK, "--ip", node.address, IMAGE]

    def running_apply() -> None:
        st = container_state(t, node)
        if st and (st.get("HostConfig") or {}).get("RestartPolicy", {}).get("Name") != RESTART:
            ctx.sh(f"docker update --restart {RESTART} {node.container}")
            if running_check()[0]:
                return
        if st and st["State"].get("Running"):
            try:  # restarting (Docker's policy after a reboot or an engine restart): it gets its address back
                until(lambda: running_check()[0], timeout=30, interval=1, what=f"{node.container} running")
                return
            except WaitTimeout:
                pass
            raise StepFailed(f"{node.container} runs at another address: remove it (python -m provision.node rm "
                             f"{node.name}) to start it afresh")
        if st:
            ctx.sh(f"docker start {node.container}")
        else:
            ctx.sh("mkdir -p " + K8S_CACHE, " ".join(shlex.quote(a) for a in run_argv))
        booted(ctx, node)

    out.append(Step(f"lab node {node.name}", (), running_check, running_apply,
                    (" ".join(run_argv[:4]) + " --privileged --cgroupns=private ... " + IMAGE,)))

    def key_check() -> tuple[bool, str]:
        ok = node.identity.exists() and node.identity.with_suffix(".pub").exists()
        return ok, f"SSH key {node.identity}" if ok else f"no SSH key at {node.identity}"

    def key_apply() -> None:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        for p in (node.identity, node.identity.with_suffix(".pub")):
            p.unlink(missing_ok=True)
        ctx.sh(f"ssh-keygen -q -t ed25519 -N '' -C labconform-nodes -f {shlex.quote(str(node.identity))}")

    def booted_check() -> tuple[bool, str]:
        state = node_exec(t, node, "systemctl", "is-system-running", timeout=10).stdout.strip()
        return state in ("running", "degraded"), f"systemd on {node.container}: {state or 'no answer'}"

    out.append(Step("node booted", (), booted_check, lambda: booted(ctx, node),
                    ("systemctl is-system-running --wait",)))
    out.append(Step("SSH key for the node", (), key_check, key_apply, ("ssh-keygen -t ed25519",)))

    def ssh_check() -> tuple[bool, str]:
        if node.known_key() is None:
            return False, f"no known host key for {node.address}"
        res = t.run(" ".join(shlex.quote(a) for a in ssh_argv(node, "true")), timeout=20)
        return res.ok, f"ssh root@{node.address} answers" if res.ok else \
            f"ssh root@{node.address}: {(res.stderr.strip() or 'no answer')[-200:]}"

    def ssh_apply() -> None:
        booted(ctx, node)
        pub = node.identity.with_suffix(".pub").read_text().strip()
        res = node_exec(t, node, "sh", "-c", 'mkdir -p -m 700 /root/.ssh && grep -qxF "$1" /root/.ssh/authorized_keys'
                        ' 2>/dev/null || echo "$1" >> /root/.ssh/authorized_keys', "sh", pub)
        if not res.ok:
            raise StepFailed(f"cannot authorise the key on {node.container}: {res.stderr.strip()}")
        # the host key is read from the node itself (as from a VM's console), never accepted blind
        host_key = node_exec(t, node, "cat", "/etc/ssh/ssh_host_ed25519_key.pub")
        if not host_key.ok:
            raise StepFailed(f"{node.container} has no SSH host key: {host_key.stderr.strip()}")
        kind, key = host_key.stdout.split()[:2]
        node.record_host_key(f"{node.address} {kind} {key}")
        try:
            until(lambda: ssh_check()[0], timeout=30, interval=0.5, what=f"ssh root@{node.address}")
        except WaitTimeout as exc:
            raise StepFailed(f"{exc}: {ssh_check()[1]}") from None

    out.append(Step("node reached over SSH", (), ssh_check, ssh_apply,
                    ("authorized_keys on the node; its host key into known_hosts; ssh root@ADDRESS true",)))
    return out


def booted(ctx: Context, node: Node) -> None:
    """Wait (bounded) until the node's systemd has finished booting: running, or degraded with a reason."""

    def state() -> str:
        res = node_exec(ctx.target, node, "systemctl", "is-system-running", timeout=10)
        return res.stdout.strip()

    ctx.say(f"waiting for systemd on {node.container} to finish booting (at most {BOOT_TIMEOUT_S} s)")
    try:
        until(lambda: state() in ("running", "degraded"), timeout=BOOT_TIMEOUT_S, interval=0.5,
              what=f"systemd booted on {node.container}")
    except WaitTimeout as exc:
        raise StepFailed(f"{exc} (is-system-running: {state() or 'no answer'})") from None
    if state() == "degraded":
        failed = node_exec(ctx.target, node, "systemctl", "--failed", "--no-legend", "--plain").stdout.strip()
        ctx.say(f"systemd on {node.container} is degraded: {failed}")


def host_plan(ctx: Context, node: Node) -> Plan:
    """What the lab host needs for a node: its Docker engine (the wrapper where needed), the node itself."""
    from provision import clock, docker_ce
    from provision.k8s_build import build_step

    plan = Plan()
    plan.add(*apt_index_step(ctx), section="host")
    # the engine only: the document's non-root docker user belongs to the node, not to the lab host
    plan.add(*(s for s in docker_ce.steps(ctx) if "docker-07" not in s.claims), section="docker")
    plan.add(build_step(ctx), section="kubernetes")
    plan.add(*steps(ctx, node), section="node")
    plan.add(clock.server_step(ctx, GATEWAY, str(SUBNET)), section="node")
    return plan


def cmd_up(name: str, lease_wait: float = 0) -> int:
    from provision.state import LiveState

    check_name(name)
    target = Target("local")
    ctx = Context(target, LiveState(target), LabParams())
    lease = LeaseKeeper(target, run=f"node-{os.getpid()}", purpose=f"python -m provision.node up {name}")
    try:
        lease.acquire(wait_s=lease_wait)
    except LeaseHeld as exc:
        show(f"provision.node: {exc}", sys.stderr)
        return 5
    started = time.monotonic()
    try:
        if why := foreign_container(target, name):
            raise UsageError(why)
        new = Node.load(name) is None
        # under the lease: two nodes made at once never take one address
        node = Node.allocate(name, network_addresses(target))
        show(f"lab node {node.name} on this lab host, at {node.address} on {NETWORK}")
        outcomes = host_plan(ctx, node).run(check_only=False)
        if new and not container_state(target, node):  # nothing made: no address kept for it either
            (node.dir / "node.json").unlink(missing_ok=True)
            node.dir.rmdir()
    finally:
        lease.release()
    failed = [o for o in outcomes if o.status == "failed"]
    show(f"{len(outcomes) - len(failed)} steps done, {len(failed)} failed in {time.monotonic() - started:.1f} s")
    if failed:
        return 1
    show("reach it with: " + " ".join(shlex.quote(a) for a in node.args()))
    return 0


def cmd_list() -> int:
    t = Target("local")
    for node in all_nodes():
        st = container_state(t, node)
        status = st.get("State", {}).get("Status", "absent") if st else "absent"
        show(f"{node.name}\t{node.address}\t{status}\t{node.target}")
    return 0


def cmd_rm(name: str) -> int:
    node = Node.load(check_name(name))
    if node is None:
        show(f"provision.node: no node named {name}", sys.stderr)
        return 2
    t = Target("local")
    lease = LeaseKeeper(t, run=f"node-{os.getpid()}", purpose=f"python -m provision.node rm {name}")
    try:
        lease.acquire(wait_s=60)
    except LeaseHeld as exc:
        show(f"provision.node: {exc}", sys.stderr)
        return 5
    try:
        for argv in (("rm", "-f", node.container), ("volume", "rm", node.volume)):
            res = t.run("docker %s %s %s" if len(argv) == 3 else "docker %s %s", *argv, timeout=120)
            if not res.ok and "no such" not in res.stderr.lower():  # kept: its address stays taken, its state known
                show(f"provision.node: docker {' '.join(argv)}: {res.stderr.strip()[-300:]}", sys.stderr)
                return 3
        node.record_host_key(None)
    finally:
        lease.release()
    for p in sorted(node.dir.iterdir()):
        p.unlink()
    node.dir.rmdir()
    show(f"removed node {name} ({node.container}, volume {node.volume}, {node.dir})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m provision.node", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("up", "list", "rm", "args"))
    ap.add_argument("name", nargs="?", default="lab1")
    ap.add_argument("--lease-wait", type=float, default=0, metavar="SECONDS",
                    help="up: wait this long for the lab host's lease when someone else holds it (default 0)")
    args = ap.parse_args(argv)
    try:
        if args.command == "up":
            return cmd_up(args.name, args.lease_wait)
        if args.command == "list":
            return cmd_list()
        if args.command == "rm":
            return cmd_rm(args.name)
        node = Node.load(check_name(args.name))
        if node is None:
            show(f"provision.node: no node named {args.name}; make it with: python -m provision.node up "
                 f"{args.name}", sys.stderr)
            return 2
        show("\n".join(node.args()))  # one a line: `mapfile -t args < <(python -m provision.node args NAME)`
        return 0
    except UsageError as exc:
        show(f"provision.node: {exc}", sys.stderr)
        return 2
    except (LabUnreachable, OSError) as exc:
        show(f"provision.node: {exc}", sys.stderr)
        return 3
    except (ValueError, KeyError) as exc:  # a node.json that is not what `up` wrote
        show(f"provision.node: the state of node {args.name} under {STATE_DIR} is unreadable ({exc!r}); "
             f"remove that folder and its container by hand", sys.stderr)
        return 3
    except KeyboardInterrupt:
        show("provision.node: interrupted", sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
