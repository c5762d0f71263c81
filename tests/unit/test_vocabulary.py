"""The vocabulary of a lab's own claims without a lab: every sentence's example is matched by its own sentence
(and its "within" form), docs/vocabulary.md is current, the readers parse what the host tools print, and the
rules (version constraints, modes, JSON paths, a bounded wait, ids never used twice) hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd import parsers

from labconform.errors import UsageError
from labconform.host import command_output, files, inventory, resources
from labconform.judged import Judged, converged
from labconform.results.document import feature_file_of, feature_path
from labconform.run.collection import id_clashes
from steps import vocabulary


def test_the_page_is_written_from_the_rows() -> None:
    assert vocabulary.DOC.read_text() == vocabulary.render(), "run: python -m steps.vocabulary"


@pytest.mark.parametrize("s", vocabulary.SENTENCES, ids=lambda s: s.text)
def test_each_example_is_matched_by_its_sentence_and_by_no_other(s: vocabulary.Sentence) -> None:
    example = s.example
    mine = parsers.parse(s.text)
    assert mine.is_matching(example), example
    others = [o.text for o in vocabulary.SENTENCES if o is not s and parsers.parse(o.text).is_matching(example)]
    assert not others, f"{example!r} is matched by {others} too"
    if s.within:
        assert parsers.parse(s.text + vocabulary.WITHIN).is_matching(example + ", within 5 seconds")


def test_the_readers_parse_what_the_host_tools_print() -> None:
    assert inventory.parse_dpkg("bash\tinstall ok installed\t5.2.15-2+b2\nold\tdeinstall ok config-files\t1\n") \
        == {"bash": "5.2.15-2+b2"}
    assert inventory.parse_rpm("openssl\t1.1.1g-15.el8_3\n") == {"openssl": "1.1.1g-15.el8_3"}
    assert inventory.parse_passwd("root:x:0:0:root:/root:/bin/bash\nbad line\n") == {
        "root": {"uid": 0, "gid": 0, "home": "/root", "shell": "/bin/bash"}}
    assert inventory.parse_group("docker:x:999:otheruser,alice\nwheel:x:10:\n")["docker"]["members"] == [
        "otheruser", "alice"]
    ss = inventory.parse_ss('LISTEN 0 4096 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=81,fd=3))\n'
                            'LISTEN 0 4096 [::]:6443 [::]:* users:(("kube-apiserver",pid=9,fd=7))\n')
    assert ss == [{"port": 22, "address": "0.0.0.0", "processes": ["sshd"]},
                  {"port": 6443, "address": "[::]", "processes": ["kube-apiserver"]}]
    m = inventory.parse_mounts("tmpfs /srv/my\\040data tmpfs rw,noexec 0 0\n")
    assert m == [{"source": "tmpfs", "path": "/srv/my data", "type": "tmpfs", "options": ["rw", "noexec"]}]
    assert inventory.parse_services("ssh.service loaded active running OpenBSD\ngetty@tty1.service loaded active\n"
                                    "LC-ENABLED\ndocker.service enabled enabled\nssh.service enabled enabled\n") == {
        "running": {"ssh"}, "enabled": {"docker", "ssh"}}
    assert inventory.parse_modules(inventory.NO_MODULES + "\n") is None
    assert inventory.parse_modules("br_netfilter 32768 0 - Live 0x0\n") == {"br_netfilter"}


@pytest.mark.parametrize(("found", "constraint", "holds"), [
    ("3.0.11-1~deb12u2", ">= 3.0", True), ("3.0.11", "< 3.0", False), ("1.2", "1.2", True), ("1.2", "== 1.3", False),
    ("1.2", "!= 1.3", True), ("2.0", "> 1.9", True), ("1.9", "<= 1.9", True),
])
def test_version_constraints(found: str, constraint: str, holds: bool) -> None:
    assert resources.version_holds(found, constraint) is holds


@pytest.mark.parametrize("bad", ["", "~> 1", ">= ", "1.0; rm -rf /"])
def test_a_malformed_constraint_or_mode_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError):
        resources.version_holds("1", bad)
    with pytest.raises(UsageError):
        files.octal_mode(bad or "0999")


def test_modes_and_json_paths() -> None:
    assert files.octal_mode("644") == "0644" and files.octal_mode("1777") == "1777"
    doc = {"items": [{"name": "a"}, {"name": "b"}], "n": 2}
    assert command_output.at_path(doc, "items.1.name") == "b" and command_output.at_path(doc, "n") == 2
    with pytest.raises(KeyError):
        command_output.at_path(doc, "items.5.name")


def test_a_claim_within_a_bound_asks_again_until_it_holds_and_says_how_often() -> None:
    answers = iter([False, False, True])
    j = converged(lambda: Judged(next(answers), "x", "holds", None, "asked"), seconds=10, interval=0.01)
    assert j.ok and j.details["attempts"] == 3 and j.details["within_s"] == 10
    never = converged(lambda: Judged(False, "x", "holds", None, "asked"), seconds=0.05, interval=0.01)
    assert not never.ok and never.details["attempts"] >= 2


def test_an_id_used_twice_names_both_places(tmp_path: Path) -> None:
    doc, own = tmp_path / "features", tmp_path / "labs" / "x" / "features"
    for d, text in ((doc, "@id:hello-01\nScenario: a\n"), (own, "Feature: f\n  @id:own-01\n  @id:hello-01\n")):
        d.mkdir(parents=True)
        (d / "a.feature").write_text(text)
    assert id_clashes([doc, own]) == [f"the claim id hello-01 is at {doc / 'a.feature'}:1 and at {own / 'a.feature'}:3"]
    assert id_clashes([own]) == []
    assert feature_file_of(doc / "a.feature", tmp_path) == "a.feature"
    assert feature_file_of(own / "a.feature", tmp_path) == "labs/x/features/a.feature"
    assert feature_path("a.feature") == "features/a.feature"
    assert feature_path("labs/x/features/a.feature") == "labs/x/features/a.feature"
