"""The host the document prepares ("Rocky", "Fresh restart"): its size, clock, updates, restart
state, packages, Perl modules and name, read on the target with each family's own tools."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from labconform.transport.target import Target

# the document's host: Rocky 8.4
DOCUMENT_OS = ("rocky", "8")

# what the document installs or relies on: (what, minimum the document states, rhel package, debian package)
HOST_PACKAGES: dict[str, tuple[str | None, str, str]] = {
    "web server": ("2.4.37", "httpd", "apache2"),
    "OpenSSL": ("1.1.1g", "openssl", "openssl"),
    "OpenSSL development files": ("1.1.1g", "openssl-devel", "libssl-dev"),
    "OpenSSL Perl tools": (None, "openssl-perl", "openssl"),
    "Perl": ("5.26.3", "perl", "perl"),
    "gcc": (None, "gcc", "gcc"),
    "CPAN client": (None, "perl-CPAN", "perl"),
    "cpanminus": (None, "perl-App-cpanminus", "cpanminus"),
}

# rows whose point is a tool, not only a package: RHEL packs them apart (openssl-perl, perl-CPAN), Debian inside
# openssl and perl, so on Debian the package alone would repeat another row; the tools themselves are looked for
HOST_TOOLS: dict[str, tuple[str, ...]] = {"OpenSSL Perl tools": ("c_rehash", "CA.pl"), "CPAN client": ("cpan",)}
# where OpenSSL keeps CA.pl: RHEL's and Debian's
OPENSSL_MISC = ("/etc/pki/tls/misc", "/usr/lib/ssl/misc")

# every Perl module the document installs: the document's tool on Rocky, and Debian's package
# (None: bookworm has none; "perl": in Debian's perl itself)
PERL_MODULES: dict[str, tuple[str, str | None]] = {
    "HTTP::Daemon": ("cpanm --force", "libhttp-daemon-perl"),
    "HTTP::Daemon::SSL": ("cpanm --force", "libhttp-daemon-ssl-perl"),
    "Crypt::OpenSSL::RSA": ("dnf perl-Crypt-OpenSSL-RSA", "libcrypt-openssl-rsa-perl"),
    "LWP::UserAgent::Determined": ("dnf perl-LWP-UserAgent-Determined", "liblwp-useragent-determined-perl"),
    "MIME::Types": ("cpanm", "libmime-types-perl"),
    "Email::MIME": ("cpanm", "libemail-mime-perl"),
    "Digest::SHA1": ("cpanm", None),
    "IO::Socket::SSL": ("cpanm", "libio-socket-ssl-perl"),
    "LWP::Protocol::https": ("cpanm", "liblwp-protocol-https-perl"),
    "JSON": ("dnf perl-JSON", "libjson-perl"),
    "HTTP::Request::Params": ("cpanm", "libhttp-request-params-perl"),
    "Time::Piece": ("cpan -i", "perl"),
}
# superseded: the document says not to install it
SUPERSEDED_PERL = {"Crypt::SSLeay": ("perl-Crypt-SSLeay", "libcrypt-ssleay-perl")}
# the package Debian used to ship Digest::SHA1 in (dropped before bookworm)
DEBIAN_DIGEST_SHA1 = "libdigest-sha1-perl"

MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(::\w+)*$")


def tool_paths(t: Target, names: tuple[str, ...]) -> tuple[dict[str, str | None], str]:
    """Where each tool is on the lab host: on PATH, or in OpenSSL's misc folder (CA.pl); None where absent. One
    round trip; the command, for the evidence."""
    misc = " ".join(f"{d}/$n" for d in OPENSSL_MISC)
    cmd = (f"for n in {' '.join(['%s'] * len(names))}; do "
           f"p=$(command -v \"$n\" || ls {misc} 2>/dev/null | head -1); echo \"$n=$p\"; done")
    res = t.run(cmd, *names)
    found = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    return {n: found.get(n) or None for n in names}, f"command -v, or ls {' '.join(OPENSSL_MISC)}, for each tool"


def package_name(family: str, rhel: str, debian: str | None) -> str | None:
    return rhel if family == "rhel" else debian


# --- versions -----------------------------------------------------------------------------------

def upstream(version: str) -> str:
    """The upstream part of a package version: no epoch, no Debian revision or RPM release."""
    v = version.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def version_key(version: str) -> list[tuple[int, int | str]]:
    """Segments compared as rpm and dpkg do for the upstream part: numbers as numbers, letters as text."""
    return [(0, int(s)) if s.isdigit() else (1, s) for s in re.findall(r"\d+|[A-Za-z]+", upstream(version))]


def at_least(found: str, minimum: str | None) -> bool:
    if minimum is None:
        return True
    a, b = version_key(found), version_key(minimum)
    for x, y in zip(a, b, strict=False):
        if x != y:
            # a number is newer than letters (1.1.1 > 1.1.a), as in rpm's comparison
            if x[0] != y[0]:
                return x[0] == 0
            return x[1] > y[1]  # type: ignore[operator]
    return len(a) >= len(b)


# --- size ---------------------------------------------------------------------------------------

_RESOURCES = r"""
echo "cores=$(getconf _NPROCESSORS_ONLN)"
awk '/^MemTotal:/ {print "mem_kib=" $2}' /proc/meminfo
for d in /sys/block/*; do
  n=${d##*/}
  case $n in loop*|ram*|dm-*|zram*|sr*|md*|nbd*) continue;; esac
  [ -e "$d/device" ] || continue
  echo "disk=$n $(( $(cat $d/size) * 512 ))"
done
df -B1 --output=size / | tail -1 | awk '{print "rootfs=" $1}'
"""


@dataclass
class Resources:
    cores: int
    memory_bytes: int
    disks: dict[str, int]
    rootfs_bytes: int

    @property
    def disk_bytes(self) -> int:
        """The disks the host has (whole devices); its root filesystem where it sees no device."""
        return sum(self.disks.values()) or self.rootfs_bytes


def resources(t: Target) -> tuple[Resources, str]:
    res = t.run(_RESOURCES)
    kv: dict[str, str] = {}
    disks: dict[str, int] = {}
    for line in res.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "disk":
            name, size = value.split()
            disks[name] = int(size)
        else:
            kv[key] = value.strip()
    return Resources(int(kv.get("cores") or 0), int(kv.get("mem_kib") or 0) * 1024, disks,
                     int(kv.get("rootfs") or 0)), "getconf _NPROCESSORS_ONLN; MemTotal in /proc/meminfo; " \
        "/sys/block/*/size of each disk device; df /"


# --- clock --------------------------------------------------------------------------------------

_CLOCK = r"""
# the host's own chronyd is the one with the system pid file (another, such as a lab network's server, is not)
p=$(cat /run/chrony/chronyd.pid 2>/dev/null); [ -n "$p" ] && kill -0 "$p" 2>/dev/null || p=
echo "chronyd_pid=$p"
[ -n "$p" ] && echo "chronyd_cmdline=$(tr '\0' ' ' < /proc/$p/cmdline)"
echo "timesyncd_pid=$(pidof systemd-timesyncd 2>/dev/null)"
echo "chronyc=$(command -v chronyc)"
if [ -n "$p" ] && command -v chronyc >/dev/null; then
  chronyc -n tracking 2>&1 | sed 's/^/tracking: /'
fi
if [ "$(cat /proc/1/comm)" = systemd ]; then
  timedatectl show -p NTPSynchronized -p NTP 2>&1 | sed 's/^/timedatectl: /'
fi
"""


def clock(t: Target) -> dict[str, Any]:
    """Which synchroniser runs, and whether it says the clock is synchronised."""
    res = t.run(_CLOCK, timeout=15)
    kv: dict[str, str] = {}
    tracking: dict[str, str] = {}
    for line in res.stdout.splitlines():
        if line.startswith("tracking: "):
            k, _, v = line[10:].partition(":")
            tracking[k.strip()] = v.strip()
        elif line.startswith("timedatectl: "):
            k, _, v = line[13:].partition("=")
            kv[f"timedatectl {k}"] = v.strip()
        else:
            k, _, v = line.partition("=")
            kv[k] = v.strip()
    out: dict[str, Any] = {"command": res.command, **kv}
    if kv.get("chronyd_pid"):
        out["synchroniser"] = "chrony"
        ref = tracking.get("Reference ID", "").split()[:1]
        # 7F7F0101 is chrony's own local reference: serving its own clock is not being synchronised
        out["synchronised"] = tracking.get("Leap status") == "Normal" and ref not in (["00000000"], ["7F7F0101"])
        out["tracking"] = tracking
    elif kv.get("timedatectl NTPSynchronized"):
        out["synchroniser"] = "timesyncd" if kv.get("timesyncd_pid") else "systemd-timedated"
        out["synchronised"] = kv.get("timedatectl NTPSynchronized") == "yes"
    else:
        out["synchroniser"] = None
        out["synchronised"] = False
    return out


# --- updates and restarts -----------------------------------------------------------------------

# Debian's security archive signs its Release with a validity of 7 days (Valid-Until): package
# lists older than that may miss the updates the claim is about, so they cannot say "none pending"
LISTS_MAX_AGE_S = 7 * 86400

# the age of the package lists: Debian's *Release files are rewritten (ctime) by every successful
# `apt-get update`, even when unchanged, and kept as they were when a refresh fails; dnf touches a
# repository's primary metadata when it checks it (libdnf resets the expiry timestamp)
_LISTS_AGE = r"""
echo "now=$(date +%s)"
if [ "$1" = rhel ]; then
  for d in /var/cache/dnf/*/repodata; do
    [ -d "$d" ] || continue
    echo "list=$(find "$d" -maxdepth 1 -type f -printf '%T@\n' | sort -n | tail -1 | cut -d. -f1) ${d%/repodata}"
  done
else
  eval "$(apt-config shell L Dir::State::Lists/d)"
  echo "dir=$L"
  find "$L" -maxdepth 1 -name '*Release' -printf 'list=%C@ %f\n' 2>/dev/null | sed 's/^list=\([0-9]*\)\.[0-9]*/list=\1/'
fi
"""


@dataclass
class Updates:
    """What the package tool says is pending, whether it could say, and how old its lists are."""

    names: list[str]
    error: str | None  # the tool failed: nothing can be said (the claim is an error, with its output)
    lists_age_s: int | None  # None: the host has no package lists
    evidence: dict[str, Any]

    @property
    def stale(self) -> bool:
        return self.lists_age_s is None or self.lists_age_s > LISTS_MAX_AGE_S


def lists_age(t: Target, family: str) -> tuple[int | None, dict[str, Any]]:
    """Seconds since the oldest source's package list was last refreshed (by the host's clock)."""
    res = t.run("sh -c %s lists-age %s", _LISTS_AGE, family)
    now, lists = 0, {}
    for line in res.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "now" and value.strip().isdigit():
            now = int(value)
        elif key == "list" and value.split(" ", 1)[0].isdigit():
            stamp, _, name = value.partition(" ")
            lists[name] = int(stamp)
    oldest = min(lists.values()) if lists and now else None
    age = max(0, now - oldest) if oldest is not None else None
    return age, {"package lists": {n: f"{_days(now - s)} old" for n, s in sorted(lists.items())} or "none",
                 "package lists age": _days(age) if age is not None else "no package lists",
                 "package lists read by": "ctime of each *Release in apt's Dir::State::Lists" if family != "rhel"
                 else "newest mtime in each /var/cache/dnf/*/repodata"}


def _days(seconds: int) -> str:
    return f"{seconds / 86400:.1f} days" if seconds >= 86400 else f"{seconds / 3600:.1f} hours"


def pending_updates(t: Target, family: str) -> Updates:
    """Packages the configured repositories would update, read from the package lists already on
    the host (no download: a claim does not refresh the lab's metadata), and how old those are."""
    age, lists = lists_age(t, family)
    if family == "rhel":
        res = t.run("dnf -q -C check-update", timeout=120)
        names = [line.split()[0] for line in res.stdout.splitlines()
                 if len(line.split()) == 3 and not line.startswith((" ", "Obsoleting", "Last metadata"))]
        # check-update: 100 means updates are available, 0 none, anything else an error
        error = None if res.rc in (0, 100) else f"exit {res.rc}"
        if res.rc == 0:
            names = []
        return Updates(names, error, age, {**res.evidence(), "stdout": res.stdout[-4000:], **lists})
    # apt's own list (the candidate is newer than the installed version): a third of the time of
    # simulating `apt-get upgrade`, whose resolver the question does not need
    res = t.run("apt list --upgradable", timeout=120)
    names = [line.split("/", 1)[0] for line in res.stdout.splitlines() if "[upgradable from:" in line]
    stderr = "\n".join(line for line in res.stderr.splitlines()
                       if line.strip() and "does not have a stable CLI interface" not in line)
    # apt exits 0 with warnings it could not act on (W:) and 100 on errors (E:): either is no answer
    error = f"exit {res.rc}" if not res.ok else ("apt errors" if any(
        line.startswith("E:") for line in stderr.splitlines()) else None)
    return Updates(names, error, age, {"command": res.command, "exit_status": res.rc, "stderr": stderr[-2000:],
                                       **({"stdout": res.stdout[-2000:]} if error else {}), **lists})


def restart_pending(t: Target, family: str) -> tuple[bool, dict[str, Any]]:
    """`dnf needs-restarting -r` on the RHEL family; Debian's /var/run/reboot-required and
    needrestart's kernel status where it is installed."""
    if family == "rhel":
        res = t.run("dnf needs-restarting -r", timeout=120)
        # exit 1: a reboot is required; 0: not
        return res.rc == 1, res.evidence()
    res = t.run("cat /var/run/reboot-required /var/run/reboot-required.pkgs 2>/dev/null; "
                "echo; command -v needrestart >/dev/null && needrestart -b -k 2>/dev/null | grep KSTA")
    flagged = t.run("test -e /var/run/reboot-required").ok
    ksta = re.search(r"NEEDRESTART-KSTA: (\d)", res.stdout)
    # needrestart's kernel status: 0 unknown, 1 current, 2 ABI upgrade pending, 3 version upgrade pending
    kernel = {"0": "unknown (no newer kernel image to compare with)", "1": "running the newest installed kernel",
              "2": "an ABI-compatible kernel upgrade is pending", "3": "a newer kernel version is installed"}
    state = kernel.get(ksta.group(1)) if ksta else "needrestart not installed"
    pending = flagged or (ksta is not None and ksta.group(1) in ("2", "3"))
    return pending, {"command": "test -e /var/run/reboot-required; needrestart -b -k",
                     "/var/run/reboot-required": "present" if flagged else "absent",
                     "needrestart kernel status": state, "output": res.stdout.strip()}


# --- Perl ---------------------------------------------------------------------------------------

def perl_module(t: Target, module: str) -> tuple[bool, str, str]:
    """(loads, its $VERSION, the command) for one module, loaded by the host's perl."""
    if not MODULE_NAME.match(module):
        raise ValueError(f"not a Perl module name: {module!r}")
    res = t.run(f"perl -M{module} -e 'print ${module}::VERSION // q(?)'")
    return res.ok, res.stdout.strip() if res.ok else (res.stderr.strip().splitlines() or ["?"])[0], res.command


def apt_candidate(t: Target, package: str) -> str | None:
    """The version apt would install, or None when the configured archives have no such package."""
    res = t.run("apt-cache policy %s", package)
    m = re.search(r"Candidate: (\S+)", res.stdout)
    return m.group(1) if m and m.group(1) != "(none)" else None


# --- name ---------------------------------------------------------------------------------------

def hostname_resolution(t: Target, name: str) -> dict[str, Any]:
    """How the host's own name resolves: the addresses, and whether /etc/hosts names it."""
    res = t.run("getent ahosts %s", name)
    addrs = sorted({line.split()[0] for line in res.stdout.splitlines() if line.strip()})
    hosts = t.run("grep -v '^[[:space:]]*#' /etc/hosts | grep -w -- %s", name).stdout.strip()
    return {"addresses": addrs, "/etc/hosts": hosts or "not listed", "command": res.command, "exit_status": res.rc}


def group_user(t: Target, user: str, group: str, *command: str) -> dict[str, Any]:
    """A user's id and groups, and a command run as that user (never as root): what it would see."""
    ident = t.run("id -u %s && id -nG %s", user, user)
    lines = ident.stdout.split("\n") if ident.ok else []
    uid = lines[0].strip() if lines else ""
    groups = lines[1].split() if len(lines) > 1 else []
    ran = t.run("runuser -u %s -- " + " ".join(["%s"] * len(command)), user, *command, timeout=30) \
        if ident.ok else None
    return {
        "uid": uid or "no such user",
        "groups": groups,
        "in_group": group in groups,
        "command": ran.command if ran else f"id {user}",
        "exit_status": ran.rc if ran else ident.rc,
        "output": (ran.stdout + ran.stderr).strip()[-500:] if ran else ident.stderr.strip(),
    }


def enabled_repositories(t: Target) -> tuple[list[str], str]:
    """The ids of the repositories dnf has enabled (from its cache), and the command that said so."""
    res = t.run("dnf -q -C repolist --enabled")
    return [line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip()], res.command
