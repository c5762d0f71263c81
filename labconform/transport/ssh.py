"""One OpenSSH master connection per lab: commands, tunnels and Docker all multiplex over it."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass

from labconform.errors import LabUnreachable, WaitTimeout
from labconform.poll import until
from labconform.transport.known_hosts import HostKeyError, default_known_hosts, forget_changed_key, refusal
from labconform.transport.remote_shell import RemoteShell, end_within
from labconform.transport.socket_relay import SocketRelay

# resident shells per session: below sshd's default MaxSessions (10), one is the master's own
MAX_SHELLS = 6
# how long the master waits for a silent server before it gives up on a dead link (interval x count)
ALIVE_INTERVAL_S = 3
ALIVE_COUNT = 3


@dataclass(frozen=True)
class SshOptions:
    """How to reach an ssh:// target: whose key, which known_hosts, whether to accept a new host key."""

    identity: str | None = None
    known_hosts: str | None = None
    accept_host_key: bool = False
    connect_timeout: int = 10


class SshSession:
    """An `ssh -M` master to one host. Every later `ssh` (testinfra's commands, forwards, Docker
    streams) goes through its control socket, so a run opens exactly one SSH connection; when the
    master dies the session says so and nothing falls back to a connection of its own."""

    def __init__(self, url: urllib.parse.SplitResult, options: SshOptions | None = None) -> None:
        self.url = url
        self.options = options or SshOptions()
        self.host = url.hostname or ""
        self.port = url.port or 22
        self.user = urllib.parse.unquote(url.username) if url.username else None
        self.known_hosts = self.options.known_hosts or default_known_hosts()
        self._dir = tempfile.mkdtemp(prefix="lc-ssh-")
        self.control_path = os.path.join(self._dir, "ctl")
        self._master: subprocess.Popen[bytes] | None = None
        self._lost: str | None = None
        self._lock = threading.Lock()
        self._forwards: dict[str, str] = {}
        self._relays: list[SocketRelay] = []
        self._idle: list[RemoteShell] = []
        self._kept: list[subprocess.Popen[bytes]] = []
        self._shell_count = 0
        self._shells_free = threading.Condition()

    @property
    def where(self) -> str:
        user = f"{self.user}@" if self.user else ""
        return f"ssh://{user}{self.host}:{self.port}"

    def common_options(self) -> list[str]:
        """Options every ssh of this session shares: the same host, user, key and host-key policy."""
        opts = [
            "-o", "BatchMode=yes",
            "-o", f"ConnectTimeout={self.options.connect_timeout}",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=" + ("accept-new" if self.options.accept_host_key else "yes"),
            "-o", f"ControlPath={self.control_path}",
            "-p", str(self.port),
        ]  # fmt: skip
        if self.user:
            opts += ["-l", self.user]
        if self.options.identity:
            opts += ["-i", self.options.identity, "-o", "IdentitiesOnly=yes"]
        return opts

    def client_options(self) -> list[str]:
        """For a command sent through the master: never a connection of its own."""
        return [*self.common_options(), "-o", "ControlMaster=no"]

    def client_args(self) -> str:
        """client_options() as one shell-quoted string (testinfra's ssh_extra_args)."""
        return shlex.join(self.client_options())

    # --- the master ---------------------------------------------------------------------------

    def open(self) -> None:
        """Connect once; raise HostKeyError or LabUnreachable with one line that says why."""
        with self._lock:
            if self._master is not None:
                return
            if self.options.accept_host_key:
                forget_changed_key(self.host, self.port, self.known_hosts)
            cmd = [
                "ssh", "-M", "-N", *self.common_options(),
                "-o", "ControlPersist=no",
                "-o", f"ServerAliveInterval={ALIVE_INTERVAL_S}",
                "-o", f"ServerAliveCountMax={ALIVE_COUNT}",
                "-o", "ExitOnForwardFailure=no",
                "--", self.host,  # "--": the destination is never read as an option
            ]  # fmt: skip
            with tempfile.TemporaryFile() as errlog:
                self._master = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog
                )
                bound = self.options.connect_timeout + 5
                try:
                    try:  # the master's own failure (a Conclusive LabUnreachable) ends the wait at once
                        until(lambda: self._master_up(errlog), timeout=bound, interval=0.05, what="SSH session")
                        return
                    except WaitTimeout:
                        pass
                    self._master.kill()
                    self._master.wait()
                    self._lost = f"{self.where}: no SSH session within {bound} s"
                    raise LabUnreachable(self._lost)
                except BaseException:
                    if self._master.poll() is None:
                        self._master.kill()
                        self._master.wait()
                    shutil.rmtree(self._dir, ignore_errors=True)  # nothing to keep from a failed connection
                    raise

    def _master_up(self, errlog) -> bool:
        """The starting master's control socket answers; its exit raises why (Conclusive: the wait ends)."""
        if self._master.poll() is not None:
            errlog.seek(0)
            self._fail(errlog.read().decode(errors="replace"))
        return os.path.exists(self.control_path) and self._check()

    def _reopen_once(self) -> bool | LabUnreachable:
        """One try at a new master: True, or the refusal to try again after (a changed host key is raised)."""
        self._master, self._lost = None, None
        os.makedirs(self._dir, exist_ok=True)  # a failed open removes it
        try:
            self.open()
            return True
        except HostKeyError:
            raise
        except LabUnreachable as exc:
            return exc

    def _check(self) -> bool:
        return subprocess.run(
            ["ssh", *self.common_options(), "-O", "check", "--", self.host], capture_output=True, timeout=10
        ).returncode == 0

    def _fail(self, stderr: str) -> None:
        exc = refusal(self.where, self.known_hosts, stderr)
        self._lost = str(exc)
        raise exc

    @property
    def lost(self) -> str | None:
        """Why the session is gone, or None while the master lives."""
        if self._lost:
            return self._lost
        if self._master is not None and self._master.poll() is not None:
            self._lost = f"{self.where}: connection lost (the SSH master exited with {self._master.returncode})"
        return self._lost

    def gone(self, grace: float = 0) -> bool:
        """Whether the master has exited, waiting up to `grace` seconds for it to do so."""
        if self._master is not None and grace and self._master.poll() is None:
            try:
                self._master.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        return self.lost is not None

    def require(self) -> None:
        if self._master is None:
            self.open()
        if self.lost:
            raise LabUnreachable(self.lost)

    def reopen(self, timeout: float) -> None:
        """After the lab host rebooted: a new master (waiting up to `timeout` s for SSH to answer), every
        forward again at the same local address (clients holding one keep working), fresh shells. What
        `keep` ran died with the old link: the lab host's side of it already did its work then."""
        with self._shells_free:
            self._drop_idle()
            self._shell_count = 0
            self._shells_free.notify_all()
        if self._master is not None and self._master.poll() is None:
            self._master.kill()
            self._master.wait()
        with contextlib.suppress(FileNotFoundError):  # a killed master leaves it: the next would not multiplex
            os.unlink(self.control_path)
        for proc in self._kept:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self._kept.clear()
        try:
            until(self._reopen_once, lambda r: r is True, timeout=timeout, interval=1, what="SSH session again")
        except WaitTimeout as gone:  # the last refusal says why
            raise gone.last if isinstance(gone.last, LabUnreachable) else LabUnreachable(str(gone)) from gone
        with self._lock:
            forwards = list(self._forwards.items())
        for key, local in forwards:
            kind, remote = key.split(":", 1)
            if kind == "unix":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(local)
            self._forward(f"{local}:{remote}")

    # --- forwards through the master ----------------------------------------------------------

    def _forward(self, spec: str) -> None:
        self.require()
        res = subprocess.run(
            ["ssh", *self.common_options(), "-O", "forward", "-L", spec, "--", self.host],
            capture_output=True,
            text=True,
            timeout=15,
        )
        if res.returncode != 0:
            raise LabUnreachable(f"{self.where}: forward {spec} refused: {res.stderr.strip()}")

    def forward_tcp(self, remote_host: str, remote_port: int) -> tuple[str, int]:
        """A local address that reaches remote_host:remote_port as the lab host sees it."""
        key = f"tcp:{remote_host}:{remote_port}"
        with self._lock:
            if key in self._forwards:
                host, port = self._forwards[key].rsplit(":", 1)
                return host, int(port)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._forward(f"127.0.0.1:{port}:{remote_host}:{remote_port}")
        with self._lock:
            self._forwards[key] = f"127.0.0.1:{port}"
        return "127.0.0.1", port

    def forward_unix(self, remote_path: str) -> str:
        """A local Unix socket that reaches remote_path on the lab host (the SSH user must may open it)."""
        key = f"unix:{remote_path}"
        with self._lock:
            if key in self._forwards:
                return self._forwards[key]
        local = os.path.join(self._dir, f"fwd-{len(self._forwards)}.sock")
        self._forward(f"{local}:{remote_path}")
        with self._lock:
            self._forwards[key] = local
        return local

    def relay(self, command: str) -> str:
        """A local Unix socket whose every connection is piped to `command` run on the lab host
        through the master (for `sudo docker system dial-stdio`, when the socket needs root)."""
        self.require()
        local = os.path.join(self._dir, f"relay-{len(self._relays)}.sock")
        r = SocketRelay(local, ["ssh", *self.client_options(), "--", self.host, command])
        self._relays.append(r)
        return local

    # --- commands: a few long-lived shells on the lab host, reused ---------------------------

    def run(self, line: str, timeout: float | None = None, data: bytes | None = None) -> tuple[int, str, str]:
        """Run one shell command line on the lab host in one of the session's resident shells.

        A new session per command costs the remote login shell's start-up each time (a heavy
        ~/.bashrc makes that 0.1-0.2 s); a resident `sh` pays it once and then runs commands
        back to back, each with its own exit status, stdout and stderr."""
        self.require()
        with self._shells_free:
            while not self._idle and self._shell_count >= MAX_SHELLS:
                self._shells_free.wait()
            shell = self._idle.pop() if self._idle else None
            if shell is None:
                self._shell_count += 1
        try:
            if shell is None:
                shell = RemoteShell(["ssh", *self.client_options(), "--", self.host, "exec /bin/sh"], self.where)
            result = shell.run(line, None if timeout is None else timeout + 10, data)
        except BaseException as exc:  # a shell left mid-answer (Ctrl-C included) is never reused
            if shell is not None:
                shell.close()
            with self._shells_free:
                self._shell_count -= 1
                self._shells_free.notify()
            if not isinstance(exc, (OSError, EOFError, TimeoutError)):
                raise
            if isinstance(exc, TimeoutError):
                raise LabUnreachable(f"{self.where}: no answer within {timeout} s") from None
            time.sleep(0.2)  # the master notices a dead link at the same moment; let it say why
            raise LabUnreachable(self.lost or f"{self.where}: connection lost ({exc})") from None
        with self._shells_free:
            self._idle.append(shell)
            self._shells_free.notify()
        return result

    def keep(self, command: str) -> None:
        """Run `command` on the lab host with its stdin held open by this session until it closes
        (normally, or because the connection dropped): a dead man's switch for clean-up."""
        self.require()
        proc = subprocess.Popen(
            ["ssh", *self.client_options(), "--", self.host, command],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._kept.append(proc)

    def _drop_idle(self) -> None:
        """Close the idle shells (the caller holds `_shells_free`)."""
        for sh in self._idle:
            sh.close()
        self._idle.clear()

    def close(self) -> None:
        for proc in self._kept:  # EOF: the kept commands finish their work
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        with self._shells_free:
            self._drop_idle()
        for r in self._relays:
            r.close()
        if self._master is not None and self._master.poll() is None:
            subprocess.run(
                ["ssh", *self.common_options(), "-O", "exit", "--", self.host], capture_output=True, timeout=10
            )
            end_within(self._master, 5)
        shutil.rmtree(self._dir, ignore_errors=True)
