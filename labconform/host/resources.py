"""A lab's own claims about its host, for any name an admin writes: a package (at a version), a service, a TCP
listener, a process, a user and a group, a kernel module, a mount, a name that resolves. Each judge reads its
kind once a run (labconform.host.inventory) unless `fresh`, and hands back a Judged: expected, found, how."""

from __future__ import annotations

import re
from typing import Any

from labconform.errors import UsageError
from labconform.host import inventory, services, sysinfo
from labconform.judged import Judged
from labconform.transport.target import Target

_CONSTRAINT = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*([0-9A-Za-z][0-9A-Za-z.+~:_-]*)\s*$")


def version_holds(found: str, constraint: str) -> bool:
    """`found` meets `constraint` (">= 1.2", "< 2", "== 3.0.11-1", or a bare version: equal), compared as the
    package tools do (labconform.host.sysinfo.at_least)."""
    m = _CONSTRAINT.match(constraint)
    if not m:
        raise UsageError(f"version constraint {constraint!r}: an operator (>=, >, <=, <, ==, !=) and a version")
    op, want = m[1] or "==", m[2]
    ge, le = sysinfo.at_least(found, want), sysinfo.at_least(want, found)
    return {">=": ge, "<=": le, "==": ge and le, "=": ge and le, "!=": not (ge and le),
            ">": ge and not le, "<": le and not ge}[op]


def judged_package(t: Target, name: str, constraint: str = "", fresh: bool = False) -> Judged:
    """The package `name` is installed (at a version meeting `constraint`, when one is given)."""
    if constraint:
        version_holds("0", constraint)  # a malformed constraint is the claim's error, whatever is installed
    table = inventory.packages(t, fresh)
    version = table.rows.get(name)
    ok = version is not None and (not constraint or version_holds(version, constraint))
    expected = f"installed, version {constraint.strip()}" if constraint else "installed"
    return Judged(ok, f"package {name}", expected, version or "not installed", table.how)


def _service(t: Target, name: str, fresh: bool) -> tuple[bool, bool, str]:
    """(running, enabled at boot, how it was read): systemd's lists of services, read once a run, where systemd
    is the init; else labconform's supervisor, which runs a service now but never starts one at boot."""
    if t.facts.systemd_is_init:
        table = inventory.services(t, fresh)
        return name in table.rows["running"], name in table.rows["enabled"], table.how
    state = services.service_state(t, name)
    return bool(state["active"]), False, str(state["how"])


def judged_service_running(t: Target, name: str, running: bool = True, fresh: bool = False) -> Judged:
    """The service `name` runs now (or, `running=False`, does not)."""
    active, _, how = _service(t, name, fresh)
    return Judged(active == running, f"{name} service", "running" if running else "not running",
                  "running" if active else "not running", how)


def judged_service_enabled(t: Target, name: str, fresh: bool = False) -> Judged:
    """The service `name` starts with the host; not applicable where systemd is not the init."""
    judged = services.systemd_init(t)
    if judged.not_applicable:
        judged.not_applicable = f"{judged.not_applicable}: nothing enables {name} at boot here"
        return judged
    _, enabled, how = _service(t, name, fresh)
    return Judged(enabled, f"{name} service", "enabled at boot", "enabled" if enabled else "not enabled", how)


def judged_listening(t: Target, port: int, process: str = "", fresh: bool = False) -> Judged:
    """Something (or the process named, by the kernel's 15-character name) listens on TCP `port`."""
    table = inventory.listeners(t, fresh)
    rows = [r for r in table.rows if r["port"] == port]
    names = sorted({p for r in rows for p in r["processes"]})
    ok = bool(rows) and (not process or process[:15] in names)
    found: Any = {"addresses": sorted({r["address"] for r in rows}), "processes": names} if rows else "nothing listens"
    return Judged(ok, f"TCP port {port}", f"listened on by {process}" if process else "listening", found, table.how)


def judged_process(t: Target, name: str, count: int | None = None, user: str = "", fresh: bool = False) -> Judged:
    """A process of that name runs (exactly `count` of them; each as `user`, when given)."""
    table = inventory.processes(t, fresh)
    mine = [p for p in table.rows if p["name"] == name[:15]]
    by = sorted({p["user"] for p in mine})
    ok = (len(mine) == count if count is not None else bool(mine)) and (not user or by == [user])
    expected = {"count": count if count is not None else ">= 1", **({"user": user} if user else {})}
    found = {"count": len(mine), "users": by}
    return Judged(ok, f"process {name}", expected, found, table.how, details={"args": [p["args"] for p in mine][:5]})


def judged_user(t: Target, name: str, field: str = "", value: Any = None, fresh: bool = False) -> Judged:
    """The user `name` exists (with `field` - uid, shell, home - equal to `value`, when given)."""
    table = inventory.users(t, fresh)
    user = table.rows.get(name)
    if not field:
        return Judged(user is not None, f"user {name}", "exists", user or "no such user", table.how)
    found = user[field] if user else "no such user"
    return Judged(found == value, f"user {name}", {field: value}, {field: found} if user else found, table.how)


def judged_member(t: Target, user: str, group: str, fresh: bool = False) -> Judged:
    """`user` is in `group`: as a listed member, or as the group of their own entry (the primary group)."""
    users, groups = inventory.users(t, fresh), inventory.groups(t, fresh)
    g, u = groups.rows.get(group), users.rows.get(user)
    mine = sorted({n for n, row in groups.rows.items() if user in row["members"] or (u and row["gid"] == u["gid"])})
    ok = g is not None and u is not None and group in mine
    found = mine if u else "no such user"
    return Judged(ok, f"user {user}", f"in group {group}", found, f"{users.how}; {groups.how}",
                  details={} if g else {"group": "no such group"})


def judged_group(t: Target, name: str, fresh: bool = False) -> Judged:
    table = inventory.groups(t, fresh)
    row = table.rows.get(name)
    return Judged(row is not None, f"group {name}", "exists", row or "no such group", table.how)


def judged_module(t: Target, name: str, fresh: bool = False) -> Judged:
    """The kernel module `name` is loaded (a dash and an underscore are one, as modprobe takes them)."""
    table = inventory.modules(t, fresh)
    if table.rows is None:
        return Judged(False, f"kernel module {name}", "loaded", "/proc/modules absent", table.how,
                      not_applicable="the lab host's kernel lists no modules (/proc/modules is absent): what it has "
                      "is built in or out of sight, and loaded modules cannot be told")
    loaded = name.replace("-", "_") in table.rows
    return Judged(loaded, f"kernel module {name}", "loaded", "loaded" if loaded else "not loaded", table.how)


def judged_mount(t: Target, path: str, fstype: str = "", option: str = "", fresh: bool = False) -> Judged:
    """`path` is a mount point (the last mount on it counts: it hides those before), of `fstype` and with the
    mount option `option`, when given."""
    table = inventory.mounts(t, fresh)
    on = [m for m in table.rows if m["path"] == path.rstrip("/") or (path == "/" and m["path"] == "/")]
    if not on:
        return Judged(False, f"mount {path}", "mounted", "not a mount point", table.how)
    m = on[-1]
    ok = (not fstype or m["type"] == fstype) and (not option or option in m["options"])
    expected = {"mounted": True, **({"type": fstype} if fstype else {}), **({"option": option} if option else {})}
    return Judged(ok, f"mount {path}", expected, {"type": m["type"], "options": m["options"], "source": m["source"]},
                  table.how)


def judged_resolves(t: Target, name: str, address: str = "") -> Judged:
    """The lab host resolves `name` (to `address` among its answers, when given), through its own resolver
    configuration (nsswitch: /etc/hosts, DNS)."""
    res = t.run("getent ahosts %s", name, timeout=30)
    found = sorted({line.split()[0] for line in res.stdout.splitlines() if line.split()})
    ok = bool(found) and (not address or address in found)
    return Judged(ok, f"name {name}", f"resolves to {address}" if address else "resolves",
                  found or f"does not resolve (getent exit {res.rc})", res.command)
