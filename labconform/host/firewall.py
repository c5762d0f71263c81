"""The host's firewall as firewalld sees it (permanent and runtime), and as the lab host meets it: a TCP
connection from the machine running the checks to the lab's own address."""

from __future__ import annotations

import errno
import random
import socket
import time
from typing import Any

from labconform.errors import WaitTimeout
from labconform.judged import Judged
from labconform.poll import until
from labconform.transport.target import Target

MODES = ("permanent", "runtime")
# where the short-lived listener of the closed-port check goes: below the NodePort range, above the usual services
SCRATCH_PORTS = range(20000, 30000)
LISTENER_LIFETIME_S = 60


def firewalld_in_charge(target: Target) -> Judged:
    """firewalld runs (`firewall-cmd --state`); the firewall claims are not applicable where it does not."""
    if not target.command_exists("firewall-cmd"):
        state, how = "absent", "command -v firewall-cmd"
    else:
        res = target.run("firewall-cmd --state")
        state, how = res.stdout.strip() or res.stderr.strip(), f"firewall-cmd --state (exit {res.rc})"
    return Judged(state == "running", "firewalld", "running", state, how, not_applicable="" if state == "running"
                  else f"firewalld is not in charge of this host's firewall ({how}: {state})")


def parse_list_all(text: str) -> dict[str, Any]:
    """`firewall-cmd --list-all` as {key: [values]}: "ports": ["6443/tcp", ...], "rich rules": [one rule a line],
    "target": ["default"]; the zone's name (and "(active)") under "zone"."""
    out: dict[str, Any] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith((" ", "\t")):
            out["zone"] = line.split()
            continue
        if line.startswith("\t") and key == "rich rules":  # one rich rule a line, below its key
            out[key].append(line.strip())
            continue
        key, _, value = line.strip().partition(":")
        out[key] = value.split()
    return out


def list_all(target: Target, zone: str = "public", mode: str = "runtime") -> dict[str, Any]:
    res = target.run(list_all_command(zone, mode))
    if res.rc != 0:
        return {"error": f"exit {res.rc}: {(res.stderr or res.stdout).strip()[-200:]}"}
    return parse_list_all(res.stdout)


def list_all_command(zone: str, mode: str) -> str:
    return f"firewall-cmd {'--permanent ' if mode == 'permanent' else ''}--zone={zone} --list-all"


def zone_configs(target: Target, zone: str = "public") -> tuple[dict[str, dict[str, Any]], str]:
    """The zone as firewalld holds it on disk (permanent) and in force now (runtime), and how it was read."""
    found = {mode: list_all(target, zone, mode) for mode in MODES}
    return found, " and ".join(list_all_command(zone, m) for m in MODES)


def judged_ports_open(target: Target, ports: list[str], zone: str = "public") -> Judged:
    """Each port ("6443/tcp") open in the zone permanently and at runtime; the zone as read goes with it."""
    configs, how = zone_configs(target, zone)
    missing = missing_ports(configs, ports)
    return Judged(missing == [], f"ports missing from the {zone} zone", [], missing, how, details={"zone": configs})


def judged_source_accepted(target: Target, cidr: str, zone: str = "public") -> Judged:
    """The zone accepts traffic from `cidr` (a source, or a rich rule accepting it) permanently and at runtime;
    the rich rules of each configuration go with it."""
    configs, how = zone_configs(target, zone)
    lacking = [m for m in MODES if not accepts_source(configs[m], cidr)]
    return Judged(lacking == [], f"configurations of the {zone} zone not accepting {cidr}", [], lacking, how,
                  details={"rules": {m: configs[m].get("rich rules", []) for m in MODES}})


def missing_ports(configs: dict[str, dict[str, Any]], ports: list[str]) -> list[str]:
    """Each wanted port ("6443/tcp") absent from a mode's configuration, named with the mode."""
    return [f"{p} {mode}" for mode in MODES for p in ports if p not in configs[mode].get("ports", [])]


def accepts_source(zone: dict[str, Any], cidr: str) -> bool:
    if cidr in zone.get("sources", []):
        return True
    return any(f'source address="{cidr}"' in r and r.endswith("accept") for r in zone.get("rich rules", []))


def outside_address(target: Target) -> str | None:
    """The lab's address as this machine (the lab host, running the checks) reaches it; None when the lab is
    this machine itself, whose connections to itself pass through loopback, which no firewall filters."""
    if target.is_local or not target.url.hostname:
        return None
    return socket.gethostbyname(target.url.hostname)


def connect(address: str, port: int, timeout: float = 3) -> dict[str, Any]:
    """One TCP connection from this machine: {"connected": bool, "result": what happened, "seconds": ...}."""
    t0 = time.monotonic()
    try:
        with socket.create_connection((address, port), timeout=timeout):
            result, ok = "connected", True
    except TimeoutError:
        result, ok = f"no answer within {timeout:g} s (filtered)", False
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, "")
        result, ok = f"{name or type(exc).__name__}: {exc.strerror or exc}", False
    return {"connected": ok, "result": result, "seconds": round(time.monotonic() - t0, 3),
            "from": socket.gethostname(), "to": f"{address}:{port}"}


def judged_connect(address: str, port: int, timeout: float = 3) -> Judged:
    """A TCP connection from this machine (the lab host) to the lab's `address`:`port` is accepted; what
    `connect` saw goes with it."""
    c = connect(address, port, timeout)
    return Judged(c["connected"], f"TCP {address}:{port} from the lab host", "connected", c["result"],
                  f"TCP connect from {c['from']} to {c['to']}", details=c)


def free_port(target: Target, runtime: dict[str, Any]) -> int:
    """A TCP port nobody listens on and the runtime zone does not open by number."""
    listening = target.run("ss -Hltn").stdout
    used = {int(f.rsplit(":", 1)[1]) for line in listening.splitlines() for f in line.split()[3:4] if ":" in f}
    opened: set[int] = set()
    for entry in runtime.get("ports", []):  # "6443/tcp" or a range "20000-20100/tcp"
        low, _, high = entry.split("/")[0].partition("-")
        opened.update(range(int(low), int(high or low) + 1))
    return next(p for p in random.sample(SCRATCH_PORTS, len(SCRATCH_PORTS)) if p not in used | opened)


def judged_closed_port(target: Target, address: str, zone: str = "public") -> Judged:
    """A listener started on the lab for a port the firewall does not open (bounded, removed in the end):
    it answers inside the lab at `address`, and a connection to it from this machine is refused or filtered."""
    port = free_port(target, list_all(target, zone, "runtime"))
    # python3, or RHEL 8's platform-python where no python3 is installed
    listener = (f"timeout {LISTENER_LIFETIME_S} $(command -v python3 || echo /usr/libexec/platform-python) "
                f"-m http.server {port} --bind 0.0.0.0")
    started = target.run(f"nohup {listener} >/dev/null 2>&1 </dev/null & echo $!")
    pid = started.stdout.strip()
    inside_cmd = f"curl -s -o /dev/null -m 2 -w %{{http_code}} http://{address}:{port}/"
    try:
        try:  # until the listener answers inside, bounded; what it last said is the finding either way
            inside = until(lambda: target.run(inside_cmd).stdout.strip(), lambda s: s == "200", timeout=10,
                           what="the listener answering inside")
        except WaitTimeout as late:
            inside = late.last if isinstance(late.last, str) else ""
        outside = connect(address, port)
    finally:
        if pid.isdigit():
            target.run(f"kill {pid}")
    found = {"port": port, "inside": f"HTTP {inside or 'no answer'}", "outside": outside["result"]}
    how = (f"on the lab: {listener} (pid {pid or '?'}, killed after); inside: {inside_cmd}; "
           f"from the lab host {outside['from']}: TCP connect to {outside['to']}")
    return Judged(found["inside"] == "HTTP 200" and not outside["connected"], f"a listener on unopened port {port}",
                  {"inside": "HTTP 200", "outside": "refused or filtered"}, found, how, details={"outside": outside})
