"""The nodes this lab host keeps: their names, their addresses on the lab network, the SSH key and
known_hosts they share, recorded under STATE_DIR."""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from labconform.errors import UsageError
from labconform.transport.reach import LabReach

NETWORK = "labconform-lab"
SUBNET = ipaddress.ip_network("172.30.0.0/24")
GATEWAY = "172.30.0.1"
FIRST_HOST = 10
STATE_DIR = Path(os.environ.get("LABCONFORM_NODES_DIR", "/var/lib/labconform/nodes"))
LABEL = "org.labconform.node"
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


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
        """The options that reach the node, as every command takes them (labconform.transport.reach)."""
        return LabReach(self.target, known_hosts=str(self.known_hosts), ssh_identity=str(self.identity)).argv()

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
