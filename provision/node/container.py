"""A lab node's container on the lab host: what Docker says of it, and the steps from the lab network to a
node booted under systemd that answers over SSH with a known host key."""

from __future__ import annotations

import json
import re
import shlex

from labconform.errors import WaitTimeout
from labconform.poll import until
from labconform.transport.target import Target
from provision.core import Step, StepFailed, image_labels, wait_or_fail
from provision.node.image import IMAGE
from provision.node.state import GATEWAY, LABEL, NETWORK, STATE_DIR, SUBNET, Node
from provision.plan import Context

K8S_CACHE = "/var/cache/labconform/kubernetes"
BOOT_TIMEOUT_S = 90
# systemd's `reboot` inside a node ends its PID 1: Docker starts it again, as a VM's firmware would
RESTART = "unless-stopped"


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
    label = image_labels(got[0]).get(LABEL)
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
    return [network_step(ctx), running_step(ctx, node), booted_step(ctx, node), key_step(ctx, node),
            resolver_step(ctx, node), ssh_step(ctx, node)]


def network_step(ctx: Context) -> Step:
    t = ctx.target

    def check() -> tuple[bool, str]:
        got = docker_json(t, "network", "inspect", NETWORK)
        subnets = [c.get("Subnet") for c in ((got or [{}])[0].get("IPAM") or {}).get("Config") or []]
        ok = str(SUBNET) in subnets
        return ok, f"network {NETWORK} on {SUBNET}" if ok else f"network {NETWORK} absent or on {subnets}"

    cmd = f"docker network create --subnet {SUBNET} --gateway {GATEWAY} {NETWORK}"
    return Step("lab network", (), check, lambda: ctx.sh(cmd), (cmd,))


def run_argv(node: Node) -> list[str]:
    """`docker run` of the node: systemd as PID 1 in a private cgroup namespace, its own Docker volume."""
    return ["docker", "run", "-d", "--name", node.container, "--hostname", node.name,
            "--label", f"{LABEL}={node.name}", "--privileged", "--cgroupns=private", "--stop-signal", "SIGRTMIN+3",
            "--restart", RESTART,
            "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
            "-v", f"{node.volume}:/var/lib/docker", "-v", "/lib/modules:/lib/modules:ro",
            "-v", f"{K8S_CACHE}:{K8S_CACHE}",
            "--network", NETWORK, "--ip", node.address, IMAGE]


def running_step(ctx: Context, node: Node) -> Step:
    t = ctx.target

    def check() -> tuple[bool, str]:
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

    argv = run_argv(node)

    def apply() -> None:
        st = container_state(t, node)
        if st and (st.get("HostConfig") or {}).get("RestartPolicy", {}).get("Name") != RESTART:
            ctx.sh(f"docker update --restart {RESTART} {node.container}")
            if check()[0]:
                return
        if st and st["State"].get("Running"):
            try:  # restarting (Docker's policy after a reboot or an engine restart): it gets its address back
                until(lambda: check()[0], timeout=30, interval=1, what=f"{node.container} running")
                return
            except WaitTimeout:
                pass
            raise StepFailed(f"{node.container} runs at another address: remove it (python -m provision.node rm "
                             f"{node.name}) to start it afresh")
        if st:
            ctx.sh(f"docker start {node.container}")
        else:
            ctx.sh("mkdir -p " + K8S_CACHE, " ".join(shlex.quote(a) for a in argv))
        booted(ctx, node)

    return Step(f"lab node {node.name}", (), check, apply,
                (" ".join(argv[:4]) + " --privileged --cgroupns=private ... " + IMAGE,))


def booted_step(ctx: Context, node: Node) -> Step:
    def check() -> tuple[bool, str]:
        state = node_exec(ctx.target, node, "systemctl", "is-system-running", timeout=10).stdout.strip()
        return state in ("running", "degraded"), f"systemd on {node.container}: {state or 'no answer'}"

    return Step("node booted", (), check, lambda: booted(ctx, node), ("systemctl is-system-running --wait",))


def key_step(ctx: Context, node: Node) -> Step:
    def check() -> tuple[bool, str]:
        ok = node.identity.exists() and node.identity.with_suffix(".pub").exists()
        return ok, f"SSH key {node.identity}" if ok else f"no SSH key at {node.identity}"

    def apply() -> None:
        # one command through the context, like every change provisioning makes (a dry run or a recording
        # context must not remove the key that every node's runs use)
        key = shlex.quote(str(node.identity))
        ctx.sh(f"mkdir -p {shlex.quote(str(STATE_DIR))} && rm -f {key} {key}.pub && "
               f"ssh-keygen -q -t ed25519 -N '' -C labconform-nodes -f {key}")

    return Step("SSH key for the node", (), check, apply, ("ssh-keygen -t ed25519",))


def ssh_step(ctx: Context, node: Node) -> Step:
    t = ctx.target

    def check() -> tuple[bool, str]:
        if node.known_key() is None:
            return False, f"no known host key for {node.address}"
        res = t.run(" ".join(shlex.quote(a) for a in ssh_argv(node, "true")), timeout=20)
        return res.ok, f"ssh root@{node.address} answers" if res.ok else \
            f"ssh root@{node.address}: {(res.stderr.strip() or 'no answer')[-200:]}"

    def apply() -> None:
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
        wait_or_fail(lambda: check()[0], 30, 0.5, f"ssh root@{node.address}", lambda msg: f"{msg}: {check()[1]}")

    return Step("node reached over SSH", (), check, apply,
                ("authorized_keys on the node; its host key into known_hosts; ssh root@ADDRESS true",))


def upstream_resolver(t: Target) -> str:
    """The lab host's own name servers, loopback ones left out (a container cannot reach them), as resolv.conf."""
    text = t.read_text("/etc/resolv.conf") or ""
    servers = [line.split()[1] for line in text.splitlines() if line.startswith("nameserver ") and len(line.split()) > 1
               and not line.split()[1].startswith(("127.", "::1"))]
    return "".join(f"nameserver {s}\n" for s in servers if re.fullmatch(r"[0-9a-fA-F.:]+", s))


def resolver_step(ctx: Context, node: Node) -> Step:
    """The node resolves names through the lab host's name servers, as a VM through its site's. Docker's own
    resolver (127.0.0.11 on a user network) answers through NAT rules in the node's network namespace, which
    the document's firewalld step flushes on its reload: every name lookup in the node failed after it."""
    t = ctx.target

    def check() -> tuple[bool, str]:
        want = upstream_resolver(t)
        if not want:
            return True, "the lab host has no name server a container can reach: Docker's resolver kept"
        have = node_exec(t, node, "cat", "/etc/resolv.conf").stdout
        servers = " ".join(line.split()[1] for line in have.splitlines() if line.startswith("nameserver "))
        return have == want, f"{node.container} resolves through {servers or 'nothing'}"

    def apply() -> None:
        res = node_exec(t, node, "sh", "-c", 'printf %s "$1" > /etc/resolv.conf', "sh", upstream_resolver(t))
        if not res.ok:
            raise StepFailed(f"cannot write {node.container}'s /etc/resolv.conf: {res.stderr.strip()}")

    return Step("node's name servers", (), check, apply, ("the lab host's nameserver lines into /etc/resolv.conf",))


def booted(ctx: Context, node: Node) -> None:
    """Wait (bounded) until the node's systemd has finished booting: running, or degraded with a reason."""

    def state() -> str:
        res = node_exec(ctx.target, node, "systemctl", "is-system-running", timeout=10)
        return res.stdout.strip()

    ctx.say(f"waiting for systemd on {node.container} to finish booting (at most {BOOT_TIMEOUT_S} s)")
    wait_or_fail(lambda: state() in ("running", "degraded"), BOOT_TIMEOUT_S, 0.5, f"systemd booted on {node.container}",
                 lambda msg: f"{msg} (is-system-running: {state() or 'no answer'})")
    if state() == "degraded":
        failed = node_exec(ctx.target, node, "systemctl", "--failed", "--no-legend", "--plain").stdout.strip()
        ctx.say(f"systemd on {node.container} is degraded: {failed}")
