"""The lab host's connection tracking: entries that still send new connections to pods that are gone.

kube-proxy (iptables mode) translates a new connection to a Service into one to a pod and the kernel
remembers that translation per connection (source address and port included). When a pod is replaced
while a client is trying to connect (a reboot gives every pod a new address), the attempts that went
to the old address stay as SYN_SENT entries with no reply. kube-proxy removes such entries for UDP
only (kubernetes/kubernetes#101607), so until the kernel expires them a new connection that happens
to reuse one of those source ports is sent to an address where nothing answers, and fails after the
kernel's three neighbour probes (about 3 s). Each new attempt on the same port renews the entry.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labconform.errors import WaitTimeout
from labconform.poll import until
from labconform.transport.target import Target

SYN_SENT_TIMEOUT_KEY = "net.netfilter.nf_conntrack_tcp_timeout_syn_sent"
_DNAT = re.compile(r'--comment "(?P<svc>[^"]+)".* -j DNAT --to-destination (?P<ip>[0-9.]+):\d+')
_SRC = re.compile(r"\bsrc=(\S+)")
_SPORT = re.compile(r"\bsport=(\d+)")


@dataclass
class Settling:
    """What waiting for the stale entries toward one address and port found."""

    how: str
    stale: list[str] = field(default_factory=list)  # at the first look: "source port -> gone address"
    waited_s: float = 0.0
    left: list[str] = field(default_factory=list)  # still there when the wait ended
    error: str = ""

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"how": self.how, "stale entries": len(self.stale), "waited_s": round(self.waited_s, 1)}
        if self.stale:
            out["first stale entries"] = self.stale[:5]
        if self.left:
            out["left after the wait"] = self.left[:5]
        if self.error:
            out["error"] = self.error
        return out


def stale_entries(lines: str, alive: set[str]) -> list[str]:
    """From `conntrack -L` lines, the entries whose translated destination (the reply's source) is not
    among the `alive` addresses, as "source port -> address"."""
    out = []
    for line in lines.splitlines():
        srcs, sports = _SRC.findall(line), _SPORT.findall(line)
        if len(srcs) >= 2 and sports and srcs[1] not in alive:
            out.append(f"{sports[0]} -> {srcs[1]}")
    return out


def await_stale_gone(target: Target, address: str, port: int, alive: set[str],
                     say: Callable[[str], None] | None = None) -> Settling:
    """Wait, at most the lab's own SYN_SENT timeout plus 5 s, until no SYN_SENT entry toward
    address:port is translated to an address outside `alive`; a table that cannot be read is said,
    not waited on."""
    how = f"conntrack -L -p tcp --state SYN_SENT --orig-dst {address} --dport {port} on the lab host"
    res = target.run("sysctl -n %s", SYN_SENT_TIMEOUT_KEY)
    bound = min(300, int(res.stdout.strip()) if res.rc == 0 and res.stdout.strip().isdigit() else 120) + 5
    settling = Settling(how)
    start, told = time.monotonic(), [0.0]

    def read() -> list[str] | None:  # the entries left, or None: the table cannot be read (said, not waited on)
        res = target.run("conntrack -L -p tcp --state SYN_SENT --orig-dst %s --dport %s", address, str(port))
        if res.rc != 0:
            settling.error = f"exit {res.rc}: {res.stderr.strip()[-200:]}"
            return None
        left = stale_entries(res.stdout, alive)
        settling.stale, settling.left = settling.stale or left, left
        settling.waited_s = time.monotonic() - start
        if left and say and time.monotonic() - told[0] >= 10:
            entries = f"{len(left)} connection entr{'y' if len(left) == 1 else 'ies'}"
            say(f"{entries} on the lab host still send {address}:{port} to pods that are gone (kubernetes#101607); "
                f"waiting for the kernel to expire them ({settling.waited_s:.0f} of at most {bound} s)")
            told[0] = time.monotonic()
        return left

    with contextlib.suppress(WaitTimeout):  # what is left after the bound is in settling.left
        until(read, lambda left: not left, timeout=bound, interval=2, what="stale connection entries gone")
    return settling


def nat_destinations(rules: str, service: str) -> set[str]:
    """The pod addresses kube-proxy's iptables rules (`iptables-save -t nat`) send a Service to, from the
    comment it puts on each rule ("default/hw", or "default/hw:port" for a named port)."""
    out = set()
    for m in _DNAT.finditer(rules):
        if m["svc"] == service or m["svc"].startswith(f"{service}:"):
            out.add(m["ip"])
    return out


def proxy_current(target: Target, service: str, alive: set[str]) -> bool:
    """Whether kube-proxy's rules on the lab host send `service` ("namespace/name") only to `alive` pods. A
    host whose rules cannot be read, or that has none for the Service (not the iptables mode), says nothing
    against it: True."""
    res = target.run("iptables-save -t nat")
    found = nat_destinations(res.stdout, service) if res.rc == 0 else set()
    return not found or found <= alive
