"""--target: malformed specs are usage errors; an unreachable lab makes every claim an error, quickly."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from labconform.errors import LabUnreachable, UsageError
from labconform.transport.target import Target, parse_facts, parse_target


@pytest.mark.unit
@pytest.mark.parametrize("spec", ["", "local", "local://", "ssh://root@127.0.0.1:2222", "paramiko://lab.example"])
def test_good_specs(spec):
    assert parse_target(spec)


@pytest.mark.unit
@pytest.mark.parametrize(
    "spec, says",
    [
        ("lab.example.com", "expected 'local' or a host spec"),
        ("ftp://lab.example.com", "unknown scheme 'ftp'"),
        ("ssh://", "no host name"),
        ("ssh://root@lab:notaport", "port is not a number"),
        ("ssh://root@lab:0", "port is not a number"),
        ("ssh://root@lab/some/path", "unexpected path"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, says):
    with pytest.raises(UsageError, match=says):
        parse_target(spec)


@pytest.mark.plugin
def test_malformed_target_is_one_line_and_pytests_usage_exit(suite):
    run = suite("features/10_hello.feature", "--target", "ftp://lab")
    assert run.rc == 4  # pytest.ExitCode.USAGE_ERROR
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert lines == [
        "ERROR: --target 'ftp://lab': unknown scheme 'ftp' (one of: local, ssh, safe-ssh, paramiko, ansible)"
    ]
    assert "Traceback" not in run.out + run.err


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word: an SSH server that hangs."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.plugin
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


@pytest.mark.unit
def test_probe_of_a_silent_host_is_bounded(silent_server):
    t = Target(f"ssh://root@127.0.0.1:{silent_server}", connect_timeout=2)
    with ThreadPoolExecutor(1) as pool, pytest.raises(LabUnreachable):
        pool.submit(t.probe).result(timeout=30)  # a probe still waiting then: TimeoutError, the test fails
    with pytest.raises(LabUnreachable):  # remembered: no second attempt
        t.run("true")


@pytest.mark.lab
def test_local_facts_are_read():
    facts = Target("local").facts
    assert facts.family == "debian" and facts.kernel and facts.init


@pytest.mark.unit
def test_facts_parse_family_and_capabilities():
    text = "os_id=rocky\nos_like=rhel centos fedora\nversion_id=8.4\ninit=systemd\ncap_bnd=000001fffeffffff\ncgroup=1\n"
    facts = parse_facts(text)
    assert facts.family == "rhel" and facts.major_version == "8" and facts.systemd_is_init
    assert facts.lacks_sys_resource
    assert not parse_facts("cap_bnd=000001ffffffffff\n").lacks_sys_resource


@pytest.mark.unit
def test_a_resident_shell_gives_each_command_its_input_whole_or_not_at_all():
    """The shell an SSH session keeps, run here on a local `sh`: a command's stdin comes in the same write as
    the command; one whose input could not be written is not run."""
    from labconform.transport.remote_shell import RemoteShell

    shell = RemoteShell(["sh"], "a local sh")
    try:
        assert shell.run("wc -c; echo after", 10, b"LC-DATA\n" * 5000) == (0, "40000\nafter\n", "")
        assert shell.run("wc -c", 10) == (0, "0\n", "")  # the next command's stdin is empty again
        assert shell.run("cat", 10, b"") == (0, "", "")
        shell.run('mkdir "$T/i"', 10)  # where the input is decoded to: now a folder, so the decoding fails
        rc, out, err = shell.run("echo ran", 10, b"x")
        assert (rc, out) == (125, "") and "not written whole" in err
    finally:
        shell.close()
