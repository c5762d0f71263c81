"""The lab over a real OpenSSH server on this machine: same verdicts as local, one connection, host keys, sudo."""

from __future__ import annotations

import os

import pytest

from labconform.errors import LabUnreachable
from labconform.transport.ssh import SshOptions
from labconform.transport.target import Target
from tests.support.ssh_server import free_port


def test_unreachable_ssh_target_says_where(tmp_path):
    # a port bound and let go again (free_port): nothing listens on it
    t = Target(f"ssh://root@127.0.0.1:{free_port()}", ssh=SshOptions(known_hosts=str(tmp_path / "k")))
    with pytest.raises(LabUnreachable, match="127.0.0.1"):
        t.probe()
    assert t.unreachable
    assert not os.path.exists(os.path.dirname(t.session.control_path))  # nothing left, even unclosed
    t.close()


