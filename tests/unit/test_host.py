"""The host claims: version minimums, the RHEL plan from recorded facts, and the Crypt::SSLeay
claim broken for real by installing Debian's package (removed again whatever happens)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.host import hostsoftware, sysinfo
from labconform.transport.target import Result, Target, parse_facts

TOP = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("found", "minimum", "ok"), [
    ("3.0.19-1~deb12u2", "1.1.1g", True),
    ("1.1.1g-15.el8_3", "1.1.1g", True),
    ("1.1.1f-1ubuntu2", "1.1.1g", False),
    ("1.1.1k-4.el8", "1.1.1g", True),
    ("2.4.37-39.module+el8.4.0+571+fd70afb1", "2.4.37", True),
    ("2.4.36-1", "2.4.37", False),
    ("5.36.0-7+deb12u2", "5.26.3", True),
    ("1:5.26.3-419.el8", "5.26.3", True),
    ("5.26.2-1", "5.26.3", False),
    ("4:12.2.0-3", None, True),
])
def test_the_documents_versions_are_minimums(found: str, minimum: str | None, ok: bool) -> None:
    assert sysinfo.at_least(found, minimum) is ok


def test_the_hosts_size_name_and_restart_judged_as_their_steps_recorded(monkeypatch) -> None:
    res = sysinfo.Resources(2, 2_000_000_000, {"sda": 20_000_000_000}, 0)
    monkeypatch.setattr(sysinfo, "resources", lambda t: (res, "getconf"))
    monkeypatch.setattr(sysinfo, "hostname_resolution", lambda t, name: {
        "addresses": [], "/etc/hosts": "not listed", "command": "getent ahosts vm", "exit_status": 2})
    monkeypatch.setattr(sysinfo, "restart_pending", lambda t, family: (True, {"command": "needrestart -b -k",
                                                                              "exit_status": 0}))
    t = Target("local")
    t.facts = parse_facts("")  # nothing asked of this machine
    size = hostsoftware.judged_size(t, 2, 4, 20)
    assert not size.ok and size.found == {"cores": 2, "memory GB": 2.0, "disk GB": 20.0}
    assert size.details == {"disks": {"sda": 20_000_000_000}, "root_filesystem_bytes": 0}
    name = hostsoftware.judged_hostname(t, "vm")
    assert (name.ok, name.found, name.how) == (False, "no address", "getent ahosts vm")
    assert name.details == {"addresses": [], "/etc/hosts": "not listed", "exit_status": 2}
    restart = hostsoftware.judged_restart(t)
    assert (restart.ok, restart.found, restart.how, restart.details) == (False, "pending", "needrestart -b -k",
                                                                         {"exit_status": 0})


def test_the_rhel_plan_follows_the_document(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    subprocess.run([sys.executable, "-m", "provision", "--facts", str(TOP / "tests/data/rocky-8.4.json"),
                    "--json", str(out)], cwd=TOP, capture_output=True, timeout=120)
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    assert steps["system up to date"]["commands"] == ["dnf -y update"]
    assert steps["EPEL repository"]["status"] == "would-change"
    assert steps["EPEL repository"]["commands"][0] == "dnf -y install epel-release"
    perl = steps["Perl modules"]
    assert perl["claims"] == ["rocky-07"] and perl["status"] == "would-change"
    assert "cpanm --force HTTP::Daemon HTTP::Daemon::SSL" in perl["commands"]
    assert "cpan -i Time::Piece" in perl["commands"]
    assert steps["no Crypt::SSLeay"]["status"] == "unchanged"
    # the host's steps come before Docker's, as in the document
    names = list(steps)
    assert names.index("no restart pending") < names.index("docker engine packages")


def test_a_row_about_tools_wants_the_tools_not_only_their_package(monkeypatch, tmp_path) -> None:
    """On Debian the OpenSSL Perl tools and the CPAN client come inside openssl and perl: their rows look for
    c_rehash and CA.pl, and cpan, so that a host with the package but without the tool fails the row. The tools'
    lookup runs in plain sh here, with a PATH that holds only what the test puts there."""
    (tmp_path / "c_rehash").write_text("#!/bin/sh\n")
    (tmp_path / "c_rehash").chmod(0o755)
    for tool in ("ls", "head"):  # what the lookup itself runs
        (tmp_path / tool).symlink_to(shutil.which(tool))
    t = Target("local")
    t.facts = parse_facts("os_id=debian\n")
    t.package_version = lambda pkg: {"openssl": "3.0.19-1~deb12u2", "perl": "5.36.0-7"}.get(pkg)  # type: ignore
    misc = tmp_path / "misc"
    misc.mkdir()
    monkeypatch.setattr(sysinfo, "OPENSSL_MISC", (str(misc),))

    def run(cmd: str, *args: str) -> Result:
        p = subprocess.run(["/bin/sh", "-c", cmd % tuple(shlex.quote(a) for a in args)], capture_output=True, text=True,
                           env={"PATH": str(tmp_path)})
        return Result(cmd, p.returncode, p.stdout, p.stderr)
    t.run = run  # type: ignore[method-assign]
    tools = hostsoftware.host_package(t, "OpenSSL Perl tools", "any")
    assert not tools.ok and tools.found == {"openssl": "3.0.19-1~deb12u2", "c_rehash": f"{tmp_path}/c_rehash",
                                            "CA.pl": "absent"}, tools.found
    (misc / "CA.pl").write_text("")
    assert hostsoftware.host_package(t, "OpenSSL Perl tools", "any").ok
    cpan = hostsoftware.host_package(t, "CPAN client", "any")
    assert not cpan.ok and cpan.expected == "perl installed, with cpan" and cpan.found["cpan"] == "absent"
    assert hostsoftware.host_package(t, "Perl", "5.26.3").found == "5.36.0-7"  # a package row stays a package row
