"""How a lab is reached, declared once (labconform/transport/reach.py): every command takes the same options,
reads them back as one LabReach and hands the same argv on."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from labconform.commands import change, faults, schedule
from labconform.transport import reach
from labconform.transport.reach import LabReach


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name in ("id_lab", "known_hosts", "params.yaml", "kubeconfig"):
        (tmp_path / name).write_text("")
        out[name] = str(tmp_path / name)
    return out


def given(files: dict[str, str]) -> list[str]:
    return ["--target", "ssh://root@lab:22", "--ssh-identity", files["id_lab"], "--known-hosts", files["known_hosts"],
            "--accept-host-key", "--lab-params", files["params.yaml"], "--kubeconfig", files["kubeconfig"]]


def test_each_command_reads_the_same_lab_from_the_same_options(files) -> None:
    want = LabReach("ssh://root@lab:22", True, files["known_hosts"], files["id_lab"], files["params.yaml"],
                    files["kubeconfig"])
    assert LabReach.of(change.parse_args(["--run", "true", *given(files)])) == want
    assert LabReach.of(faults.parse_args(["--destructive", *given(files)])) == want
    assert LabReach.of(schedule.parser().parse_args(["status", *given(files)])) == want


def test_an_option_a_command_does_not_take_keeps_its_default() -> None:
    assert LabReach.of(argparse.Namespace(target="local", other=1)) == LabReach()
    assert LabReach.of(argparse.Namespace(target="ssh://a", kubeconfig=None)).kubeconfig is None


def test_the_argv_reaches_the_same_lab_from_another_folder(files, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = LabReach("ssh://root@lab:22", ssh_identity="id_lab", lab_params="params.yaml")
    argv = relative.argv()
    assert argv == ["--target", "ssh://root@lab:22", "--ssh-identity", files["id_lab"], "--lab-params",
                    files["params.yaml"]]
    ap = argparse.ArgumentParser()
    reach.add_arguments(ap)
    assert LabReach.of(ap.parse_args(argv)) == LabReach("ssh://root@lab:22", ssh_identity=files["id_lab"],
                                                        lab_params=files["params.yaml"])


def test_provisioning_is_handed_no_kubeconfig(files) -> None:
    argv = LabReach("local", kubeconfig=files["kubeconfig"], accept_host_key=True).argv(reach.WITHOUT_KUBECONFIG)
    assert argv == ["--target", "local", "--accept-host-key"]


def test_the_ssh_options_are_the_transports() -> None:
    ssh = LabReach("ssh://a", True, "kh", "id").ssh()
    assert (ssh.identity, ssh.known_hosts, ssh.accept_host_key) == ("id", "kh", True)
