"""The vocabulary of a lab's own claims (steps/vocabulary.py) run for real on this machine as the lab: a feature
file of the test's own, about things the test makes (a file, a listener serving HTTP, a user and a group, a
tmpfs mount, a Docker image), passes; each thing then broken for real (a mode changed, the listener stopped,
the user removed, the mount gone, the image removed) fails exactly the claims about it, naming what was found;
a claim "within N seconds" waits for a listener that comes up late; malformed arguments are errors, never a
pass. Everything made here is removed in a `finally`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconform.commands import suite_process
from tests.conftest import Run

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the test makes a user, a group and a mount: root")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Made:
    """What the test makes on the lab, by name, and how each is broken."""

    def __init__(self, root: Path) -> None:
        tag = uuid.uuid4().hex[:6]
        self.root, self.user, self.group = root, f"lcv{tag}", f"lcvg{tag}"
        self.image, self.port, self.mount = f"lc-vocab/{tag}:1", free_port(), root / "mnt"
        self.conf, self.json = root / "app.conf", root / "app.json"
        self.server: subprocess.Popen | None = None

    def serve(self, delay: float = 0) -> None:
        (self.root / "www").mkdir(exist_ok=True)
        (self.root / "www" / "health").write_text("ok from lc-vocab\n")
        self.server = subprocess.Popen(["sh", "-c", f'sleep {delay}; exec "$0" -m http.server {self.port} '
                                        f'--bind 127.0.0.1 --directory {self.root / "www"}', sys.executable],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_serving(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)
            self.server = None


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@pytest.fixture
def made(tmp_path: Path) -> Iterator[Made]:
    m = Made(tmp_path)
    m.conf.write_text("mode=prod\nlisten 8080\n")
    m.conf.chmod(0o640)
    m.json.write_text(json.dumps({"app": {"replicas": 2, "name": "web"}}))
    m.mount.mkdir()
    try:
        sh("groupadd", m.group)
        sh("useradd", "--no-create-home", "--shell", "/bin/sh", "--groups", m.group, m.user)
        sh("mount", "-t", "tmpfs", "-o", "noexec,size=1m", "tmpfs", str(m.mount))
        subprocess.run(["docker", "build", "-q", "-t", m.image, "-"], input=b"FROM mytc\nLABEL org.lc.vocab=yes\n",
                       check=True, capture_output=True, timeout=300)
        yield m
    finally:
        m.stop_serving()
        for argv in (["umount", str(m.mount)], ["userdel", m.user], ["groupdel", m.group],
                     ["docker", "rmi", "-f", m.image]):
            subprocess.run(argv, capture_output=True, timeout=120)


def feature(m: Made) -> str:
    url = f"http://127.0.0.1:{m.port}/health"
    return textwrap.dedent(f'''\
        @section:own
        Feature: the test's own claims
          Background:
            Given the lab host

          @id:own-t-01
          Scenario: the file
            Then the file "{m.conf}" has the mode "0640"
            And the file "{m.conf}" contains "mode=prod"
            And the file "{m.conf}" has a line matching "^listen [0-9]+$"
            And "{m.root}" is a directory

          @id:own-t-02
          Scenario: the listener
            Then TCP port {m.port} is listened on by "python3", within 30 seconds
            And the URL "{url}" answers 200
            And the URL "{url}" answers with a body containing "ok from lc-vocab"

          @id:own-t-03
          Scenario: the user
            Then the user "{m.user}" has the shell "/bin/sh"
            And the user "{m.user}" is in the group "{m.group}"

          @id:own-t-04
          Scenario: the mount
            Then "{m.mount}" is mounted with the option "noexec"

          @id:own-t-05
          Scenario: the image
            Then the Docker image "{m.image}" has the label "org.lc.vocab" set to "yes"

          @id:own-t-06
          Scenario: the command
            Then the command "cat {m.json}" prints JSON with "app.replicas" equal to "2"

          @id:own-t-07
          Scenario: a mode that is not octal
            Then the file "{m.conf}" has the mode "0999"

          @id:own-t-08
          Scenario: a regular expression that does not compile
            Then the file "{m.conf}" has a line matching "(unclosed"
        ''')


def run(tmp_path: Path, m: Made, name: str) -> Run:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "own.feature").write_text(feature(m))
    reports = folder / "reports"
    # a feature folder outside the checkout: the checkout's conftest (the plugin and every steps module) by name
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                        *suite_process.project_options([folder]),
                        "--reports-dir", str(reports), str(folder)], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    return Run(p.returncode, p.stdout, p.stderr, reports)


def test_the_claims_pass_then_each_breakage_fails_the_claims_about_it(tmp_path: Path, made: Made) -> None:
    made.serve(delay=3)  # the listener comes up after the run has begun: "within 30 seconds" waits for it
    ok = run(tmp_path, made, "whole")
    verdicts = ok.verdicts()
    assert {i: verdicts[i] for i in verdicts if i not in ("own-t-07", "own-t-08")} == dict.fromkeys(
        [f"own-t-0{n}" for n in range(1, 7)], "passed"), ok.out[-3000:]
    listener = next(o for o in ok.claim("own-t-02")["evidence"] if o["what"] == f"TCP port {made.port}")
    assert listener["details"]["attempts"] > 1 and listener["details"]["within_s"] == 30, listener
    for bad, words in (("own-t-07", "0999"), ("own-t-08", "(unclosed")):
        assert ok.claim(bad)["verdict"] == "error" and words in ok.claim(bad)["reason"], ok.claim(bad)
    made.conf.chmod(0o644)
    made.stop_serving()
    sh("userdel", made.user)
    sh("umount", str(made.mount))
    sh("docker", "rmi", made.image)
    made.json.write_text(json.dumps({"app": {"replicas": 1}}))
    broken = run(tmp_path, made, "broken")
    reasons = {i: c["reason"] for i, c in ((c["id"], c) for c in broken.results["claims"]) if c["verdict"] == "failed"}
    assert set(reasons) == {f"own-t-0{n}" for n in range(1, 7)}, broken.out[-3000:]
    assert "'mode': '0644'" in reasons["own-t-01"]
    assert "nothing listens" in reasons["own-t-02"]
    assert "no such user" in reasons["own-t-03"]
    assert "not a mount point" in reasons["own-t-04"]
    assert "no such image" in reasons["own-t-05"]
    assert "'app.replicas': 1" in reasons["own-t-06"]
    assert broken.claim("own-t-07")["verdict"] == "error"  # still malformed, whatever the lab holds
