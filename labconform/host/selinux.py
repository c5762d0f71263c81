"""SELinux as the document keeps it: enforcing now and at boot with the container policy installed, and the
container_manage_cgroup boolean on now and persistently; not applicable where the kernel has no SELinux."""

from __future__ import annotations

import re

from labconform.judged import Judged
from labconform.transport.target import Target

SELINUXFS = "/sys/fs/selinux"
CONFIG = "/etc/selinux/config"
# the package that gives containers their SELinux types, on each family (Debian's policy holds the module)
CONTAINER_POLICY = {"rhel": "container-selinux", "debian": "selinux-policy-default"}


def absent(t: Target, what: str) -> Judged | None:
    """A not-applicable Judged when the kernel has no SELinux (its filesystem is not there), else None."""
    res = t.run("test -d %s", SELINUXFS)
    if res.ok:
        return None
    if res.rc != 1:  # test(1) says 1 for "not a directory"; anything else is the question not answered
        raise RuntimeError(f"[{t.name}] test -d {SELINUXFS} exited {res.rc}: {res.stderr.strip()[-300:]}")
    return Judged(False, what, "", "", res.command, details={"command": res.command, "exit_status": res.rc},
                  not_applicable=f"no SELinux in this kernel ({SELINUXFS} absent)")


def config_value(text: str | None, key: str) -> str | None:
    """KEY=value of /etc/selinux/config (the last one wins, as the loader reads it), or None."""
    values = re.findall(rf"^\s*{key}\s*=\s*(\S+)", text or "", re.M)
    return values[-1].strip("\"'") if values else None


def parse_getsebool(out: str, name: str) -> str | None:
    """`getsebool NAME` answers `NAME --> on`: the current value, or None."""
    m = re.search(rf"^{re.escape(name)}\s+-->\s+(\w+)", out, re.M)
    return m.group(1) if m else None


def parse_semanage(out: str, name: str) -> str | None:
    """`semanage boolean -l` lists `NAME (current , persistent) description`: the persistent value, or None."""
    m = re.search(rf"^{re.escape(name)}\s+\(\s*(\w+)\s*,\s*(\w+)\s*\)", out, re.M)
    return m.group(2) if m else None


def parse_booleans_local(text: str | None, name: str) -> str | None:
    """The policy store's booleans.local (what `setsebool -P` writes): `NAME=1` is on, `NAME=0` off."""
    m = re.findall(rf"^\s*{re.escape(name)}\s*=\s*(\S+)", text or "", re.M)
    return None if not m else "on" if m[-1] in ("1", "true", "on") else "off"


def persistent_boolean(t: Target, name: str) -> tuple[str, str]:
    """The value a boolean comes back with at boot, and how that was read: semanage where it is installed,
    else the policy store's booleans.local (no entry: the policy's default, which only semanage tells)."""
    if t.command_exists("semanage"):
        res = t.run("semanage boolean -l", timeout=60)
        return parse_semanage(res.stdout, name) or f"not listed (semanage exit {res.rc})", res.command
    policy = config_value(t.read_text(CONFIG), "SELINUXTYPE") or "targeted"
    path = f"/var/lib/selinux/{policy}/active/booleans.local"
    value = parse_booleans_local(t.read_text(path), name)
    return value or f"not set persistently (no entry in {path}; semanage absent)", f"read {path}"


def judged_boolean(t: Target, name: str) -> Judged:
    """The boolean is on now (getsebool) and persistently (setsebool -P): both values are judged."""
    what = f"SELinux boolean {name}"
    na = absent(t, what)
    if na:
        return na
    res = t.run("getsebool %s", name)
    now = parse_getsebool(res.stdout, name) or (res.stderr.strip() or f"getsebool exit {res.rc}")
    persistent, how = persistent_boolean(t, name)
    return Judged(now == "on" and persistent == "on", what, {"now": "on", "persistent": "on"},
                  {"now": now, "persistent": persistent}, f"{res.command}; {how}",
                  details={"getsebool": res.evidence()})


def container_policy(t: Target) -> tuple[str, str]:
    """Whether the policy that gives containers their types is there: the family's package, with its version."""
    family = t.facts.family
    pkg = CONTAINER_POLICY.get(family, CONTAINER_POLICY["rhel"])
    version = t.package_version(pkg)
    return (f"{pkg} {version}" if version else f"{pkg} not installed"), f"package query for {pkg} ({family} family)"


def judged_retained(t: Target) -> Judged:
    """SELinux enforcing now (getenforce), at boot (SELINUX= of /etc/selinux/config), container policy installed."""
    what = "SELinux"
    na = absent(t, what)
    if na:
        return na
    res = t.run("getenforce")
    boot = config_value(t.read_text(CONFIG), "SELINUX") or f"no SELINUX= line in {CONFIG}"
    policy, policy_how = container_policy(t)
    found = {"now": res.stdout.strip() or res.stderr.strip() or f"getenforce exit {res.rc}",
             "at boot": boot, "container policy": policy}
    ok = found["now"] == "Enforcing" and boot.lower() == "enforcing" and "not installed" not in policy
    return Judged(ok, what, {"now": "Enforcing", "at boot": "enforcing", "container policy": "installed"}, found,
                  f"{res.command}; read {CONFIG}; {policy_how}", details={"getenforce": res.evidence()})
