"""Time: the lab's clock synchronised over NTP against the servers the lab declares (rocky-03), and the NTP
server a lab host serves to its nodes on the lab network (they reach no other)."""

from __future__ import annotations

from typing import Any

from labconform.host.sysinfo import clock
from provision.core import Step, StepFailed, wait_or_fail

CHRONY_SOURCES = "/etc/chrony/sources.d/labconform.sources"
CHRONY_CONF = "/etc/chrony/chrony.conf"
CHRONY_DEFAULTS = "/etc/default/chrony"
# a node shares the lab host's kernel clock: its chronyd measures and reports, and never sets it (-x)
CONTAINER_OPTS = 'DAEMON_OPTS="-F 1 -x"\n'
POLICY_RC = "/usr/sbin/policy-rc.d"


def sources_text(servers: tuple[str, ...]) -> str:
    return "".join(f"server {s} iburst\n" for s in servers)


def without_pools(conf: str) -> str:
    """chrony.conf with its default public pools commented out: the lab's declared servers replace them."""
    return "".join(f"#{ln}" if ln.startswith("pool ") else ln for ln in conf.splitlines(keepends=True))


def in_container(ctx: Any) -> bool:
    return ctx.target.run("systemd-detect-virt --container --quiet").ok


def time_sync_step(ctx: Any) -> Step:
    """chrony enabled and running (the installer's NTP); where the lab declares its NTP servers, those in place
    of the public pools, and the clock synchronised to them."""
    rhel = ctx.state.facts.family == "rhel"
    svc = "chronyd" if rhel else "chrony"
    servers = tuple(ctx.params.ntp_servers)
    install = "dnf -y install chrony" if rhel else \
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 chrony"

    def check() -> tuple[bool, str]:
        s = ctx.state.service(svc)
        if not (s["enabled"] and s["active"]):
            return False, f"{svc}: enabled {s['enabled']}, running {s['active']}"
        if not servers:
            return True, f"{svc} enabled and running"
        if ctx.state.text(CHRONY_SOURCES) != sources_text(servers):
            return False, f"{CHRONY_SOURCES} does not name {', '.join(servers)}"
        conf = ctx.state.text(CHRONY_CONF) or ""
        if without_pools(conf) != conf:
            return False, f"{CHRONY_CONF} still names public pools"
        if in_container(ctx) and ctx.state.text(CHRONY_DEFAULTS) != CONTAINER_OPTS:
            return False, f"{CHRONY_DEFAULTS} lets chronyd set the lab host's shared clock (no -x)"
        c = clock(ctx.target)
        ref = c.get("tracking", {}).get("Reference ID", "none")
        # chronyc -n names the source by address: where the lab declares addresses, it must be one of them
        literal = all(s.replace(".", "").isdigit() for s in servers)
        ok = c["synchroniser"] == "chrony" and c["synchronised"] and (not literal or any(f"({s})" in ref
                                                                                         for s in servers))
        return ok, f"chrony synchronised to {ref}" if ok else f"chrony not synchronised (reference {ref})"

    def apply() -> None:
        ctx.sh(install, timeout=600)
        if servers:
            if rhel:
                raise StepFailed("declared ntp_servers are written for Debian's chrony layout only")
            ctx.put(CHRONY_SOURCES, sources_text(servers).encode())
            conf = ctx.state.text(CHRONY_CONF) or ""
            if without_pools(conf) != conf:
                ctx.put(CHRONY_CONF, without_pools(conf).encode())
            if in_container(ctx) and ctx.state.text(CHRONY_DEFAULTS) != CONTAINER_OPTS:
                ctx.put(CHRONY_DEFAULTS, CONTAINER_OPTS.encode())
        ctx.sh(f"systemctl enable {svc}", f"systemctl restart {svc}")
        if servers:
            wait_or_fail(lambda: clock(ctx.target)["synchronised"], 60, 1,
                         f"chrony synchronised to {', '.join(servers)}")

    cmds = (install,)
    if servers:
        cmds += (f"write {CHRONY_SOURCES}: " + "; ".join(f"server {s} iburst" for s in servers),
                 f"comment out the public pools in {CHRONY_CONF}")
    return Step("clock synchronised over NTP", ("rocky-03",), check, apply, (*cmds, f"systemctl enable --now {svc}"))


def steps(ctx: Any) -> list[Step]:
    """Where systemd can run chrony; elsewhere rocky-03 says why not."""
    return [time_sync_step(ctx)] if ctx.state.facts.systemd_is_init else []


# --- the lab host's NTP server for its nodes ------------------------------------------------------

SERVER_CONF = "/etc/labconform/chrony-lab.conf"
SERVER_PID = "/run/labconform/chronyd-lab.pid"  # not chrony-lab.pid: the supervisor keeps that one


def server_conf(address: str, subnet: str) -> str:
    # the lab host's own clock, served at a modest stratum to the lab network only; this chronyd never
    # adjusts the lab host's clock (-x) and answers no chronyc (cmdport 0): it is not the host's synchroniser
    return (f"# labconform: NTP for the lab network {subnet}\n"
            f"local stratum 8\nallow {subnet}\nbindaddress {address}\ncmdport 0\npidfile {SERVER_PID}\n")


def server_step(ctx: Any, address: str, subnet: str) -> Step:
    from labconform.host.services import supervisor_alive
    from provision.docker.engine import stop_supervised

    want = server_conf(address, subnet)

    def check() -> tuple[bool, str]:
        # the pid file's process must be this server: a pid left by a killed one may name another process now
        serving = ctx.target.run('pid=$(cat %s 2>/dev/null) && grep -qF %s "/proc/$pid/cmdline" 2>/dev/null',
                                 SERVER_PID, SERVER_CONF).ok
        ok = ctx.state.text(SERVER_CONF) == want and supervisor_alive(ctx.target, "chrony-lab") and serving
        return ok, f"chronyd serves NTP on {address} to {subnet}" if ok else f"no NTP server on {address}"

    def apply() -> None:
        if not ctx.state.package("chrony"):
            # the package's own daemon must not start here: it would try to set this host's clock from the
            # public pools; only the lab network's server below runs
            guard = ctx.state.raw(POLICY_RC) is None
            if guard:
                ctx.put(POLICY_RC, b"#!/bin/sh\nexit 101\n", 0o755)
            try:
                ctx.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 chrony",
                       timeout=600)
            finally:
                if guard:
                    ctx.target.run("rm -f %s", POLICY_RC)
        ctx.put(SERVER_CONF, want.encode())
        stop_supervised(ctx, "chrony-lab")
        # a server killed with the rest of the lab host leaves its pid file; chronyd refuses to start while the
        # pid in it is alive, and after a while that pid is some other process
        ctx.target.run("rm -f %s", SERVER_PID)
        start_server(ctx)
        wait_or_fail(lambda: check()[0], 15, 0.5, f"chronyd serving on {address}",
                     lambda msg: f"{msg}; see /var/log/labconform/chrony-lab.log")

    cmds = ("apt-get install -y chrony  (its own daemon not started)", f"write {SERVER_CONF}",
            f"supervise.sh chrony-lab chronyd -d -x -f {SERVER_CONF}")
    return Step("NTP server for the lab network", (), check, apply, cmds)


def start_server(ctx: Any) -> None:
    """The lab network's NTP server under labconform's supervisor (its config written by server_step)."""
    from provision.docker.engine import restart_supervised

    restart_supervised(ctx, "chrony-lab", "/usr/sbin/chronyd", "-d", "-x", "-f", SERVER_CONF)
