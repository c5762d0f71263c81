"""What the lab, plugin, unit tests of test_lease.py share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labconform.transport.ssh import SshOptions
from labconform.transport.target import Target
from tests.support.ssh_server import sshd  # noqa: F401 - the fixture


@pytest.fixture(params=["local", "ssh"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "local":
        t = Target("local")
    else:
        sshd = request.getfixturevalue("sshd")
        t = Target(sshd.target(), ssh=SshOptions(identity=str(sshd.identity), known_hosts=str(sshd.known_hosts)))
    yield t
    t.close()


@pytest.fixture
def lease_path(tmp_path: Path) -> str:
    return str(tmp_path / "lease")  # a lease of the tests' own, never the lab's real one


