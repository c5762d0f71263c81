"""--target: malformed specs are usage errors; an unreachable lab makes every claim an error, quickly."""

from __future__ import annotations

import socket

import pytest

from tests.support.target import silent_server  # noqa: F401 - the fixture


def test_malformed_target_is_one_line_and_pytests_usage_exit(suite):
    run = suite("features/10_hello.feature", "--target", "ftp://lab")
    assert run.rc == 4  # pytest.ExitCode.USAGE_ERROR
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert lines == [
        "ERROR: --target 'ftp://lab': unknown scheme 'ftp' (one of: local, ssh, safe-ssh, paramiko, ansible)"
    ]
    assert "Traceback" not in run.out + run.err


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_unreachable_target_makes_every_claim_an_error(suite, silent_server, kind):
    port = closed_port() if kind == "refused" else silent_server
    # one connection attempt for the whole run, not one per claim (each would take the full timeout): the
    # run ends within 60 s, a subprocess timeout
    run = suite("features/", "-m", "not destructive", "--target", f"ssh://root@127.0.0.1:{port}", timeout=60)
    assert run.rc == 1
    claims = run.results["claims"]
    assert len(claims) >= 25
    assert {c["verdict"] for c in claims} == {"error"}
    assert all(f"127.0.0.1:{port}" in c["reason"] for c in claims), claims[0]["reason"]
    assert run.results["run"]["target"]["unreachable"]
    assert run.out.count("Traceback") == 0


