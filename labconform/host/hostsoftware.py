"""Judging the host and its software as the document's Rocky steps set it up: the RHEL family (a
precondition), its major version, a repository enabled, its size, its clock, its name,
a package at a minimum version, the Docker engine's packages and one that must be absent, a Perl module that
loads (or why it cannot be had here), a superseded one that does not, no pending updates and no pending
restart. The reads are labconform.host.sysinfo's; the rules are here, so that the steps only parse, call and
record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labconform.host import sysinfo
from labconform.host.docker_packages import docker_engine
from labconform.judged import Judged
from labconform.transport.target import Target


def host_package(t: Target, what: str, minimum: str) -> Judged:
    """The document's package for `what` on this family, installed at `minimum` or newer ("any": installed)."""
    family = t.facts.family
    _, rhel, debian = sysinfo.HOST_PACKAGES[what]
    pkg = sysinfo.package_name(family, rhel, debian)
    version = t.package_version(pkg)
    want = None if minimum == "any" else minimum
    ok = version is not None and sysinfo.at_least(version, want)
    expected, found = (f"{pkg} >= {minimum}" if want else f"{pkg} installed"), version or "not installed"
    how = f"package query for {pkg} ({family} family); upstream versions compared"
    tools = sysinfo.HOST_TOOLS.get(what)
    if tools:
        paths, looked = sysinfo.tool_paths(t, tools)
        ok, expected = ok and None not in paths.values(), f"{expected}, with {', '.join(tools)}"
        found, how = {pkg: found, **{n: p or "absent" for n, p in paths.items()}}, f"{how}; {looked}"
    return Judged(ok, f"{what} ({pkg})", expected, found, how)


def perl_module(t: Target, module: str) -> Judged:
    """The module loads in the host's perl. On Debian, a module with no package in the release (Digest::SHA1)
    cannot be had on a lab with no CPAN: not applicable, with its successor's state."""
    ok, found, how = sysinfo.perl_module(t, module)
    judged = Judged(ok, f"Perl module {module}", "loads", f"version {found}" if ok else found, how)
    if not ok and t.facts.family == "debian" and sysinfo.PERL_MODULES[module][1] is None \
            and sysinfo.apt_candidate(t, sysinfo.DEBIAN_DIGEST_SHA1) is None:
        sha_ok, sha_version, _ = sysinfo.perl_module(t, "Digest::SHA")
        successor = f"loads, version {sha_version}" if sha_ok else "is absent"
        judged.not_applicable = (f"{module} has no package in this Debian release (no {sysinfo.DEBIAN_DIGEST_SHA1} "
                                 f"candidate) and this lab has no CPAN; its successor Digest::SHA {successor}")
        judged.details = {"load_error": found, "command": how}
    return judged


def engine_packages(t: Target) -> Iterator[Judged]:
    """Each Docker engine package of the host's family installed, judged one at a time (a step records each, so
    the first one missing ends the claim before the next is asked)."""
    family = t.facts.family
    for pkg in docker_engine(family):
        version = t.package_version(pkg)
        yield Judged(version is not None, f"package {pkg} ({family} family)", "installed", version or "not installed",
                     f"package query for {pkg}")


def judged_absent(t: Target, name: str) -> Judged:
    """The package `name` is not installed."""
    version = t.package_version(name)
    return Judged(version is None, f"package {name}", "not installed",
                  f"installed {version}" if version else "not installed", f"package query for {name}")


class PackageToolFailed(RuntimeError):
    """The package tool could not answer: nothing can be said about updates (the claim is an error)."""


def pending_updates(t: Target) -> list[Judged]:
    """The package lists are fresh (sysinfo.LISTS_MAX_AGE_S), and no update is pending from them; a package
    tool that fails raises PackageToolFailed with its output."""
    u = sysinfo.pending_updates(t, t.facts.family)
    how = u.evidence.pop("command")
    if u.error:
        raise PackageToolFailed(f"{how} failed ({u.error}): {u.evidence.get('stderr') or u.evidence.get('stdout')}")
    bound = sysinfo.LISTS_MAX_AGE_S // 86400
    lists = Judged(not u.stale, "package lists", f"refreshed within the last {bound} days",
                   u.evidence["package lists age"] if u.lists_age_s is not None
                   else "no package lists: the repositories were never read", u.evidence["package lists read by"],
                   details=u.evidence)
    pending = Judged(not u.names, "pending updates", "none",
                     f"{len(u.names)}: {' '.join(u.names[:40])}" if u.names else "none", how, details=u.evidence)
    return [lists, pending]


def judged_size(t: Target, cores: int, mem_gb: int, disk_gb: int) -> Judged:
    """At least `cores` cores, `mem_gb` GB of memory and `disk_gb` GB of disk (decimal GB)."""
    r, how = sysinfo.resources(t)
    found = {"cores": r.cores, "memory GB": round(r.memory_bytes / 1e9, 2), "disk GB": round(r.disk_bytes / 1e9, 1)}
    return Judged(r.cores >= cores and r.memory_bytes >= mem_gb * 1e9 and r.disk_bytes >= disk_gb * 1e9, "host size",
                  {"cores": f">= {cores}", "memory GB": f">= {mem_gb}", "disk GB": f">= {disk_gb}"}, found, how,
                  details={"disks": r.disks, "root_filesystem_bytes": r.rootfs_bytes})


def judged_clock(t: Target) -> Judged:
    """The clock synchronised by chrony or timesyncd; not applicable where neither can run (no systemd as PID 1
    and no chronyd running)."""
    c = sysinfo.clock(t)
    judged = clock_judged(c, "chronyc tracking (Leap status) or timedatectl NTPSynchronized", c)
    if c["synchroniser"] is None and not t.facts.systemd_is_init:
        judged.not_applicable = (f"neither synchroniser can run here: PID 1 is {t.facts.init!r} (timesyncd is a "
                                 "systemd service) and chronyd is not running")
    return judged


def clock_judged(c: dict[str, Any], how: str, details: dict[str, Any]) -> Judged:
    """What sysinfo.clock read, judged: synchronised by chrony or timesyncd."""
    return Judged(c["synchronised"], "clock synchronisation", "synchronised by chrony or timesyncd",
                  f"{c['synchroniser'] or 'no synchroniser running'}: "
                  f"{'synchronised' if c['synchronised'] else 'not synchronised'}", how, details=details)


def judged_superseded_perl(t: Target, module: str) -> Judged:
    """A superseded Perl module neither loads nor has its family's package installed."""
    ok, found, how = sysinfo.perl_module(t, module)
    rhel, debian = sysinfo.SUPERSEDED_PERL[module]
    pkg = sysinfo.package_name(t.facts.family, rhel, debian)
    version = t.package_version(pkg)
    return Judged(not ok and version is None, f"Perl module {module}", "not loadable, package absent",
                  {"loads": f"yes, version {found}" if ok else "no", pkg: version or "not installed"},
                  f"{how}; package query for {pkg}")


def judged_hostname(t: Target, name: str) -> Judged:
    """The host's name resolves to an address, through DNS or /etc/hosts."""
    r = sysinfo.hostname_resolution(t, name)
    how = r.pop("command")
    return Judged(bool(r["addresses"]), f"hostname {name}", "resolves through DNS or /etc/hosts",
                  r["addresses"] or "no address", how, details=r)


def judged_restart(t: Target) -> Judged:
    """No restart of the host is pending (the family's own signs of one)."""
    pending, seen = sysinfo.restart_pending(t, t.facts.family)
    how = seen.pop("command")
    return Judged(not pending, "restart", "not pending", "pending" if pending else "not pending", how, details=seen)


def rhel_family(t: Target) -> Judged:
    """A precondition: the host is of the RHEL family, whose own tools (dnf, EPEL) a claim names."""
    f = t.facts
    if f.family == "rhel":
        return Judged(True, "host family", "rhel", f.family, "/etc/os-release")
    return Judged(False, "host family", "rhel", f.family, "/etc/os-release",
                  not_applicable=f"the host is {f.pretty_name or f.os_id} ({f.family} family): this claim names "
                  "Rocky's own (dnf, EPEL); the others check the family's equivalents",
                  details={"os_id": f.os_id, "version_id": f.version_id})


def judged_major(t: Target, major: str) -> Judged:
    """The host's major version is the document's."""
    f = t.facts
    return Judged(major == f.major_version, "major version", major, f.major_version, "/etc/os-release VERSION_ID",
                  details={"os": f.pretty_name})


def judged_enabled_repo(t: Target, repo: str) -> Judged:
    """A repository is among those dnf has enabled."""
    ids, how = sysinfo.enabled_repositories(t)
    return Judged(repo in ids, f"{repo} repository", "enabled", ids, how)
