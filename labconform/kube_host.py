"""The host a cluster needs, as the Kubernetes claims look at it: sysctls (live and at boot), swap, listeners,
SELinux, the kubeadm tools, root's login environment, the runtime's containers; each probe returns what it
found and how it looked."""

from __future__ import annotations

import re
from typing import Any

from labconform.target import Target


class Probe:
    """What a probe found, how it looked, and the raw details a reviewer may want."""

    def __init__(self, found: Any, how: str, **details: Any) -> None:
        self.found, self.how, self.details = found, how, details


def sysctl(target: Target, key: str) -> Probe:
    path = "/proc/sys/" + key.replace(".", "/")
    text = target.read_text(path)
    return Probe(text.strip() if text is not None else f"{path} absent", f"read {path} (sysctl {key})")


SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


def sysctl_at_boot(target: Target, key: str) -> Probe:
    """The value `sysctl --system` (and systemd-sysctl at boot) would set: the *.conf files of the sysctl.d
    folders by name, a name in an earlier folder hiding the same name in a later one, /etc/sysctl.conf last;
    the last assignment wins. Found: {"value": ..., "file": ...} or value None."""
    listing = target.run("for d in %s %s %s %s %s; do ls -1 \"$d\"/*.conf 2>/dev/null; done", *SYSCTL_DIRS).stdout
    by_name: dict[str, str] = {}
    for path in listing.split():
        by_name.setdefault(path.rsplit("/", 1)[1], path)
    files = [by_name[n] for n in sorted(by_name)] + ["/etc/sysctl.conf"]
    value, source = None, None
    for path in files:
        for line in (target.read_text(path) or "").splitlines():
            k, sep, v = line.lstrip("-").partition("=")
            if sep and not line.lstrip().startswith(("#", ";")) and k.strip().replace("/", ".") == key:
                value, source = v.strip(), path
    return Probe({"value": value, "file": source}, f"key = value lines of {', '.join(files)} (sysctl --system order)")


def active_swaps(target: Target) -> Probe:
    lines = (target.read_text("/proc/swaps") or "").splitlines()[1:]
    return Probe([ln.split()[0] for ln in lines if ln.strip()], "read /proc/swaps (swapon --show)")


def fstab_swaps(target: Target) -> Probe:
    active = []
    for line in (target.read_text("/etc/fstab") or "").splitlines():
        fields = line.split()
        if len(fields) >= 3 and not fields[0].startswith("#") and fields[2] == "swap":
            active.append(line.strip())
    return Probe(active, "uncommented lines of /etc/fstab with type swap")


def listeners(target: Target, port: int) -> Probe:
    """The processes listening on a TCP port of the host (any address)."""
    res = target.run(f"ss -Hltnp 'sport = :{int(port)}'")
    names = sorted(set(re.findall(r'\(\("([^"]+)"', res.stdout)))
    return Probe(names, f"ss -Hltnp 'sport = :{port}'", output=res.stdout.strip())


def comm(process: str) -> str:
    """A process name as the kernel keeps it (and ss shows it): its first 15 characters."""
    return process[:15]


def selinux_mode(target: Target) -> Probe:
    text = target.read_text("/sys/fs/selinux/enforce")
    if text is None:
        return Probe(None, "read /sys/fs/selinux/enforce: absent, the kernel has no SELinux")
    return Probe("enforcing" if text.strip() == "1" else "permissive", "read /sys/fs/selinux/enforce")


# newer policies name svirt_sandbox_file_t container_file_t: one type, two names
SELINUX_ALIASES = {"svirt_sandbox_file_t": {"svirt_sandbox_file_t", "container_file_t"}}


def selinux_type(target: Target, path: str) -> Probe:
    res = target.run("stat -c %%C %s", path)
    parts = res.stdout.strip().split(":")
    return Probe(parts[2] if res.ok and len(parts) >= 3 else (res.stderr.strip() or "no context"),
                 f"stat -c %C {path}")


AUDIT_LOG = "/var/log/audit/audit.log"
KUBE_SUBJECTS = re.compile(r"container_t|spc_t|kube|etcd|dockerd|containerd|runc|flannel|comm=\"java\"")


def selinux_denials(target: Target) -> Probe:
    text = target.read_text(AUDIT_LOG)
    if text is None:
        return Probe(None, f"read {AUDIT_LOG}: absent")
    hits = [ln for ln in text.splitlines() if "avc:" in ln and "denied" in ln and KUBE_SUBJECTS.search(ln)]
    return Probe(hits, f"AVC denials in {AUDIT_LOG} naming containers or Kubernetes processes")


def tool_versions(target: Target) -> Probe:
    """The version each of kubeadm, kubelet and kubectl reports, and which file answered."""
    out: dict[str, str] = {}
    paths: dict[str, str] = {}
    for tool, cmd in (("kubeadm", "kubeadm version -o short"), ("kubelet", "kubelet --version"),
                      ("kubectl", "kubectl version --client --short")):
        paths[tool] = target.run("command -v %s", tool).stdout.strip() or "not on PATH"
        res = target.run(cmd, timeout=20)
        m = re.search(r"v\d+\.\d+\.\d+\S*", res.stdout)
        out[tool] = m.group(0) if res.ok and m else f"no version (exit {res.rc})"
    return Probe(out, "kubeadm version -o short; kubelet --version; kubectl version --client --short", paths=paths)


def login_env(target: Target, user: str, var: str) -> Probe:
    """A variable as a login shell of `user` sees it (what their profile files export)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):  # it is written into the login shell's script
        raise ValueError(f"not a variable name: {var!r}")
    res = target.run(
        "home=$(getent passwd %s | cut -d: -f6); env -i HOME=\"$home\" USER=%s TERM=dumb bash -l -c %s </dev/null",
        user, user, f'printf "@@%s@@" "${var}"', timeout=20,
    )
    m = re.search(r"@@(.*)@@", res.stdout, re.S)
    return Probe(m.group(1) if m else None, f"a login shell of {user}: bash -l -c 'echo ${var}'")


def runtime_containers(docker_lab: Any, name: str) -> Probe:
    """Running Docker containers whose name holds `name` (dockershim names them k8s_<container>_<pod>...)."""
    with docker_lab.api(f"docker ps --filter name={name}"):
        found = docker_lab.client.containers.list(filters={"name": name})
    return Probe([f"{c.name} ({c.status})" for c in found], f"docker ps --filter name={name}")
