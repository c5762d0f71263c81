"""How a lab is reached, declared once for every command: the target, the SSH options, the lab's parameters and
its kubeconfig. pytest, `python -m provision`, `labconform change`, `faults` and `schedule` add these options to
their parsers from here, read them back as one LabReach, and hand them on to a subprocess as one argv; a lab
node's `python -m provision.node args` prints that argv."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from labconform.transport.ssh import SshOptions

MAX_PATH = 4096  # Linux's PATH_MAX


def path_value(text: str) -> str:
    """An argparse type for an option that names a file or folder: not empty, no control character, at most
    PATH_MAX (so that a later check of the path is never a ValueError or 'File name too long')."""
    if not text.strip() or len(text) > MAX_PATH or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise argparse.ArgumentTypeError(f"{text[:80]!r}{'...' if len(text) > 80 else ''}: not a path (empty, a "
                                         f"control character, or over {MAX_PATH} characters)")
    return text


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    kind: str  # "target", "file" or "flag"

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")


TARGET = Option("--target", "the lab: local (default) or ssh://user@host:port (?sudo=true: a non-root user with sudo)",
                "target")
ACCEPT_HOST_KEY = Option("--accept-host-key", "ssh:// targets: accept an unknown or changed host key and record it "
                         "(default: refuse, one error)", "flag")
KNOWN_HOSTS = Option("--known-hosts", "ssh:// targets: known_hosts file (default ~/.ssh/known_hosts)", "file")
SSH_IDENTITY = Option("--ssh-identity", "ssh:// targets: private key to log in with", "file")
LAB_PARAMS = Option("--lab-params", "YAML file of lab parameters (image names, limits)", "file")
KUBECONFIG = Option("--kubeconfig", "kubeconfig for the cluster's API (default: the target's "
                    "/etc/kubernetes/admin.conf)", "file")
SSH = (ACCEPT_HOST_KEY, KNOWN_HOSTS, SSH_IDENTITY)
ALL = (TARGET, *SSH, LAB_PARAMS, KUBECONFIG)
WITHOUT_KUBECONFIG = (TARGET, *SSH, LAB_PARAMS)  # provisioning reads the cluster through the target's kubectl


def add_arguments(ap: argparse.ArgumentParser | Any, options: tuple[Option, ...] = ALL) -> None:
    """The options on an argparse parser (or one of its groups): --target defaults to local."""
    for o in options:
        if o.kind == "flag":
            ap.add_argument(o.flag, action="store_true", help=o.help)
        elif o.kind == "target":
            ap.add_argument(o.flag, default="local", help=o.help)
        else:
            ap.add_argument(o.flag, metavar="FILE", type=path_value, help=o.help)


def add_pytest_options(group: Any, options: tuple[Option, ...] = ALL) -> None:
    """The options on pytest's labconform group: --target may be given several times, one lab each."""
    for o in options:
        if o.kind == "flag":
            group.addoption(o.flag, action="store_true", help=o.help)
        elif o.kind == "target":
            group.addoption(o.flag, action="append", default=None,
                            help=o.help + "; several: each checked by its own pytest-xdist worker (-n N --dist each)")
        else:
            group.addoption(o.flag, default=None, metavar="FILE", type=path_value, help=o.help)


@dataclass(frozen=True)
class LabReach:
    """One lab and the way to it, as the options above give them."""

    target: str = "local"
    accept_host_key: bool = False
    known_hosts: str | None = None
    ssh_identity: str | None = None
    lab_params: str | None = None
    kubeconfig: str | None = None

    @classmethod
    def of(cls, args: Any) -> LabReach:
        """From parsed options (an argparse Namespace): an option the command does not take keeps its default."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
        return cls(**given)

    def ssh(self) -> SshOptions:
        return SshOptions(identity=self.ssh_identity, known_hosts=self.known_hosts,
                          accept_host_key=self.accept_host_key)

    def argv(self, options: tuple[Option, ...] = ALL) -> list[str]:
        """The options for a subprocess (the suite, provisioning) that reaches the same lab the same way: every
        file as an absolute path, since its working folder may be another."""
        out: list[str] = []
        for o in options:
            value = getattr(self, o.dest)
            if o.kind == "target":
                out += [o.flag, value]
            elif o.kind == "flag":
                out += [o.flag] if value else []
            elif value:
                out += [o.flag, str(Path(value).resolve())]
        return out
