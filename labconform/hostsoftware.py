"""Judging the host's software as the document's Rocky steps set it up: a package at a minimum version, a
Perl module that loads (or why it cannot be had here), and no pending updates. The reads are
labconform.sysinfo's; the rules are here, so that the steps only parse, call and record."""

from __future__ import annotations

from labconform import sysinfo
from labconform.observation import Judged
from labconform.target import Target


def host_package(t: Target, what: str, minimum: str) -> Judged:
    """The document's package for `what` on this family, installed at `minimum` or newer ("any": installed)."""
    family = t.facts.family
    _, rhel, debian = sysinfo.HOST_PACKAGES[what]
    pkg = sysinfo.package_name(family, rhel, debian)
    version = t.package_version(pkg)
    want = None if minimum == "any" else minimum
    return Judged(version is not None and sysinfo.at_least(version, want), f"{what} ({pkg})",
                  f"{pkg} >= {minimum}" if want else f"{pkg} installed", version or "not installed",
                  f"package query for {pkg} ({family} family); upstream versions compared")


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
