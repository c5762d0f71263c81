"""--target: malformed specs are usage errors; an unreachable lab makes every claim an error, quickly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from labconform.errors import LabUnreachable, UsageError
from labconform.transport.host_spec import parse_target
from labconform.transport.target import Target, parse_facts
from tests.support.target import silent_server  # noqa: F401 - the fixture


@pytest.mark.parametrize("spec", [None, "local", "local://", "ssh://root@127.0.0.1:2222", "paramiko://lab.example",
                                  "ssh://root@[::1]:22", "ssh://admin@lab:22?sudo=true"])
def test_good_specs(spec):
    assert parse_target(spec)


@pytest.mark.parametrize(
    "spec, says",
    [
        ("lab.example.com", "expected 'local' or a host spec"),
        ("ftp://lab.example.com", "unknown scheme 'ftp'"),
        ("ssh://", "no host name"),
        ("ssh://root@lab:notaport", "port is not a number"),
        ("ssh://root@lab:0", "port is not a number"),
        ("ssh://root@lab/some/path", "unexpected path"),
        # issue 25: an empty value widens nothing, nothing reaches ssh as an option, no traceback
        ("", "empty; say local"),
        ("   ", "empty; say local"),
        ("ssh://root@-oProxyCommand=touch X", "may not start with '-'"),
        ("ssh://-oProxyCommand=x@lab:22", "may not start with '-'"),
        ("ssh://root@lab;touch X:22", "shell characters"),
        ("ssh://root@[::1", "not a host spec"),
        ("ssh://root@lab:22\nExecStart=/bin/sh", "control characters"),
        ("local://foo", "local:// names no host"),
        ("ssh://" + "a" * 3000, "over 2048 characters"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, says):
    with pytest.raises(UsageError, match=says):
        parse_target(spec)


def test_probe_of_a_silent_host_is_bounded(silent_server):
    t = Target(f"ssh://root@127.0.0.1:{silent_server}", connect_timeout=2)
    with ThreadPoolExecutor(1) as pool, pytest.raises(LabUnreachable):
        pool.submit(t.probe).result(timeout=30)  # a probe still waiting then: TimeoutError, the test fails
    with pytest.raises(LabUnreachable):  # remembered: no second attempt
        t.run("true")


def test_facts_parse_family_and_capabilities():
    text = "os_id=rocky\nos_like=rhel centos fedora\nversion_id=8.4\ninit=systemd\ncap_bnd=000001fffeffffff\ncgroup=1\n"
    facts = parse_facts(text)
    assert facts.family == "rhel" and facts.major_version == "8" and facts.systemd_is_init
    assert facts.lacks_sys_resource
    assert not parse_facts("cap_bnd=000001ffffffffff\n").lacks_sys_resource


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
