"""The lab's SSH host key: what ssh's refusal to connect says (a changed or an unknown key, or no route), and
--accept-host-key taking out a recorded key that the host no longer offers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from labconform.errors import LabUnreachable


class HostKeyError(LabUnreachable):
    """The lab's host key is unknown or has changed: nothing is sent until someone accepts it."""



def default_known_hosts() -> str:
    return str(Path("~/.ssh/known_hosts").expanduser())



def refusal(where: str, known_hosts: str, stderr: str) -> LabUnreachable:
    """Why ssh could not connect, from what it printed: HostKeyError for a changed or an unknown host key,
    LabUnreachable otherwise; one line either way."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not set(ln.strip()) <= {"@"}]
    text = " ".join(lines)
    if "IDENTIFICATION HAS CHANGED" in text or "Host key for" in text and "has changed" in text:
        why = f"the host key CHANGED since it was recorded in {known_hosts}; if the lab was rebuilt, accept the new key"
    elif "Host key verification failed" in text or "No " in text and "host key is known" in text:
        why = f"unknown host key (not in {known_hosts}); check its fingerprint, then accept it"
    else:
        return LabUnreachable(f"{where}: unreachable ({lines[-1] if lines else 'ssh exited'})")
    return HostKeyError(f"{where}: {why} with --accept-host-key")


def forget_changed_key(host: str, port: int, known: str) -> None:
    """--accept-host-key also accepts a changed key: the old entry goes, the new one is recorded."""
    if not os.path.exists(known):
        os.makedirs(os.path.dirname(known) or ".", exist_ok=True)
        return
    name = host if port == 22 else f"[{host}]:{port}"
    scan = subprocess.run(
        ["ssh-keyscan", "-T", "5", "-p", str(port), host], capture_output=True, text=True, timeout=15
    )
    offered = {tuple(ln.split()[1:3]) for ln in scan.stdout.splitlines() if ln and not ln.startswith("#")}
    found = subprocess.run(["ssh-keygen", "-F", name, "-f", known], capture_output=True, text=True, timeout=10)
    recorded = {tuple(ln.split()[1:3]) for ln in found.stdout.splitlines() if ln and not ln.startswith("#")}
    if recorded and offered and not recorded & offered:
        subprocess.run(["ssh-keygen", "-R", name, "-f", known], capture_output=True, timeout=10)
