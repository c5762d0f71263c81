"""`python -m labconform capture`: a feature file of vocabulary claims (docs/vocabulary.md) written from what a
lab holds now, as `goss autoadd` does: its packages, services, TCP listeners, users, groups, mounts and Docker
images, one claim each, sorted and stable, each with a comment of what it was read from. An admin reviews it
and keeps what the lab is meant to hold in `labs/<lab>/features/`; run after a change, it shows the drift.

Each kind is read in one command (labconform.host.inventory); nothing on the lab is changed."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from labconform.errors import LabUnreachable, UsageError
from labconform.host import inventory
from labconform.option_values import Parser
from labconform.redact import redact_text
from labconform.transport import reach
from labconform.transport.target import Target

USAGE = 4
# mounts that come and go with containers and pods, and the kernel's own
TRANSIENT_MOUNTS = ("/var/lib/docker/", "/var/lib/kubelet/", "/run/containerd/", "/run/netns/", "/run/docker/",
                    "/proc/", "/sys/", "/dev/", "/run/user/", "/var/lib/containerd/")


@dataclass(frozen=True)
class Captured:
    """One claim made from the lab: its id, title, sentences, and what it was made from."""

    kind: str
    key: str
    title: str
    steps: tuple[str, ...]
    source: str


def _quotable(*values: str) -> bool:
    return all('"' not in v and "\n" not in v and v for v in values)


def packages(t: Target) -> Iterator[Captured]:
    table = inventory.packages(t)
    for name, version in sorted(table.rows.items()):
        if _quotable(name, version):
            yield Captured("package", name, f"the package {name} is installed",
                           (f'the package "{name}" is installed at version "== {version}"',), f"{table.how}: {version}")


def services(t: Target) -> Iterator[Captured]:
    if not t.facts.systemd_is_init:
        return
    table = inventory.services(t)
    for name in sorted(table.rows["running"]):
        if _quotable(name):
            enabled = name in table.rows["enabled"]
            steps = (f'the service "{name}" is running',) + (
                (f'the service "{name}" is enabled at boot',) if enabled else ())
            yield Captured("service", name, f"the service {name} runs" + (" and starts at boot" if enabled else ""),
                           steps, table.how)


def ports(t: Target) -> Iterator[Captured]:
    table = inventory.listeners(t)
    by_port: dict[int, set[str]] = {}
    for row in table.rows:
        by_port.setdefault(row["port"], set()).update(row["processes"])
    for port, names in sorted(by_port.items()):
        steps = tuple(f'TCP port {port} is listened on by "{n}"' for n in sorted(names) if _quotable(n)) or (
            f"TCP port {port} is listening",)
        yield Captured("port", str(port), f"TCP port {port} is listening", steps,
                       f"{table.how}: {', '.join(sorted(names)) or 'no process shown'}")


def users(t: Target) -> Iterator[Captured]:
    table = inventory.users(t)
    for name, u in sorted(table.rows.items()):
        if _quotable(name, u["shell"]):
            yield Captured("user", name, f"the user {name}", (f'the user "{name}" has the uid {u["uid"]}',
                                                              f'the user "{name}" has the shell "{u["shell"]}"'),
                           f"{table.how}: uid {u['uid']}, shell {u['shell']}")


def groups(t: Target) -> Iterator[Captured]:
    table = inventory.groups(t)
    for name, g in sorted(table.rows.items()):
        members = [m for m in sorted(g["members"]) if _quotable(m)]
        if members and _quotable(name):
            yield Captured("group", name, f"the members of the group {name}",
                           tuple(f'the user "{m}" is in the group "{name}"' for m in members),
                           f"{table.how}: {', '.join(members)}")


def mounts(t: Target) -> Iterator[Captured]:
    table = inventory.mounts(t)
    last = {m["path"]: m for m in table.rows}  # the last mount on a path is the one in force
    for path, m in sorted(last.items()):
        if not path.startswith(TRANSIENT_MOUNTS) and path not in ("/proc", "/sys", "/dev") and _quotable(path):
            yield Captured("mount", path, f"{path} is mounted as {m['type']}",
                           (f'"{path}" is mounted as "{m["type"]}"',), f"{table.how}: {m['source']} {m['type']}")


def images(t: Target) -> Iterator[Captured]:
    table = inventory.images(t)
    for ref in table.rows:
        if _quotable(ref):
            yield Captured("image", ref, f"the Docker image {ref} is present",
                           (f'the Docker image "{ref}" is present',), table.how)


KINDS: dict[str, Callable[[Target], Iterator[Captured]]] = {
    "packages": packages, "services": services, "ports": ports, "users": users, "groups": groups,
    "mounts": mounts, "images": images}


def claim_id(c: Captured, prefix: str) -> str:
    return f"{prefix}-{c.kind}-" + re.sub(r"[^A-Za-z0-9._+-]+", "-", c.key).strip("-")


def render(target: str, captured: list[Captured], prefix: str) -> str:
    out = [f"# Captured by `python -m labconform capture` from {target}: what the lab held when it was read.",
           "# Review it: keep what the lab is meant to hold, delete the rest, and keep the file in",
           "# labs/<lab>/features/.",
           "@section:own", f"Feature: Captured from {target}", "",
           "  Background:", "    Given the lab host", ""]
    seen: set[str] = set()
    for c in captured:
        cid = claim_id(c, prefix)
        if cid in seen:
            continue
        seen.add(cid)
        out += [f"  # from: {redact_text(c.source)[:300]}", f"  @id:{cid}", f"  Scenario: {c.title}"]
        out += [f"    {'Then' if i == 0 else 'And'} {s}" for i, s in enumerate(c.steps)] + [""]
    return "\n".join(out)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = Parser(prog="python -m labconform capture",
                description="Write a feature file of claims from what the lab holds now, for an admin to review.")
    reach.add_arguments(ap)
    ap.add_argument("--only", default=",".join(KINDS), help=f"comma-separated kinds ({','.join(KINDS)})")
    ap.add_argument("--prefix", default="cap", help="the claims' id prefix (cap): ids are <prefix>-<kind>-<name>")
    ap.add_argument("--out", type=reach.path_value, help="the feature file to write (default: the terminal)")
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    if not kinds or set(kinds) - set(KINDS):
        ap.error(f"--only: kinds among {', '.join(KINDS)}, not {args.only!r}")
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", args.prefix):
        ap.error("--prefix: a lower-case letter, then letters, digits or dashes, 32 at most")
    args.kinds = kinds
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    target = Target(args.target, ssh=reach.LabReach.of(args).ssh())
    try:
        captured = [c for kind in args.kinds for c in KINDS[kind](target)]
    except (LabUnreachable, inventory.ReadFailed, UsageError) as exc:
        print(redact_text(f"python -m labconform capture: {exc}"), file=sys.stderr)
        return USAGE if isinstance(exc, UsageError) else 1
    finally:
        target.close()
    text = render(args.target, captured, args.prefix)
    if args.out:
        Path(args.out).write_text(text)
        print(f"capture: {len(captured)} claims from {args.target} in {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
