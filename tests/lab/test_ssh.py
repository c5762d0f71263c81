"""The lab over a real OpenSSH server on this machine: same verdicts as local, one connection, host keys, sudo."""

from __future__ import annotations

import http.server
import os
import shutil
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

from labconform.errors import LabUnreachable
from labconform.http import client as http_client
from labconform.transport.known_hosts import HostKeyError
from labconform.transport.ssh import SshOptions
from labconform.transport.target import Target
from tests.support.ssh_server import (
    SUBSET,
    Sshd,
    free_port,
    keygen,
    sshd,  # noqa: F401 - the fixture
)

REPO = Path(__file__).resolve().parents[2]


def target_for(sshd: Sshd, user: str = "root", query: str = "", **opts: object) -> Target:
    options = SshOptions(identity=str(sshd.identity), known_hosts=str(sshd.known_hosts), **opts)  # type: ignore[arg-type]
    return Target(sshd.target(user, query), ssh=options)


@contextmanager
def session(sshd: Sshd, logins: int) -> Iterator[Target]:
    """A probed target over `sshd`, closed after the block; the block must have cost `logins` SSH logins."""
    t = target_for(sshd)
    before = sshd.logins()
    try:
        t.probe()
        yield t
    finally:
        t.close()
    assert sshd.logins() - before == logins


def provision_over(sshd: Sshd, *args: str, timeout: float) -> tuple[subprocess.CompletedProcess[str], int]:
    """`python -m provision ARGS` against `sshd` with its key and known_hosts; its run and the SSH logins it cost."""
    before = sshd.logins()
    p = subprocess.run(
        [sys.executable, "-m", "provision", *args, "--target", sshd.target(),
         "--ssh-identity", str(sshd.identity), "--known-hosts", str(sshd.known_hosts)],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )
    return p, sshd.logins() - before


def test_remote_run_gives_the_local_verdicts_claim_for_claim(suite, sshd):
    local = suite(*SUBSET)
    local_verdicts, local_run = local.verdicts(), local.results["run"]  # read now: both write reports/latest
    before = sshd.logins()
    remote = suite(*SUBSET, "--target", sshd.target(), *sshd.options())
    assert remote.results["run"]["target"]["spec"] == sshd.target()
    differ = {c: (v, remote.verdicts().get(c)) for c, v in local_verdicts.items() if remote.verdicts().get(c) != v}
    assert not differ, remote.out[-3000:] + local.out[-3000:]
    assert remote.verdicts().keys() == local_verdicts.keys()
    assert remote.rc == local.rc
    # one SSH connection for the whole run: every command, Docker call and API call shares it
    assert sshd.logins() - before == 1
    assert remote.results["run"]["target"]["kubernetes_version"] == local_run["target"]["kubernetes_version"]


def test_an_explicit_kubeconfig_is_used_as_it_is(suite, sshd, tmp_path):
    conf = tmp_path / "admin.conf"
    conf.write_text(Path("/etc/kubernetes/admin.conf").read_text())
    run = suite("features/84_k8s_init.feature", "--target", sshd.target(), *sshd.options(), "--kubeconfig", str(conf))
    explicit = run.verdicts()  # read now: the next run writes reports/latest
    assert "passed" in explicit.values()
    tunnelled = suite("features/84_k8s_init.feature", "--target", sshd.target(), *sshd.options())
    assert tunnelled.verdicts() == explicit


def test_commands_reuse_the_one_connection(sshd, tmp_path):
    with session(sshd, logins=1) as t:
        outs = {t.run("echo %s", str(i)).stdout.strip() for i in range(20)}
        assert outs == {str(i) for i in range(20)}
        res = t.run("echo out; echo err >&2; exit 3")
        assert (res.rc, res.stdout, res.stderr) == (3, "out\n", "err\n")
        assert t.read_text("/etc/hostname") == Path("/etc/hostname").read_text()
        assert t.read_bytes("/nonexistent/labconform") is None
        empty = tmp_path / "empty"
        empty.write_text("")
        assert t.read_texts(["/etc/hostname", "/nonexistent/labconform", str(empty)]) == {
            "/etc/hostname": Path("/etc/hostname").read_text(), "/nonexistent/labconform": None, str(empty): ""}
        unreadable = tmp_path / "dir-not-file"
        unreadable.mkdir()
        with pytest.raises(OSError, match="cannot read"):
            t.read_texts(["/etc/hostname", str(unreadable)])
        assert t.tunnel("127.0.0.1", sshd.port)[0] == "127.0.0.1"


def test_several_gets_from_the_lab_host_are_one_command_and_each_answer_its_own(sshd):
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            seen.append(self.path)
            body = f"answer {len(seen)}\n".encode()
            self.send_response(200 if len(seen) != 2 else 503)
            self.send_header("X-Count", str(len(seen)))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with session(sshd, logins=1) as t:
            url = f"http://127.0.0.1:{server.server_port}/x?a=1&b=$(id)"
            answers = http_client.get_many(t, url, 3)
            assert [(r.status, r.body, r.header("x-count"), r.sent_from) for r in answers] == [
                (200, "answer 1\n", "1", t.name), (503, "answer 2\n", "2", t.name), (200, "answer 3\n", "3", t.name)]
            assert seen == ["/x?a=1&b=$(id)"] * 3 and all(r.elapsed_ms > 0 for r in answers)
            refused = http_client.get_many(t, f"http://127.0.0.1:{free_port()}/", 2)
            assert [r.status for r in refused] == [None, None] and all("onnect" in r.error for r in refused)
    finally:
        server.shutdown()


def test_a_file_larger_than_one_argument_is_written_whole(sshd, tmp_path, over_ssh):
    """Over SSH in one command, its bytes the command's stdin (the next command's stdin is empty again);
    locally in pieces. Both: whole, with its mode, nothing left aside."""
    data = os.urandom(400_000) + b"LC-DATA\n"  # over three times the kernel's 128 KiB for one argument
    path = tmp_path / "sub" / "big.bin"
    with session(sshd, logins=1) if over_ssh else nullcontext(Target("local")) as t:
        t.write_bytes(str(path), data, 0o600)
        assert path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not list(path.parent.glob("*.lc-tmp"))
        if over_ssh:
            assert t.run("wc -c").stdout.strip() == "0"


def test_unknown_host_key_is_one_clear_error_then_accepted_on_request(suite, sshd, tmp_path):
    known = tmp_path / "known_hosts"  # knows nothing
    run = suite("features/10_hello.feature", "--target", sshd.target(),
                "--ssh-identity", str(sshd.identity), "--known-hosts", str(known))
    assert run.rc == 4
    errors = [line for line in run.err.splitlines() if line.strip()]
    assert len(errors) == 1 and "unknown host key" in errors[0] and "--accept-host-key" in errors[0], run.err
    assert "Traceback" not in run.out + run.err
    accepted = suite("features/10_hello.feature", "--target", sshd.target(), "--accept-host-key",
                     "--ssh-identity", str(sshd.identity), "--known-hosts", str(known))
    assert accepted.rc == 0, accepted.out[-2000:]
    assert sshd.host_key_pub.split()[1] in known.read_text()


def test_changed_host_key_is_refused_until_accepted(sshd, tmp_path):
    other = keygen(tmp_path / "other_host_key")
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {' '.join(other.split()[:2])}\n")
    t = Target(sshd.target(), ssh=SshOptions(identity=str(sshd.identity), known_hosts=str(known)))
    with pytest.raises(HostKeyError, match="CHANGED"):
        t.probe()
    t.close()
    t = Target(sshd.target(), ssh=SshOptions(identity=str(sshd.identity), known_hosts=str(known),
                                              accept_host_key=True))
    try:
        t.probe()
        assert t.run("echo ok").stdout == "ok\n"
    finally:
        t.close()
    text = known.read_text()
    assert sshd.host_key_pub.split()[1] in text and other.split()[1] not in text


@pytest.fixture
def sudo_user() -> Iterator[str]:
    """A login with no rights of its own but passwordless sudo, removed afterwards."""
    if shutil.which("sudo") is None:
        pytest.skip("sudo is not installed (Debian's sudo package: scripts/setup.sh should install it)")
    name = f"lcsudo{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    subprocess.run(["usermod", "-p", "*", name], check=True)  # no password, but not locked: keys log in
    sudoers = Path(f"/etc/sudoers.d/{name}")
    sudoers.write_text(f"{name} ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    try:
        yield name
    finally:
        sudoers.unlink(missing_ok=True)
        subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


def test_a_sudo_user_sees_what_root_sees(suite, sshd, sudo_user):
    plain = target_for(sshd, sudo_user)
    try:
        assert plain.run("id -u").stdout.strip() != "0"
        assert not plain.run("cat /etc/kubernetes/admin.conf").ok  # no rights without sudo
    finally:
        plain.close()
    files = ("features/10_hello.feature", "features/40_docker_ce.feature", "features/84_k8s_init.feature")
    root = suite(*files, "--target", sshd.target(), *sshd.options()).verdicts()
    sudo = suite(*files, "--target", sshd.target(sudo_user, "?sudo=true"), *sshd.options())
    assert sudo.verdicts() == root, sudo.out[-3000:]
    assert "passed" in root.values()


def test_provision_check_goes_through_the_same_connection(sshd):
    p, logins = provision_over(sshd, "--check", "--only", "docker", timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert f"for {sshd.target()}" in p.stdout
    assert logins == 1


def test_provision_over_ssh_takes_the_lease_and_uses_one_connection(sshd):
    p, logins = provision_over(sshd, "--only", "docker", "--lease-wait", "300", timeout=900)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert f"lease on {sshd.target()} taken" in p.stdout
    assert " failed " not in p.stdout
    assert logins == 1


def test_the_session_leaves_nothing_behind(sshd):
    t = target_for(sshd)
    t.probe()
    t.docker_socket()
    folder = os.path.dirname(t.session.control_path)
    assert os.path.exists(t.session.control_path)
    t.close()
    assert not os.path.exists(folder)


def test_after_the_link_drops_the_target_is_reached_again_with_the_same_tunnels(sshd):
    """What a reboot of the lab does to a run: every connection ends, then the host answers again."""
    import signal
    import socket

    from labconform.poll import until
    from tests.support.ssh_server import _comm

    with session(sshd, logins=2) as t:
        host, port = t.tunnel("127.0.0.1", sshd.port)  # sshd itself at the far end: it greets with its banner
        for pid in [p for p in sshd.sessions() if _comm(p).startswith("sshd")]:
            os.kill(pid, signal.SIGKILL)  # the listener stays: the host is back at once
        with pytest.raises(LabUnreachable):
            until(lambda: t.run("true"), timeout=20, what="the dropped link noticed")
        with pytest.raises(LabUnreachable):
            t.run("true")  # stays unreachable until reconnected
        t.reconnect(timeout=20)
        assert t.run("echo back").stdout == "back\n"
        with socket.create_connection((host, port), timeout=10) as s:
            assert s.recv(4) == b"SSH-"
