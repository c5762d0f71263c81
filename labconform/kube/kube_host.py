"""The host a cluster needs, as the Kubernetes claims look at it: sysctls (live and at boot), swap, listeners,
SELinux, the kubeadm tools, root's login environment, the runtime's containers; each judged as the claim
asks, what was found and how it was looked at handed back as one `observation.Judged`."""

from __future__ import annotations

import re
from typing import Any

from labconform.judged import Judged
from labconform.transport.target import Target


def judged_sysctl(target: Target, key: str, value: str) -> Judged:
    """The kernel setting `key` is `value` now (its /proc/sys file)."""
    path = "/proc/sys/" + key.replace(".", "/")
    text = target.read_text(path)
    found = text.strip() if text is not None else f"{path} absent"
    return Judged(found == value, key, value, found, f"read {path} (sysctl {key})")


SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


def judged_sysctl_at_boot(target: Target, key: str, value: str) -> Judged:
    """A file of /etc/sysctl.d sets `key` to `value` as `sysctl --system` (and systemd-sysctl at boot) would:
    the *.conf files of the sysctl.d folders by name, a name in an earlier folder hiding the same name in a
    later one, /etc/sysctl.conf last; the last assignment wins. Found: {"value": ..., "file": ...}."""
    listing = target.run("for d in %s %s %s %s %s; do ls -1 \"$d\"/*.conf 2>/dev/null; done", *SYSCTL_DIRS).stdout
    by_name: dict[str, str] = {}
    for path in listing.split():
        by_name.setdefault(path.rsplit("/", 1)[1], path)
    files = [by_name[n] for n in sorted(by_name)] + ["/etc/sysctl.conf"]
    found: dict[str, str | None] = {"value": None, "file": None}
    texts = target.read_texts(files)
    for path in files:
        for line in (texts[path] or "").splitlines():
            k, sep, v = line.lstrip("-").partition("=")
            if sep and not line.lstrip().startswith(("#", ";")) and k.strip().replace("/", ".") == key:
                found = {"value": v.strip(), "file": path}
    return Judged(found["value"] == value and (found["file"] or "").startswith("/etc/sysctl.d/"), f"{key} at boot",
                  {"value": value, "file": "/etc/sysctl.d/*.conf"}, found,
                  f"key = value lines of {', '.join(files)} (sysctl --system order)")


def judged_no_active_swap(target: Target) -> Judged:
    lines = (target.read_text("/proc/swaps") or "").splitlines()[1:]
    found = [ln.split()[0] for ln in lines if ln.strip()]
    return Judged(not found, "active swap spaces", [], found, "read /proc/swaps (swapon --show)")


def judged_no_fstab_swap(target: Target) -> Judged:
    found = []
    for line in (target.read_text("/etc/fstab") or "").splitlines():
        fields = line.split()
        if len(fields) >= 3 and not fields[0].startswith("#") and fields[2] == "swap":
            found.append(line.strip())
    return Judged(not found, "swap entries in /etc/fstab", [], found, "uncommented lines of /etc/fstab with type swap")


def judged_listener(target: Target, port: int, process: str) -> Judged:
    """`process` (by the name the kernel keeps, its first 15 characters) listens on a TCP port of the host
    (any address)."""
    res = target.run(f"ss -Hltnp 'sport = :{int(port)}'")
    names = sorted(set(re.findall(r'\(\("([^"]+)"', res.stdout)))
    return Judged(comm(process) in names, f"listener on TCP {port}", process, names or "nobody",
                  f"ss -Hltnp 'sport = :{port}'", details={"output": res.stdout.strip()})


def comm(process: str) -> str:
    """A process name as the kernel keeps it (and ss shows it): its first 15 characters."""
    return process[:15]


def selinux_mode(target: Target) -> Judged:
    """The mode SELinux is in (noted, not judged); not applicable when the kernel has no SELinux."""
    text = target.read_text("/sys/fs/selinux/enforce")
    if text is None:
        return Judged(False, "SELinux mode", "enforcing or permissive", None,
                      "read /sys/fs/selinux/enforce: absent, the kernel has no SELinux",
                      not_applicable="no SELinux in this kernel (/sys/fs/selinux absent)")
    mode = "enforcing" if text.strip() == "1" else "permissive"
    return Judged(True, "SELinux mode", "enforcing or permissive", mode, "read /sys/fs/selinux/enforce")


# newer policies name svirt_sandbox_file_t container_file_t: one type, two names
SELINUX_ALIASES = {"svirt_sandbox_file_t": {"svirt_sandbox_file_t", "container_file_t"}}


def judged_selinux_type(target: Target, path: str, type_: str) -> Judged:
    """`path` carries the SELinux type `type_` (or the other name of the same type)."""
    res = target.run("stat -c %%C %s", path)
    parts = res.stdout.strip().split(":")
    found = parts[2] if res.ok and len(parts) >= 3 else (res.stderr.strip() or "no context")
    names = SELINUX_ALIASES.get(type_, {type_})
    return Judged(found in names, f"SELinux type of {path}", " or ".join(sorted(names)), found, f"stat -c %C {path}")


AUDIT_LOG = "/var/log/audit/audit.log"
KUBE_SUBJECTS = re.compile(r"container_t|spc_t|kube|etcd|dockerd|containerd|runc|flannel|comm=\"java\"")


def judged_selinux_denials(target: Target) -> Judged:
    """The audit log holds no AVC denial naming containers or Kubernetes processes (no audit log fails)."""
    text = target.read_text(AUDIT_LOG)
    if text is None:
        return Judged(False, "SELinux denials", [], "no audit log", f"read {AUDIT_LOG}: absent")
    hits = [ln for ln in text.splitlines() if "avc:" in ln and "denied" in ln and KUBE_SUBJECTS.search(ln)]
    return Judged(not hits, "SELinux denials", [], hits, f"AVC denials in {AUDIT_LOG} naming containers or "
                                                         "Kubernetes processes")


def judged_tool_versions(target: Target) -> Judged:
    """kubeadm, kubelet and kubectl report one version; which file answered for each goes with it."""
    out: dict[str, str] = {}
    paths: dict[str, str] = {}
    for tool, cmd in (("kubeadm", "kubeadm version -o short"), ("kubelet", "kubelet --version"),
                      ("kubectl", "kubectl version --client --short")):
        paths[tool] = target.run("command -v %s", tool).stdout.strip() or "not on PATH"
        res = target.run(cmd, timeout=20)
        m = re.search(r"v\d+\.\d+\.\d+\S*", res.stdout)
        out[tool] = m.group(0) if res.ok and m else f"no version (exit {res.rc})"
    return Judged(len(set(out.values())) == 1 and all(v.startswith("v") for v in out.values()), "versions",
                  "one version for all three", out,
                  "kubeadm version -o short; kubelet --version; kubectl version --client --short",
                  details={"paths": paths})


def judged_login_env(target: Target, user: str, var: str, value: str) -> Judged:
    """A variable as a login shell of `user` sees it (what their profile files export) is `value`."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):  # it is written into the login shell's script
        raise ValueError(f"not a variable name: {var!r}")
    res = target.run(
        "home=$(getent passwd %s | cut -d: -f6); env -i HOME=\"$home\" USER=%s TERM=dumb bash -l -c %s </dev/null",
        user, user, f'printf "@@%s@@" "${var}"', timeout=20,
    )
    m = re.search(r"@@(.*)@@", res.stdout, re.S)
    found = m.group(1) if m else None
    return Judged(found == value, var, value, found, f"a login shell of {user}: bash -l -c 'echo ${var}'")


def judged_runtime_container(docker_lab: Any, name: str) -> Judged:
    """A running Docker container holds Kubernetes container `name` (dockershim names them
    k8s_<container>_<pod>...)."""
    pattern = f"k8s_{name}_"
    with docker_lab.api(f"docker ps --filter name={pattern}"):
        found = docker_lab.client.containers.list(filters={"name": pattern})
    return Judged(bool(found), f"{name} container", "running", [f"{c.name} ({c.status})" for c in found] or "none",
                  f"docker ps --filter name={pattern}")
