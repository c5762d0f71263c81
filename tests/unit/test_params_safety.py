"""Lab parameters cannot reach a shell: refused when loaded, and quoted in every command even when
validation is bypassed (LabParams made directly, a host whose name holds shell syntax)."""

from __future__ import annotations

import copy
import json
import os
import shlex
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import get_type_hints

import pytest
import yaml

from labconform.errors import UsageError
from labconform.params import DOCUMENT_TOMCAT, LabParams, load_params
from labconform.transport.target import Result, shell_line
from provision.docker import tomcat
from provision.host import software
from provision.state import RecordedState

ROCKY = Path(__file__).resolve().parents[1] / "data" / "rocky-8.4.json"
HINTS = get_type_hints(LabParams)
STRING_PARAMS = [name for name, hint in HINTS.items() if hint is str or hint == tuple[str, ...]]
# each tries to run `touch {m}` (m: a marker file that must never be created), or is split by a shell
HOSTILE = ["x;touch {m}", "/a/$(touch {m})", "x`touch {m}`", "x' ; touch {m} ; '", 'x" ; touch {m} ; "',
           "/a b", "x && touch {m}", "x|touch {m}", "x\ntouch {m}", "x>{m}"]


def write_params(tmp_path: Path, values: dict) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(values))
    return str(path)


@pytest.mark.parametrize("name", STRING_PARAMS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_string_parameter_with_shell_syntax_is_refused_at_load(tmp_path, name, hostile):
    value = hostile.format(m=tmp_path / "marker")
    loaded = value if HINTS[name] is str else [value]
    with pytest.raises(UsageError) as err:
        load_params(write_params(tmp_path, {name: loaded}))
    message = str(err.value)
    assert "\n" not in message
    assert f"lab parameter {name}: {loaded!r} is not " in message
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("bridge_transfer_mib", True, "an integer"),
    ("bridge_transfer_mib", 3.0, "an integer"),
    ("bridge_transfer_mib", "3", "an integer"),
    ("container_start_timeout_s", False, "a number"),
    ("container_start_timeout_s", "5", "a number"),
    ("document_ports", [18080, "28080"], "a list of integers"),
    ("document_ports", 18080, "a list of integers"),
    ("registry_mirrors", "https://mirror.gcr.io", "a list of strings"),
    ("mytc_image", 7, "a string"),
    ("mytc_image", ["mytc"], "a string"),
    ("tls_site", None, "a string"),
])
def test_a_value_of_the_wrong_type_is_refused(tmp_path, name, value, expected):
    with pytest.raises(UsageError, match=f"lab parameter {name}: .* is not {expected}$"):
        load_params(write_params(tmp_path, {name: value}))


def test_good_values_load_with_the_fields_types(tmp_path):
    p = load_params(write_params(tmp_path, {
        "tomcat_image": "k8s.gcr.io/etcd:3.4.13-0",
        "tomcat_upstream": "registry.local:5000/lab/tomcat@sha256:" + "a" * 64,
        "mytc_image": "mytc", "context_dir": "/app/contexts/mytc-2", "document_ports": [18080, 28080],
        "container_start_timeout_s": 5, "bridge_transfer_mib": 3, "lab_interfaces": ["eth0", "br-1a2b"],
        "link_duplex": "half",
        "tls_site": "letsencrypt.org:443", "trust_store_override": "/tmp/pytest-of-root/bundle.pem",
        "jvm_trust_store_override": "", "registry_mirrors": ["https://mirror.gcr.io", "http://10.0.0.1:5000/"],
        "deployment_manifest": "/app/cluster.yaml",
    }))
    assert p.container_start_timeout_s == 5.0 and isinstance(p.container_start_timeout_s, float)
    assert p.document_ports == (18080, 28080) and p.lab_interfaces == ("eth0", "br-1a2b")
    assert p.registry_mirrors == ("https://mirror.gcr.io", "http://10.0.0.1:5000/")
    assert load_params(None, "rhel").tomcat_image == DOCUMENT_TOMCAT
    # the sites the trust tests use: an address with a port, a name with a 64-character label
    for site in ("10.0.0.5:4433", "a" * 64 + ".invalid", "[::1]:443"):
        assert load_params(write_params(tmp_path, {"tls_site": site})).tls_site == site


def test_an_unknown_parameter_is_still_named(tmp_path):
    with pytest.raises(UsageError, match="unknown parameter\\(s\\) mytc_imag$"):
        load_params(write_params(tmp_path, {"mytc_imag": "mytc"}))


# --- validation bypassed: the commands still quote every value ------------------------------------

class Recorder:
    """Stands in for provisioning's Context and Target: keeps each command line instead of running it."""

    def __init__(self, params: LabParams, pull_ok: bool) -> None:
        self.params, self.pull_ok, self.lines = params, pull_ok, []
        self.state = SimpleNamespace(facts=SimpleNamespace(family="debian"), image=lambda ref: None,
                                     raw=lambda path: None)
        self.target = self

    def run(self, command: str, *args: str, timeout: float = 60) -> Result:
        line = shell_line(command, *args)
        self.lines.append(line)
        ok = self.pull_ok or not line.startswith("docker pull")
        return Result(line, 0 if ok else 1, "", "" if ok else "no registry")

    def sh(self, *commands: str, timeout: float = 900, quiet: bool = False) -> None:
        self.lines.extend(commands)

    def say(self, message: str) -> None:
        pass

    def put(self, path: str, data: bytes, mode: int = 0o644) -> None:
        pass


def run_with_stubs(lines: list[str], tmp_path: Path) -> list[list[str]]:
    """Run each line with a real sh, docker and apt-get being stubs that log their argv; the argvs."""
    stubs, log = tmp_path / "bin", tmp_path / "argv.log"
    stubs.mkdir(exist_ok=True)
    for name in ("docker", "apt-get", "build-tomcat-image.sh"):
        script = f'printf "%s\\0" "$(basename "$0")" "$@" >> {log}\nprintf "\\n" >> {log}\n'
        (stubs / name).write_text(f"#!/bin/sh\n{script}")
        (stubs / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    for line in lines:
        subprocess.run(["sh", "-c", line], env=env, cwd=tmp_path, timeout=30, check=True)
    return [entry.rstrip("\0").split("\0") for entry in log.read_text().split("\0\n") if entry]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("pull_ok", [True, False])
def test_tomcat_commands_quote_every_parameter(tmp_path, monkeypatch, hostile, pull_ok):
    marker = tmp_path / "marker"
    value = hostile.format(m=marker)
    params = LabParams(tomcat_image=f"{value}-base", tomcat_upstream=f"{value}-up", mytc_image=value,
                       context_dir=f"/nonexistent/{value}")
    monkeypatch.setattr(tomcat, "BUILDER", str(tmp_path / "bin" / "build-tomcat-image.sh"))
    # the long build runs watched in the background on a real lab: here its command line is kept like the rest
    monkeypatch.setattr(tomcat, "run_watched", lambda ctx, command, *args, **kw: ctx.lines.append(command))
    ctx = Recorder(params, pull_ok)
    steps = tomcat.steps(ctx)
    for step in steps:
        step.apply()
    argvs = run_with_stubs(ctx.lines, tmp_path)
    assert not marker.exists()
    build = next(a for a in argvs if a[:2] == ["docker", "build"])
    assert build[build.index("-t") + 1] == value and build[-1] == params.context_dir
    if pull_ok:
        assert ["docker", "tag", params.tomcat_upstream, params.tomcat_image] in argvs
    else:
        assert next(a for a in argvs if a[0] == "build-tomcat-image.sh")[1] == params.tomcat_image
    # and the plan shows the commands as they run: each value one word
    shown = [shlex.split(c) for s in steps for c in s.commands if not c.startswith(("write", "or, "))]
    assert ["docker", "tag", params.tomcat_upstream, params.tomcat_image] == shown[0][-4:]
    assert ["mkdir", "-p", f"{params.context_dir}/ROOT/META-INF"] in shown
    assert ["docker", "build", "-t", value, params.context_dir] == shown[-1][:5]


@pytest.mark.parametrize("family", ["rhel", "debian"])
def test_the_hosts_line_quotes_the_host_name(tmp_path, family):
    """The name is the host's own (read from it): `$(...)` or backticks in it are written, never run."""
    data = copy.deepcopy(json.loads(ROCKY.read_text()))
    name = f"r84$(touch {tmp_path / 'marker'})`touch {tmp_path / 'marker'}`;x"
    data["facts"]["hostname"] = name
    if family == "debian":
        data["facts"].update(os_id="debian", os_like=[])
    ctx = SimpleNamespace(state=RecordedState(data), params=LabParams())
    step = next(s for s in software.steps(ctx) if s.name == "hostname resolves")
    (command,) = step.commands
    hosts = tmp_path / "hosts"
    subprocess.run(["sh", "-c", command.replace("/etc/hosts", str(hosts))], timeout=30, check=True)
    assert not (tmp_path / "marker").exists()
    line = hosts.read_text()
    assert line.endswith(f" {name}\n") and line.count("\n") == 1
    if family == "debian":
        assert line == f"127.0.1.1 {name}\n"
