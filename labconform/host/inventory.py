"""What a lab host has, one kind at a time: its installed packages, users, groups, TCP listeners, mounts,
loaded kernel modules and processes, each read in one command and kept for the run, so that a hundred claims
about packages cost one round trip. A claim that waits for the host to converge reads again (`fresh=True`).

Each reader hands back the parsed table and the command that read it (the claim's "how")."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from labconform.transport.target import Target

T = TypeVar("T")
_KEPT: weakref.WeakKeyDictionary[Target, dict[str, Any]] = weakref.WeakKeyDictionary()


class ReadFailed(RuntimeError):
    """The host's own tool could not answer: nothing can be said of that kind (the claim is an error)."""


@dataclass(frozen=True)
class Table:
    """One kind read from the host: its rows, and the command that read them."""

    rows: Any
    how: str


def _kept(t: Target, kind: str, command: str, parse: Callable[[str], T], fresh: bool) -> Table:
    kept = _KEPT.setdefault(t, {})
    if fresh or kind not in kept:
        res = t.run(command, timeout=60)
        if res.rc != 0:
            raise ReadFailed(f"{command} on the lab host exited {res.rc}: {res.stderr.strip()[-300:]}")
        kept[kind] = Table(parse(res.stdout), command)
    return kept[kind]


DPKG = "dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n'"
RPM = "rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'"


def parse_dpkg(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] == "install ok installed":
            out[parts[0]] = parts[2]
    return out


def parse_rpm(text: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)


def packages(t: Target, fresh: bool = False) -> Table:
    """Installed packages: {name: version} (dpkg on the Debian family, rpm on the RHEL family)."""
    if t.facts.family == "debian":
        return _kept(t, "packages", DPKG, parse_dpkg, fresh)
    return _kept(t, "packages", RPM, parse_rpm, fresh)


def parse_passwd(text: str) -> dict[str, dict[str, Any]]:
    out = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) == 7 and f[2].isdigit() and f[3].isdigit():
            out[f[0]] = {"uid": int(f[2]), "gid": int(f[3]), "home": f[5], "shell": f[6]}
    return out


def parse_group(text: str) -> dict[str, dict[str, Any]]:
    out = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) == 4 and f[2].isdigit():
            out[f[0]] = {"gid": int(f[2]), "members": [m for m in f[3].split(",") if m]}
    return out


def users(t: Target, fresh: bool = False) -> Table:
    """The users the host's name service knows: {name: {uid, gid, home, shell}} (getent passwd)."""
    return _kept(t, "users", "getent passwd", parse_passwd, fresh)


def groups(t: Target, fresh: bool = False) -> Table:
    """The groups: {name: {gid, members}} (getent group; a user's primary group is in `users`)."""
    return _kept(t, "groups", "getent group", parse_group, fresh)


_SS_PROCESS = re.compile(r'\("([^"]+)",pid=(\d+)')


def parse_ss(text: str) -> list[dict[str, Any]]:
    """`ss -Hltnp` lines: [{port, address, processes}] (the kernel's names, 15 characters at most)."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 4 or ":" not in f[3]:
            continue
        address, port = f[3].rsplit(":", 1)
        if port.isdigit():
            out.append({"port": int(port), "address": address,
                        "processes": sorted({m[0] for m in _SS_PROCESS.findall(line)})})
    return out


def listeners(t: Target, fresh: bool = False) -> Table:
    """The host's listening TCP sockets and their processes."""
    return _kept(t, "listeners", "ss -Hltnp", parse_ss, fresh)


def _unescape(field: str) -> str:
    """/proc/self/mounts writes a space, tab, newline and backslash of a path as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)


def parse_mounts(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4:
            out.append({"source": _unescape(f[0]), "path": _unescape(f[1]), "type": f[2],
                        "options": f[3].split(",")})
    return out


def mounts(t: Target, fresh: bool = False) -> Table:
    """The mounts of the host's mount namespace, in the order the kernel lists them."""
    return _kept(t, "mounts", "cat /proc/self/mounts", parse_mounts, fresh)


NO_MODULES = "LC-NO-PROC-MODULES"


def parse_modules(text: str) -> set[str] | None:
    """/proc/modules' names; None where the kernel has no such file (no loadable modules, or a /proc without it)."""
    if text.strip() == NO_MODULES:
        return None
    return {line.split()[0] for line in text.splitlines() if line.split()}


def modules(t: Target, fresh: bool = False) -> Table:
    """The kernel modules loaded now (/proc/modules; a module built into the kernel is not listed there)."""
    return _kept(t, "modules", f"if [ -e /proc/modules ]; then cat /proc/modules; else echo {NO_MODULES}; fi",
                 parse_modules, fresh)


def parse_ps(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        f = line.split(None, 2)
        if len(f) >= 2:
            out.append({"user": f[0], "name": f[1], "args": f[2] if len(f) == 3 else ""})
    return out


def processes(t: Target, fresh: bool = False) -> Table:
    """The host's processes: [{user, name (the kernel's, 15 characters), args}]."""
    return _kept(t, "processes", "ps -eo user:32=,comm=,args=", parse_ps, fresh)


SERVICES = ("systemctl list-units --type=service --state=running --no-legend --plain; echo LC-ENABLED; "
            "systemctl list-unit-files --type=service --state=enabled --no-legend --plain")


def parse_services(text: str) -> dict[str, set[str]]:
    """{"running": names, "enabled": names} of systemd's services (templated units left out)."""
    running, _, enabled = text.partition("LC-ENABLED")

    def names(part: str) -> set[str]:
        units = (line.split()[0] for line in part.splitlines() if line.split())
        return {u.removesuffix(".service") for u in units if u.endswith(".service") and "@" not in u}

    return {"running": names(running), "enabled": names(enabled)}


def services(t: Target, fresh: bool = False) -> Table:
    """The services systemd runs now, and those that start at boot (systemd hosts only)."""
    return _kept(t, "services", SERVICES, parse_services, fresh)


def images(t: Target, fresh: bool = False) -> Table:
    """The Docker engine's tagged images, "repository:tag" (`docker image ls`)."""
    return _kept(t, "images", "docker image ls --format '{{.Repository}}:{{.Tag}}'",
                 lambda text: sorted({r for r in text.split() if "<none>" not in r}), fresh)
