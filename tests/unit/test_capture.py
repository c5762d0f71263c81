"""`python -m labconform capture` without a lab: the feature file it writes from recorded tables is sorted,
stable, commented with its source, uses only the vocabulary's sentences, and bad options are refused."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers

from labconform.commands import capture
from labconform.host import inventory
from steps import vocabulary


class Recorded:
    """A Target whose kinds are recorded tables (inventory's cache filled beforehand)."""

    class facts:  # noqa: N801 - the Target's attribute
        systemd_is_init = True
        family = "debian"


def captured() -> str:
    t = Recorded()
    inventory._KEPT[t] = {
        "packages": inventory.Table({"zsh": "5.9-4", "bash": "5.2.15-2+b2"}, "dpkg-query"),
        "services": inventory.Table({"running": {"ssh"}, "enabled": {"ssh", "docker"}}, "systemctl"),
        "listeners": inventory.Table(
            inventory.parse_ss('LISTEN 0 1 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'), "ss -Hltnp"),
        "users": inventory.Table({"root": {"uid": 0, "gid": 0, "home": "/root", "shell": "/bin/bash"}}, "getent"),
        "groups": inventory.Table({"docker": {"gid": 999, "members": ["otheruser"]}}, "getent group"),
        "mounts": inventory.Table(
            inventory.parse_mounts("overlay / overlay rw 0 0\nshm /var/lib/docker/x/shm tmpfs rw 0 0\n"),
            "cat /proc/self/mounts"),
        "images": inventory.Table(["mytc:latest"], "docker image ls"),
    }
    return capture.render("local", [c for kind in capture.KINDS for c in capture.KINDS[kind](t)], "cap")


def test_the_file_is_sorted_commented_and_written_in_the_vocabulary() -> None:
    text = captured()
    assert text == captured()  # stable: the same lab gives the same file
    assert text.index("cap-package-bash") < text.index("cap-package-zsh")
    assert "# from: dpkg-query: 5.2.15-2+b2" in text and "/var/lib/docker" not in text
    sentences = [parsers.parse(s.text) for s in vocabulary.SENTENCES]
    steps = [line.strip().split(" ", 1)[1] for line in text.splitlines() if line.strip().startswith(("Then ", "And "))]
    assert len(steps) == 10, steps  # 2 packages, ssh twice, a port, root twice, a group, a mount, an image
    for step in steps:
        assert any(p.is_matching(step) for p in sentences), step
    assert 'Then TCP port 22 is listened on by "sshd"' in text and '"/" is mounted as "overlay"' in text


@pytest.mark.parametrize("argv", [["--only", "packages,nothing"], ["--only", ","], ["--prefix", "Bad Prefix"]])
def test_bad_options_are_refused_in_one_line(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        capture.parse_args(argv)
    assert exc.value.code != 0 and "Traceback" not in capsys.readouterr().err
