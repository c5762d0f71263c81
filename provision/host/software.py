"""The host ("Rocky", "Fresh restart", "Eggs and baskets"): updates, EPEL, the packages and Perl
modules the document installs, no Crypt::SSLeay, a resolvable name, no restart pending,
and Docker's registry mirrors where the lab declares them."""

from __future__ import annotations

import json
import shlex

from labconform.host import sysinfo
from labconform.poll import until
from provision.core import Step, StepFailed
from provision.progress import run_watched

APT = "DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -y -q -o DPkg::Lock::Timeout=300"
DAEMON_JSON = "/etc/docker/daemon.json"

# the document's own lines, in its order ("Rocky" section)
RHEL_EPEL = ("dnf -y install epel-release", "dnf clean all", "dnf -y upgrade epel-release")
RHEL_PACKAGES = ("dnf -y install httpd openssl perl", "dnf -y install gcc openssl-devel openssl-perl",
                 "dnf -y install perl-CPAN perl-App-cpanminus")
RHEL_PERL = (
    "printf 'o conf prerequisites_policy follow\\no conf commit\\nexit\\n' | PERL_MM_USE_DEFAULT=1 cpan",
    "cpanm --force HTTP::Daemon HTTP::Daemon::SSL",
    "dnf -y install perl-Crypt-OpenSSL-RSA perl-LWP-UserAgent-Determined",
    "cpanm MIME::Types Email::MIME Digest::SHA1 IO::Socket::SSL LWP::Protocol::https",
    "dnf -y install perl-JSON",
    "cpanm HTTP::Request::Params",
    "cpan -i Time::Piece",
)


def _packages(family: str) -> list[str]:
    names = [sysinfo.package_name(family, rhel, debian) for _, rhel, debian in sysinfo.HOST_PACKAGES.values()]
    return sorted({n for n in names if n})


def _perl_packages() -> list[str]:
    return sorted({deb for _, deb in sysinfo.PERL_MODULES.values() if deb and deb != "perl"})


def steps(ctx) -> list[Step]:
    """The host's steps, before Docker, in the document's order (it does them first). The clock (rocky-03) is
    provision/host/clock.py's."""
    epel = [epel_step(ctx)] if ctx.state.facts.family == "rhel" else []
    return [updates_step(ctx), *epel, packages_step(ctx), perl_step(ctx), ssleay_step(ctx), hostname_step(ctx),
            restart_step(ctx)]


def updates_step(ctx) -> Step:
    """dnf -y update, or apt-get upgrade."""
    st = ctx.state
    rhel = st.facts.family == "rhel"

    def check() -> tuple[bool, str]:
        u = st.updates()
        if u.error:
            return False, f"the package tool failed ({u.error}): {u.evidence.get('stderr', '')[-300:]}"
        if u.stale:
            return False, (f"package lists {u.evidence.get('package lists age', 'absent')} old, over the "
                           f"{sysinfo.LISTS_MAX_AGE_S // 86400}-day bound: refresh them")
        names = u.names
        return (not names, f"{len(names)} pending: {' '.join(names[:12])}{' ...' if len(names) > 12 else ''}"
                if names else "no updates pending")

    # dnf refreshes expired metadata itself; apt only when asked
    upd = ("dnf -y update",) if rhel else (f"{APT} update", f"{APT} upgrade")

    def apply() -> None:
        u = st.updates()
        if not rhel and (u.error or u.stale):
            ctx.sh(upd[0], quiet=False)
        run_watched(ctx, upd[-1], "/var/log/labconform/upgrade.log", "package upgrade", 1800)

    return Step("system up to date", ("rocky-04",), check, apply, upd)


def epel_step(ctx) -> Step:
    """EPEL, the RHEL family only."""
    st = ctx.state

    def check() -> tuple[bool, str]:
        on = "epel" in st.repos_enabled()
        return on, "epel enabled" if on else "epel not enabled"

    return Step("EPEL repository", ("rocky-06",), check, lambda: ctx.sh(*RHEL_EPEL), RHEL_EPEL)


def packages_step(ctx) -> Step:
    """The web server, OpenSSL (and its dev files), Perl, gcc and the CPAN clients, each at its least version."""
    st = ctx.state
    family = st.facts.family
    pkgs = _packages(family)

    def check() -> tuple[bool, str]:
        missing = [p for p in pkgs if not st.package(p)]
        low = [f"{pkg} {st.package(pkg)} < {minimum}" for minimum, r, d in sysinfo.HOST_PACKAGES.values()
               for pkg in [sysinfo.package_name(family, r, d)]
               if pkg and st.package(pkg) and not sysinfo.at_least(st.package(pkg), minimum)]
        if missing or low:
            return False, "; ".join(filter(None, [f"missing: {' '.join(missing)}" if missing else "", *low]))
        return True, f"installed: {' '.join(pkgs)}"

    cmds = RHEL_PACKAGES if family == "rhel" else (f"{APT} install {' '.join(pkgs)}",)
    return Step("web server, OpenSSL, Perl, gcc, CPAN clients", ("rocky-05",), check, lambda: ctx.sh(*cmds), cmds)


def perl_step(ctx) -> Step:
    """The Perl modules the document installs; one the family packages nowhere is said so, not installed."""
    st = ctx.state
    family = st.facts.family
    rhel = family == "rhel"

    def check() -> tuple[bool, str]:
        missing, waived = [], []
        for module, (_, deb) in sysinfo.PERL_MODULES.items():
            if st.perl_module(module) is not None:
                continue
            # a module the family packages nowhere cannot be provisioned from it: its claim says so
            if not rhel and deb is None and st.apt_candidate(sysinfo.DEBIAN_DIGEST_SHA1) is None:
                waived.append(module)
            else:
                missing.append(module)
        note = f"; no {family} package for {' '.join(waived)} (claim not applicable)" if waived else ""
        return (not missing, (f"missing: {' '.join(missing)}" if missing else "all load") + note)

    if rhel:
        cmds = RHEL_PERL
    else:
        debs = _perl_packages()
        if st.apt_candidate(sysinfo.DEBIAN_DIGEST_SHA1):
            debs.append(sysinfo.DEBIAN_DIGEST_SHA1)
        cmds = (f"{APT} install {' '.join(debs)}",)
    return Step("Perl modules", ("rocky-07",), check, lambda: ctx.sh(*cmds, timeout=1800), cmds)


def ssleay_step(ctx) -> Step:
    """No Crypt::SSLeay: the document says it is superseded and not to install it."""
    st = ctx.state
    rhel = st.facts.family == "rhel"
    rh_pkg, deb_pkg = sysinfo.SUPERSEDED_PERL["Crypt::SSLeay"]
    pkg = rh_pkg if rhel else deb_pkg

    def check() -> tuple[bool, str]:
        version = st.perl_module("Crypt::SSLeay")
        installed = st.package(pkg)
        if version is None and not installed:
            return True, "Crypt::SSLeay absent"
        return False, f"Crypt::SSLeay loads ({version})" + (f"; {pkg} {installed}" if installed else "")

    cmds = (f"dnf -y erase {pkg}",) if rhel else (f"{APT} purge {pkg}",)

    def apply() -> None:
        if not st.package(pkg):
            raise StepFailed("Crypt::SSLeay loads but no package holds it (a CPAN install): remove it by hand")
        ctx.sh(*cmds)

    return Step("no Crypt::SSLeay", ("rocky-08",), check, apply, cmds)


def hostname_step(ctx) -> Step:
    """The host's name resolves (/etc/hosts)."""
    st = ctx.state
    name = st.facts.hostname
    # Debian's convention names the host on 127.0.1.1; on Rocky the document means its real address.
    # The name, read from the host, is passed quoted: whatever it holds ($(...), `...`) is never run.
    address = "\"$(hostname -I | awk '{print $1}')\"" if st.facts.family == "rhel" else "127.0.1.1"
    cmds = (f"printf '%s %s\\n' {address} {shlex.quote(name)} >> /etc/hosts",)

    def check() -> tuple[bool, str]:
        ok = st.hostname_resolves()
        return ok, f"{name} resolves" if ok else f"{name} does not resolve"

    return Step("hostname resolves", ("rocky-09",), check, lambda: ctx.sh(*cmds), cmds)


def restart_step(ctx) -> Step:
    """A restart is never done for the lab: the step says it is due."""
    st = ctx.state

    def check() -> tuple[bool, str]:
        pending = st.restart_pending()
        return not pending, "a restart is pending" if pending else "no restart pending"

    def apply() -> None:
        raise StepFailed("a restart is pending: reboot the host (the document's `reboot`), then provision again")

    cmds = (("dnf needs-restarting -r || reboot",) if st.facts.family == "rhel"
            else ("test ! -e /var/run/reboot-required || reboot",))
    return Step("no restart pending", ("restart-01",), check, apply, cmds)


def desired_mirrors(ctx) -> list[str]:
    return list(ctx.params.registry_mirrors)


def registry_steps(ctx) -> list[Step]:
    """Docker's registry mirrors, only where the lab declares some: daemon.json gets them (other keys
    kept) and the daemon reloads its configuration (SIGHUP), which is not a restart."""
    mirrors = desired_mirrors(ctx)
    if not mirrors:
        return []
    st = ctx.state

    def check() -> tuple[bool, str]:
        info = st.docker_info() or {}
        found = ((info.get("RegistryConfig") or {}).get("Mirrors") or [])
        norm = {m.rstrip("/") for m in found}
        missing = [m for m in mirrors if m.rstrip("/") not in norm]
        return not missing, f"Docker mirrors: {found or 'none'}" + (f"; missing {missing}" if missing else "")

    def apply() -> None:
        text = st.text(DAEMON_JSON)
        try:
            current = json.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            raise StepFailed(f"{DAEMON_JSON} is not JSON ({exc}): fix it first") from None
        current["registry-mirrors"] = mirrors
        ctx.put(DAEMON_JSON, (json.dumps(current, indent=2) + "\n").encode())
        reload = "systemctl reload docker" if st.facts.systemd_is_init else "kill -HUP $(pidof dockerd)"
        ctx.sh(reload)
        # the daemon rereads its file asynchronously: wait (bounded) until it reports the mirrors
        until(lambda: (st.forget(), check())[1], lambda r: r[0], timeout=15, what="Docker reports the mirrors")

    cmds = (f"set \"registry-mirrors\": {json.dumps(mirrors)} in {DAEMON_JSON}",
            "systemctl reload docker" if st.facts.systemd_is_init else "kill -HUP $(pidof dockerd)")
    return [Step("Docker registry mirrors", ("baskets-04",), check, apply, cmds)]
