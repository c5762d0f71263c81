"""The link ("Glitch"): the interfaces that carry the lab's traffic, what their drivers report,
their error and drop counters, and a measured transfer over the Docker bridge."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from labconform.docker.containers import ROLE_LABEL, RUN_LABEL, DockerLab
from labconform.errors import WaitTimeout
from labconform.judged import Judged
from labconform.poll import until
from labconform.transport.target import Target

# the counters a failing cable, port or driver makes grow
COUNTERS = ("rx_errors", "tx_errors", "rx_dropped", "tx_dropped", "rx_crc_errors", "rx_frame_errors",
            "rx_fifo_errors", "rx_missed_errors", "rx_over_errors", "tx_carrier_errors", "tx_fifo_errors",
            "tx_aborted_errors", "collisions")
# the bridges a lab's containers and pods use, when they exist
LAB_BRIDGES = ("docker0", "cni0", "flannel.1")
SINK_PORT = 5001

# one round trip: every interface's state and counters, and the default route's interface
_READ = r"""
dev=$(ip -o route show default 2>/dev/null | awk '{for (i=1;i<NF;i++) if ($i=="dev") print $(i+1)}')
echo "default=$(echo $dev | tr '\n' ' ')"
ip -o route show default 2>/dev/null | sed 's/^/route=/'
ip -o addr show 2>/dev/null | awk '{print "addr=" $2 " " $4 " " ($0 ~ / scope global/ ? "global" : "local")}'
for d in /sys/class/net/*; do
  i=${d##*/}
  echo "iface=$i"
  echo "operstate=$(cat $d/operstate 2>/dev/null)"
  echo "flags=$(cat $d/flags 2>/dev/null)"
  echo "carrier=$(cat $d/carrier 2>/dev/null)"
  echo "speed=$(cat $d/speed 2>/dev/null)"
  echo "duplex=$(cat $d/duplex 2>/dev/null)"
  [ -e $d/device ] && echo "driver=$(basename $(readlink -f $d/device/driver) 2>/dev/null)"
  if [ -d $d/bridge ]; then
    echo "bridge_ports=$(ls $d/brif 2>/dev/null | wc -l)"
    up=$(for p in $d/brif/*; do [ -e "$p" ] && cat /sys/class/net/${p##*/}/operstate; done | grep -cx up)
    echo "bridge_ports_up=$up"
  fi
  for c in $d/statistics/*; do echo "stat.${c##*/}=$(cat $c)"; done
done
"""


@dataclass
class Interface:
    name: str
    operstate: str = ""
    flags: int = 0
    carrier: str = ""
    speed: int | None = None
    duplex: str = ""
    driver: str | None = None  # set only for an interface backed by a device (not a bridge or veth)
    bridge_ports: int | None = None
    bridge_ports_up: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)  # of global scope (neither loopback nor link-local)

    @property
    def admin_up(self) -> bool:
        return bool(self.flags & 0x1)  # IFF_UP

    @property
    def up(self) -> bool:
        """Carrying traffic: operationally up (or 'unknown' with carrier, as some virtual drivers say)."""
        return self.operstate == "up" or (self.operstate == "unknown" and self.carrier == "1")

    @property
    def carries_what_it_should(self) -> bool:
        """Up; or, for a bridge, administratively up with no port up yet (the kernel then reports
        the bridge down: it has nothing to carry, as between two containers' lives)."""
        if self.bridge_ports is not None and self.bridge_ports_up == 0:
            return self.admin_up
        return self.up

    @property
    def reports_link(self) -> bool:
        """The driver tells speed and duplex (virtio and most virtual drivers do not)."""
        return self.speed is not None and self.speed > 0 and self.duplex in ("full", "half")

    def state(self) -> dict[str, Any]:
        d: dict[str, Any] = {"operstate": self.operstate, "admin": "up" if self.admin_up else "down"}
        if self.driver:
            d["driver"] = self.driver
        if self.bridge_ports is not None:
            d["bridge ports"] = f"{self.bridge_ports} attached, {self.bridge_ports_up} up"
        if self.reports_link:
            d.update(speed_mbps=self.speed, duplex=self.duplex)
        return d


@dataclass
class Snapshot:
    """All interfaces of the host at one moment."""

    taken: float
    default: list[str]
    interfaces: dict[str, Interface]
    command: str = "ip route show default; ip addr show; /sys/class/net/*/{operstate,flags,speed,duplex,statistics}"
    routes: list[str] = field(default_factory=list)  # the default routes, as `ip -o route show default` says them

    def addressed(self) -> dict[str, list[str]]:
        """The interfaces other than loopback with an address of global scope, and those addresses."""
        return {n: i.addresses for n, i in self.interfaces.items() if i.addresses and n != "lo"}


def read(t: Target) -> Snapshot:
    res = t.run(_READ)
    default: list[str] = []
    routes: list[str] = []
    addrs: list[tuple[str, str]] = []
    ifaces: dict[str, Interface] = {}
    cur: Interface | None = None
    for line in res.stdout.splitlines():
        key, _, value = line.partition("=")
        value = value.strip()
        if key == "default":
            default = value.split()
        elif key == "route":
            routes.append(" ".join(value.split()))
        elif key == "addr" and value.endswith(" global"):
            name, address, _ = value.split()
            addrs.append((name.split("@", 1)[0], address))
        elif key == "iface":
            cur = ifaces.setdefault(value, Interface(value))
        elif cur is None:
            continue
        elif key.startswith("stat."):
            if value.lstrip("-").isdigit():
                cur.stats[key[5:]] = int(value)
        elif key == "flags":
            cur.flags = int(value, 16) if value else 0
        elif key == "speed":
            cur.speed = int(value) if value.lstrip("-").isdigit() else None
        elif key == "bridge_ports":
            cur.bridge_ports = int(value or 0)
        elif key == "bridge_ports_up":
            cur.bridge_ports_up = int(value or 0)
        elif key in ("operstate", "carrier", "duplex", "driver"):
            setattr(cur, key, value or None if key == "driver" else value)
    for name, address in addrs:
        if name in ifaces:
            ifaces[name].addresses.append(address)
    return Snapshot(time.time(), default, ifaces, routes=routes)


ROUTE_HOW = "ip -o route show default; ip -o addr show; /sys/class/net/<interface>/operstate"


def judged_route_out(snap: Snapshot) -> Judged:
    """The host's way out: a default route through an interface that is up and has an address of its own
    (neither loopback nor link-local). A container bridge that is up carries nothing off the host."""
    via = {n: snap.interfaces[n] for n in snap.default if n in snap.interfaces}
    ok = bool(snap.routes) and any(i.up and i.addresses for i in via.values())
    found = {"default route": snap.routes or "none",
             **{f"{n} (its interface)": {"operstate": i.operstate, "addresses": i.addresses or "none"}
                for n, i in via.items()},
             "addressed interfaces": snap.addressed() or "none besides loopback"}
    return Judged(ok, "the host's network", {"default route": "present", "its interface": "up, with an address that "
                  "is neither loopback nor link-local"}, found, ROUTE_HOW)


def lab_interfaces(snap: Snapshot, declared: tuple[str, ...] = ()) -> list[str]:
    """The interfaces the lab's traffic crosses: the lab's declaration, else the default route's
    interface and the container and pod bridges that exist."""
    if declared:
        return list(declared)
    names = [n for n in snap.default if n in snap.interfaces]
    return names + [b for b in LAB_BRIDGES if b in snap.interfaces and b not in names]



def judged_up(snap: Snapshot, declared: tuple[str, ...] = ()) -> Judged:
    """Every interface the lab's traffic crosses is up (a bridge with no port up: administratively up)."""
    names = lab_interfaces(snap, declared)
    state = {n: snap.interfaces[n].state() if n in snap.interfaces else "absent" for n in names}
    ok = bool(names) and all(n in snap.interfaces and snap.interfaces[n].carries_what_it_should for n in names)
    return Judged(ok, "lab interfaces", {n: "up" for n in names} or "at least one", state, snap.command,
                  details={"default_route": snap.default})

# a software bridge counts as tx_dropped every frame it has no port to deliver to (the host's ARP or
# broadcast on docker0 while no container is attached, as happens between runs on a shared engine):
# that is the bridge working, not a link failing, so it is shown and not judged
NOT_JUDGED_ON_BRIDGES = ("tx_dropped",)


def judged(iface: Interface | None, counter: str) -> bool:
    return not (iface is not None and iface.bridge_ports is not None and counter in NOT_JUDGED_ON_BRIDGES)


def counter_growth(before: Snapshot, after: Snapshot, names: list[str],
                   judged_only: bool = True) -> dict[str, dict[str, int]]:
    """The error and drop counters that grew between two snapshots, per interface (with
    `judged_only`, without the counters a bridge increments by design)."""
    grown: dict[str, dict[str, int]] = {}
    for n in names:
        a, b = before.interfaces.get(n), after.interfaces.get(n)
        if a is None or b is None:
            continue
        d = {c: b.stats[c] - a.stats[c] for c in COUNTERS if c in a.stats and c in b.stats
             and b.stats[c] > a.stats[c] and (judged(b, c) or not judged_only)}
        if d:
            grown[n] = d
    return grown



def judged_counters(before: Snapshot, now: Snapshot, declared: tuple[str, ...] = ()) -> Judged:
    """The error and drop counters of the lab's interfaces have not grown between two snapshots; what a bridge
    counts by design is shown and not judged."""
    names = lab_interfaces(now, declared)
    grown = counter_growth(before, now, names)
    shown = {n: {c: v for c, v in d.items() if not judged(now.interfaces[n], c)}
             for n, d in counter_growth(before, now, names, judged_only=False).items()}
    return Judged(not grown, "error and drop counters", "no growth", grown or "no growth",
                  f"{now.command}, at collection and now ({now.taken - before.taken:.1f} s apart)",
                  details={"interfaces": names, "before": counters(before, names), "after": counters(now, names),
                           "bridge_drops_not_judged": {n: d for n, d in shown.items() if d} or "none",
                           "why_not_judged": "a bridge counts as tx_dropped what it has no port to deliver to"})

def counters(snap: Snapshot, names: list[str]) -> dict[str, dict[str, int]]:
    return {n: {c: snap.interfaces[n].stats.get(c, 0) for c in COUNTERS if c in snap.interfaces[n].stats}
            for n in names if n in snap.interfaces}


# --- throughput over the Docker bridge ------------------------------------------------------------

# in the container: count what each connection sends, answer the count when the sender is done
SINK = (r'use IO::Socket::INET; $| = 1; my $s = IO::Socket::INET->new(LocalPort => ' + str(SINK_PORT) +
        r', Listen => 4, ReuseAddr => 1) or die "listen: $!"; print "listening\n"; while (my $c = $s->accept)'
        r' { my ($n, $b) = (0, ""); while ((my $r = sysread($c, $b, 1 << 20)) > 0) { $n += $r }'
        r' print $c "$n\n"; close $c }')

# on the host: send N MiB, half-close, wait for the receiver's count; time all of it
SEND = r"""
use strict; use warnings; use IO::Socket::INET; use Time::HiRes qw(time);
my ($host, $port, $mib) = @ARGV;
my $c = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 5) or die "connect: $!\n";
my $buf = "\0" x (1 << 20);
my $t0 = time;
for (1 .. $mib) {
    my $off = 0;
    while ($off < length $buf) {
        my $w = syswrite($c, $buf, length($buf) - $off, $off);
        die "write: $!\n" unless defined $w;
        $off += $w;
    }
}
shutdown($c, 1);
my $ack = <$c> // ''; chomp $ack;
printf "sent=%d received=%s seconds=%.6f\n", $mib << 20, $ack, time - $t0;
"""


@dataclass
class Transfer:
    """Samples of one bounded transfer from the host to a container's bridge address."""

    address: str
    mib: int
    samples: list[dict[str, Any]]
    how: str

    @property
    def complete(self) -> bool:
        return bool(self.samples) and all(s["received"] == s["sent"] for s in self.samples)

    @property
    def mbps(self) -> list[float]:
        return [round(s["sent"] * 8 / s["seconds"] / 1e6, 1) for s in self.samples if s["seconds"] > 0]

    @property
    def median_mbps(self) -> float:
        return statistics.median(self.mbps) if self.mbps else 0.0


def bridge_transfer(t: Target, dl: DockerLab, image: str, mib: int, samples: int = 3,
                    timeout: float = 30) -> Transfer:
    """Start a sink container (the run's label, removed after), then send `mib` MiB to its bridge
    address `samples` times from the host, each bounded by `timeout` seconds."""
    name = f"{dl.run_name}-link-sink"
    with dl.api(f"docker run {image} (link sink)"):
        c = dl.client.containers.run(image, ["perl", "-e", SINK], name=name, detach=True,
                                     labels={RUN_LABEL: dl.run_name, ROLE_LABEL: "link-sink"})
    try:
        try:
            until(lambda: c.logs().decode(errors="replace"), lambda out: "listening" in out, timeout=timeout,
                  interval=0.05, what=f"the sink in {name} listening")
        except WaitTimeout as exc:
            raise RuntimeError(f"{name}: {exc}") from None
        c.reload()
        address = c.attrs["NetworkSettings"]["IPAddress"]
        out: list[dict[str, Any]] = []
        for _ in range(samples):
            res = t.run("perl -e %s %s %s %s", SEND, address, str(SINK_PORT), str(mib), timeout=timeout)
            if not res.ok:
                raise RuntimeError(f"transfer to {address}:{SINK_PORT} failed: {res.stderr.strip()[-300:]}")
            kv = dict(p.split("=", 1) for p in res.stdout.split())
            out.append({"sent": int(kv["sent"]), "received": int(kv["received"] or -1),
                        "seconds": float(kv["seconds"])})
        how = (f"on the host: perl -e <send {mib} MiB, half-close, await the count> {address} {SINK_PORT}, "
               f"{samples} times, into a perl socket sink in {name} ({image})")
        return Transfer(address, mib, out, how)
    finally:
        with dl.api(f"docker rm -f {name}"):
            c.remove(force=True)



def judged_transfer(transfer: Transfer, floor_mbps: float) -> Judged:
    """Every byte of the bounded transfer arrived, and its median throughput is above the lab's floor."""
    return Judged(transfer.complete and transfer.median_mbps > floor_mbps, f"host -> {transfer.address} over docker0",
                  {"complete": True, "median Mb/s": f"> {floor_mbps:g}"},
                  {"complete": transfer.complete, "median Mb/s": transfer.median_mbps}, transfer.how,
                  details={"mib_per_sample": transfer.mib, "samples_mbps": transfer.mbps, "samples": transfer.samples},
                  kinds={"samples_mbps": "chart:mbps", "samples": "rows"})

def judged_speed(snap: Snapshot, declared: tuple[str, ...], speed_mbps: int, duplex: str) -> Judged:
    """The lab interfaces whose link can be read run at the lab's speed and duplex. A device's driver, or an
    interface the lab declares, can say how its link runs; a bridge or a veth cannot: with none that reports,
    the claim cannot be judged here."""
    names = lab_interfaces(snap, declared)
    devices = [snap.interfaces[n] for n in names if n in snap.interfaces
               and (snap.interfaces[n].driver or n in declared)]
    reporting = [i for i in devices if i.reports_link]
    silent = {i.name: f"driver {i.driver or 'virtual'}: speed {i.speed}, duplex {i.duplex or '?'}" for i in devices
              if not i.reports_link}
    want = {"speed_mbps": speed_mbps, "duplex": duplex}
    found = {i.name: {"speed_mbps": i.speed, "duplex": i.duplex} for i in reporting}
    judged = Judged(bool(reporting) and all(f == want for f in found.values()), "link speed and duplex", want, found,
                    "/sys/class/net/<interface>/{speed,duplex}", details={"not_reported": silent})
    if not reporting:
        judged.not_applicable = ("no lab interface's driver reports speed and duplex ("
                                 + ("; ".join(f"{k}: {v}" for k, v in silent.items()) or "no device-backed interface")
                                 + "); bridges and veths have no link of their own")
        judged.details = {"interfaces": names}
    return judged
