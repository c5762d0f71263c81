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
import os
import shlex
import sys
import time

from labconform.errors import LabUnreachable, UsageError
from labconform.lease import LeaseHeld, LeaseKeeper
from labconform.option_values import Parser, seconds
from labconform.params import LabParams
from labconform.transport.target import Target
from provision.core import Plan, show
from provision.node import container, image
from provision.node.container import container_state, foreign_container, network_addresses
from provision.node.state import GATEWAY, NETWORK, STATE_DIR, SUBNET, Node, all_nodes, check_name
from provision.plan import Context, apt_index_step


def host_plan(ctx: Context, node: Node) -> Plan:
    """What the lab host needs for a node: its Docker engine (the wrapper where needed), the node itself."""
    from provision.docker import engine
    from provision.host import clock
    from provision.kubernetes.build import build_step

    plan = Plan()
    plan.add(*apt_index_step(ctx), section="host")
    # the engine only: the document's non-root docker user belongs to the node, not to the lab host
    plan.add(*(s for s in engine.steps(ctx) if "docker-07" not in s.claims), section="docker")
    plan.add(build_step(ctx), section="kubernetes")
    plan.add(image.image_step(ctx), *container.steps(ctx, node), section="node")
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
    ap = Parser(prog="python -m provision.node", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("up", "list", "rm", "args"))
    ap.add_argument("name", nargs="?", default="lab1")
    ap.add_argument("--lease-wait", type=seconds, default=0, metavar="SECONDS",
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
