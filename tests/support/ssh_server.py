"""A real OpenSSH server for the tests: its own port, host key and authorized key, removed after."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from labconform.errors import LabUnreachable
from labconform.poll import until

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return (path.parent / (path.name + ".pub")).read_text().strip()


@dataclass
class Sshd:
    """One running sshd: where it listens, the client key it accepts, a known_hosts that knows it."""

    port: int
    home: Path
    identity: Path
    known_hosts: Path
    host_key_pub: str
    proc: subprocess.Popen[bytes]

    def target(self, user: str = "root", query: str = "") -> str:
        return f"ssh://{user}@127.0.0.1:{self.port}{query}"

    def options(self, *extra: str) -> list[str]:
        """The suite's options for this server: its key and known_hosts, nothing from ~/.ssh."""
        return ["--ssh-identity", str(self.identity), "--known-hosts", str(self.known_hosts), *extra]

    def logins(self) -> int:
        """How many SSH connections logged in so far (sshd's "Accepted publickey" lines)."""
        log = self.home / "sshd.log"
        return log.read_text(errors="replace").count("Accepted publickey") if log.exists() else 0

    def sessions(self) -> list[int]:
        """Every process under the listening sshd: one monitor and its children per connection."""
        children: dict[int, list[int]] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(d.name))
        out, todo = [], list(children.get(self.proc.pid, []))
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += children.get(pid, [])
        return out

    def kill(self) -> None:
        """Drop every connection and stop listening: every sshd process goes, the programs its
        sessions ran see their connection end (as when the network between the two is cut)."""
        pids = [p for p in self.sessions() if _comm(p).startswith("sshd")]
        self.proc.kill()
        self.proc.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@contextmanager
def sshd_server() -> Iterator[Sshd]:
    """Start sshd; stop it, its sessions and its files at the end."""
    home = Path(tempfile.mkdtemp(prefix="lc-sshd-"))
    home.chmod(0o755)  # a non-root login reads its authorized_keys here
    # sshd's privilege-separation folder stays: another sshd on the host (the admins' own, or a
    # concurrent run's) may need it while this one stops
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    host_pub = keygen(home / "host_key")
    client_pub = keygen(home / "client_key")
    (home / "authorized_keys").write_text(client_pub + "\n")
    (home / "authorized_keys").chmod(0o644)
    port = free_port()
    (home / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home / 'host_key'}\n"
        f"AuthorizedKeysFile {home / 'authorized_keys'}\nPidFile {home / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        "UsePAM no\nStrictModes no\nAllowTcpForwarding yes\nAllowStreamLocalForwarding yes\nMaxSessions 100\n"
        "MaxStartups 100\nSubsystem sftp internal-sftp\n"
    )
    known = home / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {' '.join(host_pub.split()[:2])}\n")
    log = home / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-E", str(log), "-f", str(home / "sshd_config")])
    server = Sshd(port, home, home / "client_key", known, host_pub, proc)
    try:
        def up() -> bool:
            if proc.poll() is not None:
                raise LabUnreachable(f"sshd exited with {proc.returncode} before listening on port {port}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
            return False
        until(up, timeout=10, interval=0.05, what=f"sshd listening on port {port}")
        yield server
    finally:
        if proc.poll() is None:
            server.kill()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    """One test sshd for a test module (import this fixture into the module)."""
    with sshd_server() as server:
        yield server


# a representative slice: host facts, Docker (an active claim that starts containers, HTTP from the
# lab host), Kubernetes through the tunnel (API objects, pod IPs, the NodePort)
SUBSET = (
    "features/10_hello.feature",
    "features/40_docker_ce.feature",
    "features/60_tomcat_with_root_war.feature",
    "features/84_k8s_init.feature",
    "features/87_nodeport.feature",
)
