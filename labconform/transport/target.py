"""The lab a run checks: its host spec, one connection, and facts read once."""

from __future__ import annotations

import base64
import shlex
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import testinfra

from labconform.errors import LabUnreachable
from labconform.transport.host_spec import parse_target
from labconform.transport.ssh import SshOptions, SshSession


# testinfra backends that reach a whole host (not a container or a pod)
def shell_line(command: str, *args: str) -> str:
    """`command` with each `%s` replaced by one argument, shell-quoted: no argument is ever
    interpreted by the shell (a literal `%` in `command` is written `%%` when there are arguments)."""
    return command % tuple(shlex.quote(a) for a in args) if args else command


@dataclass(frozen=True)
class Result:
    """One command run on the target: what was asked and what came back."""

    command: str
    rc: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def evidence(self) -> dict[str, Any]:
        return {"command": self.command, "exit_status": self.rc, "stdout": self.stdout, "stderr": self.stderr}


@dataclass(frozen=True)
class Facts:
    """What a claim or a provisioning step needs to know about the host, read in one round trip."""

    os_id: str
    os_like: tuple[str, ...]
    version_id: str
    pretty_name: str
    kernel: str
    arch: str
    hostname: str
    init: str
    cap_bnd: int
    cgroup_version: int
    extra: dict[str, str] = field(default_factory=dict)

    CAP_SYS_RESOURCE = 24

    @property
    def family(self) -> str:
        """rhel, debian, or the os id itself for anything else."""
        ids = (self.os_id, *self.os_like)
        if any(i in ("rhel", "fedora", "centos", "rocky", "almalinux") for i in ids):
            return "rhel"
        if any(i in ("debian", "ubuntu") for i in ids):
            return "debian"
        return self.os_id

    @property
    def major_version(self) -> str:
        return self.version_id.split(".")[0]

    @property
    def systemd_is_init(self) -> bool:
        return self.init == "systemd"

    @property
    def lacks_sys_resource(self) -> bool:
        return not (self.cap_bnd >> self.CAP_SYS_RESOURCE) & 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "os_id": self.os_id,
            "os_like": list(self.os_like),
            "version_id": self.version_id,
            "pretty_name": self.pretty_name,
            "family": self.family,
            "kernel": self.kernel,
            "arch": self.arch,
            "hostname": self.hostname,
            "init": self.init,
            "cap_bnd": f"{self.cap_bnd:#x}",
            "cgroup_version": self.cgroup_version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        return cls(
            os_id=data["os_id"],
            os_like=tuple(data.get("os_like", ())),
            version_id=str(data["version_id"]),
            pretty_name=data.get("pretty_name", ""),
            kernel=data.get("kernel", ""),
            arch=data.get("arch", "x86_64"),
            hostname=data.get("hostname", ""),
            init=data["init"],
            cap_bnd=int(str(data.get("cap_bnd", "0x1ffffffffff")), 16),
            cgroup_version=int(data.get("cgroup_version", 1)),
        )


# One script, one round trip: each line is KEY=value.
_FACTS_SCRIPT = r"""
. /etc/os-release 2>/dev/null
echo "os_id=$ID"
echo "os_like=$ID_LIKE"
echo "version_id=$VERSION_ID"
echo "pretty_name=$PRETTY_NAME"
echo "kernel=$(uname -r)"
echo "arch=$(uname -m)"
echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
echo "init=$(cat /proc/1/comm 2>/dev/null)"
echo "cap_bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo cgroup=2; else echo cgroup=1; fi
"""


def parse_facts(text: str) -> Facts:
    kv = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return Facts(
        os_id=kv.get("os_id", "unknown"),
        os_like=tuple(kv.get("os_like", "").split()),
        version_id=kv.get("version_id", ""),
        pretty_name=kv.get("pretty_name", ""),
        kernel=kv.get("kernel", ""),
        arch=kv.get("arch", ""),
        hostname=kv.get("hostname", ""),
        init=kv.get("init", ""),
        cap_bnd=int(kv.get("cap_bnd") or "0", 16),
        cgroup_version=int(kv.get("cgroup", "1")),
    )


# each file named in the arguments, one line each: its content in base64, or that it does not exist
READ_FILES = r"""for p; do
  if [ -e "$p" ]; then b=$(base64 < "$p") || exit 1; printf 'LC-FILE %s\n' "$(printf %s "$b" | tr -d '\n')"
  else echo LC-NO-SUCH-FILE; fi
done
"""
WRITE_PIECE = 60_000  # base64 characters per command line when a file is written without SSH


class Target:
    """A lab host reached through testinfra: one backend (one connection) for the whole run."""

    def __init__(self, spec: str = "local", connect_timeout: int = 10, ssh: SshOptions | None = None) -> None:
        self.spec = "local" if spec is None else spec  # an empty one is refused by parse_target
        self.hostspec = parse_target(self.spec)
        self.connect_timeout = connect_timeout
        self.ssh_options = ssh or SshOptions(connect_timeout=connect_timeout)
        self._unreachable: str | None = None

    @cached_property
    def session(self) -> SshSession | None:
        """The one SSH connection of an ssh:// target (None for every other transport)."""
        if self.url.scheme not in ("ssh", "safe-ssh"):
            return None
        return SshSession(self.url, self.ssh_options)

    @property
    def sudo(self) -> bool:
        """ssh://user@host?sudo=true: commands run through sudo, as testinfra does."""
        return urllib.parse.parse_qs(self.url.query).get("sudo", ["false"])[0].lower() == "true"

    def _lose(self, reason: str | None) -> LabUnreachable:
        """The target is unreachable from now on, for `reason`: the error to raise."""
        self._unreachable = reason
        return LabUnreachable(reason)

    @contextmanager
    def _noting_unreachable(self) -> Iterator[None]:
        """A LabUnreachable raised in the block is remembered as the target's reason, then raised again."""
        try:
            yield
        except LabUnreachable as exc:
            self._unreachable = str(exc)
            raise

    def _session_lost(self) -> str | None:
        return self.session.lost if self.session is not None else None

    def connect(self) -> None:
        """Open the SSH connection now (no-op for other transports); HostKeyError or LabUnreachable."""
        if self.session is not None and not self._unreachable:
            with self._noting_unreachable():
                self.session.open()

    def check_alive(self, grace: float = 0) -> None:
        """Raise LabUnreachable when the target's connection is gone. `grace`: after a transport
        error, how long to give a dying SSH master to exit before the error is blamed on the service."""
        if self._unreachable:
            raise LabUnreachable(self._unreachable)
        if self.session is not None and self.session.gone(grace):
            raise self._lose(self.session.lost)

    def reconnect(self, timeout: float) -> None:
        """Reach the target again after it rebooted (an ssh:// target: a new connection, the same tunnels);
        LabUnreachable when it does not answer within `timeout` seconds."""
        if self.session is None:
            return
        self.session.reopen(timeout)
        self._unreachable = None

    def tunnel(self, host: str, port: int) -> tuple[str, int]:
        """An address on this machine that reaches host:port as the lab host sees it."""
        if self.session is None:
            return host, port
        self.connect()
        return self.session.forward_tcp(host, port)

    def docker_socket(self, path: str = "/var/run/docker.sock") -> str:
        """A local Unix socket that reaches the lab's Docker engine over the target's connection."""
        if self.session is None:
            raise LabUnreachable(f"{self.spec}: Docker is reached over ssh:// targets only")
        self.connect()
        if self.sudo:
            return self.session.relay("sudo -n docker system dial-stdio")
        return self.session.forward_unix(path)

    def close(self) -> None:
        if "session" in self.__dict__ and self.session is not None:
            self.session.close()

    @property
    def is_local(self) -> bool:
        return self.hostspec == "local://"

    @cached_property
    def url(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.hostspec)

    @property
    def name(self) -> str:
        return "local" if self.is_local else (self.url.hostname or self.spec)

    @cached_property
    def host(self) -> Any:
        kwargs: dict[str, Any] = {}
        if self.url.scheme in ("ssh", "safe-ssh", "paramiko"):
            kwargs["timeout"] = self.connect_timeout
        if self.session is not None:
            self.connect()
            kwargs["ssh_extra_args"] = self.session.client_args()
        return testinfra.get_host(self.hostspec, **kwargs)

    def run(self, command: str, *args: str, timeout: float | None = 60, data: bytes | None = None) -> Result:
        """Run a shell command on the target, bounded by `timeout` seconds on the target itself; `data` is its
        stdin (ssh:// targets only: write_bytes is what every transport has)."""
        if data is not None and self.session is None:
            raise ValueError(f"{self.spec}: a command's stdin is sent over ssh:// targets only")
        self.check_alive()
        line = shell_line(command, *args)
        wrapped = line
        if timeout:
            wrapped = f"timeout -k 2 {int(timeout)} sh -c {shlex.quote(line)}"
        if self.session is not None:
            # testinfra's command line (its sudo, when ?sudo=true), run in a resident shell
            own = wrapped if timeout else f"sh -c {shlex.quote(line)}"  # never the resident shell's own exit
            try:
                rc, stdout, stderr = self.session.run(self.host.backend.get_command(own), timeout, data)
            except LabUnreachable:
                self._unreachable = self.session.lost
                raise
            return Result(line, rc, stdout, stderr)
        try:
            out = self.host.run(wrapped)
        except LabUnreachable:
            raise
        except Exception as exc:  # transport failure, not a failed command
            lost = self._session_lost()
            if lost:
                self._unreachable = lost
            raise LabUnreachable(lost or f"{self.spec}: {exc}") from exc
        if not self.is_local and out.rc == 255:
            raise self._lose(self._session_lost() or f"{self.spec}: connection lost ({out.stderr.strip()[-200:]})")
        return Result(line, out.rc, out.stdout, out.stderr)

    def probe(self) -> None:
        """Reach the target once, within the connect timeout; remember the reason if it fails."""
        with self._noting_unreachable():
            res = self.run("echo labconform-ok", timeout=self.connect_timeout + 5)
        if "labconform-ok" not in res.stdout:
            raise self._lose(f"{self.spec}: unreachable ({res.stderr.strip()[-300:] or 'no answer'})")

    @property
    def unreachable(self) -> str | None:
        return self._unreachable

    @cached_property
    def facts(self) -> Facts:
        return parse_facts(self.run(_FACTS_SCRIPT).stdout)

    def read_bytes(self, path: str) -> bytes | None:
        """A file's content, or None when it does not exist."""
        if self.is_local:
            try:
                with open(path, "rb") as fh:
                    return fh.read()
            except FileNotFoundError:
                return None
        # one round trip, through run(): bounded, and a lost connection is an error, not "absent"
        res = self.run("if [ -e %s ]; then base64 < %s; else echo LC-NO-SUCH-FILE; fi", path, path)
        if res.stdout.strip() == "LC-NO-SUCH-FILE":
            return None
        if not res.ok:
            raise OSError(f"cannot read {path} on {self.spec}: {res.stderr.strip()}")
        return base64.b64decode(res.stdout)

    def read_texts(self, paths: list[str]) -> dict[str, str | None]:
        """Several files' text (None: absent), over SSH in one round trip, not one per file."""
        if self.session is None or len(paths) < 2:
            return {p: self.read_text(p) for p in paths}
        res = self.run('sh -c %s sh' + ' %s' * len(paths), READ_FILES, *paths)
        lines = res.stdout.splitlines()
        if not res.ok or len(lines) != len(paths):
            raise OSError(f"cannot read {', '.join(paths)} on {self.spec}: {res.stderr.strip() or f'exit {res.rc}'}")
        return {p: None if line == "LC-NO-SUCH-FILE" else base64.b64decode(line.removeprefix("LC-FILE "))
                .decode("utf-8", errors="replace") for p, line in zip(paths, lines, strict=True)}

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def write_bytes(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file of any size on the target: its folder made, written aside, then moved into place. Over SSH
        the bytes are the command's stdin (one round trip); otherwise they go in pieces small enough for one
        command-line argument each (the kernel allows 128 KiB)."""
        if self.session is not None:
            res = self.run('mkdir -p "$(dirname %s)" && cat > %s.lc-tmp && chmod %s %s.lc-tmp && mv %s.lc-tmp %s',
                           path, path, f"{mode:o}", path, path, path, data=data)
        else:
            encoded = base64.b64encode(data).decode()
            res = self.run('mkdir -p "$(dirname %s)" && : > %s.lc-tmp', path, path)
            for i in range(0, len(encoded), WRITE_PIECE):
                if res.ok:
                    res = self.run("echo %s | base64 -d >> %s.lc-tmp", encoded[i:i + WRITE_PIECE], path)
            if res.ok:
                res = self.run("chmod %s %s.lc-tmp && mv %s.lc-tmp %s", f"{mode:o}", path, path, path)
        if not res.ok:
            raise OSError(f"cannot write {path} on {self.spec}: {res.stderr.strip()}")

    def package_version(self, name: str) -> str | None:
        """The installed version of a package, or None."""
        if self.facts.family == "debian":
            res = self.run("dpkg-query -W -f='${Status} ${Version}' %s", name)
            if res.ok and res.stdout.startswith("install ok installed"):
                return res.stdout.split()[-1]
            return None
        res = self.run("rpm -q --qf '%%{VERSION}-%%{RELEASE}' %s", name)
        return res.stdout.strip() if res.ok else None

    def command_exists(self, name: str) -> bool:
        return self.run("command -v %s", name).ok
