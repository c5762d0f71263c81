"""The vocabulary of a lab's own claims: sentences for any package, service, port, process, user, group, kernel
module, mount, name, file, command, URL, Docker image and container an admin names, usable in any feature file
(a lab's own `labs/<lab>/features/` among them) without Python. Each one is a row below: its family, its text,
an example, and the library call that judges it; most also have a form ending ", within N seconds" that asks
again until the claim holds or the bound passes, with the attempts in the evidence.

docs/vocabulary.md is written from these rows (`python -m steps.vocabulary`), and a test keeps it current."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_bdd import parsers, then

from labconform.docker import objects
from labconform.errors import UsageError
from labconform.host import command_output, files, resources
from labconform.http import urls
from labconform.judged import Judged, converged
from steps import judged

WITHIN = ", within {seconds:d} seconds"


@dataclass(frozen=True)
class Sentence:
    family: str
    text: str
    example: str
    within: bool


SENTENCES: list[Sentence] = []


def _within(judge: Callable[..., Judged]) -> Callable[..., Judged]:
    """`judge` asked again until it holds (fresh reads each time), for at most `seconds`."""
    params = [p for p in inspect.signature(judge).parameters.values() if p.name != "fresh"]
    fresh = "fresh" in inspect.signature(judge).parameters

    def again(seconds: int, **args: Any) -> Judged:
        return converged(lambda: judge(**args, **({"fresh": True} if fresh else {})), seconds)

    again.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*params, inspect.Parameter("seconds", inspect.Parameter.POSITIONAL_OR_KEYWORD)])
    return again


def _located(judge: Callable[..., Judged]) -> Callable[..., Judged]:
    """`judge`, whose UsageError (a malformed argument) names the feature file and line of the step."""
    def located(step_at: Callable[[], str], **args: Any) -> Judged:
        try:
            return judge(**args)
        except UsageError as exc:
            raise UsageError(f"{step_at()}: {exc}") from None

    located.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("step_at", inspect.Parameter.POSITIONAL_OR_KEYWORD),
         *inspect.signature(judge).parameters.values()])
    return located


def sentence(family: str, text: str, example: str, judge: Callable[..., Judged], within: bool = True) -> None:
    SENTENCES.append(Sentence(family, text, example, within))
    judged(then, parsers.parse(text), _located(judge), depth=1)
    if within:
        judged(then, parsers.parse(text + WITHIN), _located(_within(judge)), depth=1)


# --- the host -------------------------------------------------------------------------------------------------
sentence("package", 'the package "{name}" is installed', 'the package "openssh-server" is installed',
         lambda lab, name, fresh=False: resources.judged_package(lab.target, name, fresh=fresh))
sentence("package", 'the package "{name}" is installed at version "{constraint}"',
         'the package "openssl" is installed at version ">= 3.0"',
         lambda lab, name, constraint, fresh=False: resources.judged_package(lab.target, name, constraint, fresh))
sentence("service", 'the service "{name}" is running', 'the service "ssh" is running',
         lambda lab, name, fresh=False: resources.judged_service_running(lab.target, name, fresh=fresh))
sentence("service", 'the service "{name}" is not running', 'the service "telnet" is not running',
         lambda lab, name, fresh=False: resources.judged_service_running(lab.target, name, False, fresh))
sentence("service", 'the service "{name}" is enabled at boot', 'the service "docker" is enabled at boot',
         lambda lab, name, fresh=False: resources.judged_service_enabled(lab.target, name, fresh))
sentence("port", "TCP port {port:d} is listening", "TCP port 22 is listening",
         lambda lab, port, fresh=False: resources.judged_listening(lab.target, port, fresh=fresh))
sentence("port", 'TCP port {port:d} is listened on by "{process}"', 'TCP port 22 is listened on by "sshd"',
         lambda lab, port, process, fresh=False: resources.judged_listening(lab.target, port, process, fresh))
sentence("process", 'a process "{name}" is running', 'a process "dockerd" is running',
         lambda lab, name, fresh=False: resources.judged_process(lab.target, name, fresh=fresh))
sentence("process", 'the number of processes "{name}" is {count:d}', 'the number of processes "dockerd" is 1',
         lambda lab, name, count, fresh=False: resources.judged_process(lab.target, name, count, fresh=fresh))
sentence("process", 'the processes "{name}" run as "{user}"', 'the processes "dockerd" run as "root"',
         lambda lab, name, user, fresh=False: resources.judged_process(lab.target, name, user=user, fresh=fresh))
sentence("user", 'the user "{name}" exists', 'the user "root" exists',
         lambda lab, name, fresh=False: resources.judged_user(lab.target, name, fresh=fresh))
sentence("user", 'the user "{name}" has the uid {uid:d}', 'the user "root" has the uid 0',
         lambda lab, name, uid, fresh=False: resources.judged_user(lab.target, name, "uid", uid, fresh))
sentence("user", 'the user "{name}" has the shell "{shell}"', 'the user "root" has the shell "/bin/bash"',
         lambda lab, name, shell, fresh=False: resources.judged_user(lab.target, name, "shell", shell, fresh))
sentence("user", 'the user "{name}" has the home "{home}"', 'the user "root" has the home "/root"',
         lambda lab, name, home, fresh=False: resources.judged_user(lab.target, name, "home", home, fresh))
sentence("user", 'the user "{user}" is in the group "{group}"', 'the user "otheruser" is in the group "docker"',
         lambda lab, user, group, fresh=False: resources.judged_member(lab.target, user, group, fresh))
sentence("user", 'the group "{name}" exists', 'the group "docker" exists',
         lambda lab, name, fresh=False: resources.judged_group(lab.target, name, fresh))
sentence("kernel", 'the kernel module "{name}" is loaded', 'the kernel module "br_netfilter" is loaded',
         lambda lab, name, fresh=False: resources.judged_module(lab.target, name, fresh))
sentence("mount", '"{path}" is mounted', '"/proc" is mounted',
         lambda lab, path, fresh=False: resources.judged_mount(lab.target, path, fresh=fresh))
sentence("mount", '"{path}" is mounted as "{fstype}"', '"/proc" is mounted as "proc"',
         lambda lab, path, fstype, fresh=False: resources.judged_mount(lab.target, path, fstype, fresh=fresh))
sentence("mount", '"{path}" is mounted with the option "{option}"', '"/proc" is mounted with the option "nosuid"',
         lambda lab, path, option, fresh=False: resources.judged_mount(lab.target, path, option=option, fresh=fresh))
sentence("name", 'the name "{name}" resolves', 'the name "localhost" resolves',
         lambda lab, name: resources.judged_resolves(lab.target, name))
sentence("name", 'the name "{name}" resolves to "{address}"', 'the name "localhost" resolves to "127.0.0.1"',
         lambda lab, name, address: resources.judged_resolves(lab.target, name, address))

# --- files ----------------------------------------------------------------------------------------------------
sentence("file", 'the file "{path}" exists', 'the file "/etc/hostname" exists',
         lambda lab, path: files.judged_exists(lab.target, path))
sentence("file", '"{path}" is a {kind:w}', '"/etc" is a directory',
         lambda lab, path, kind: files.judged_exists(lab.target, path, kind))
sentence("file", 'the file "{path}" does not exist', 'the file "/etc/nologin" does not exist',
         lambda lab, path: files.judged_absent(lab.target, path))
sentence("file", 'the file "{path}" has the mode "{mode}"', 'the file "/etc/passwd" has the mode "0644"',
         lambda lab, path, mode: files.judged_attribute(lab.target, path, "mode", mode))
sentence("file", 'the file "{path}" is owned by "{owner}"', 'the file "/etc/passwd" is owned by "root:root"',
         lambda lab, path, owner: files.judged_attribute(lab.target, path, "owner", owner))
sentence("file", 'the file "{path}" belongs to the group "{group}"',
         'the file "/etc/shadow" belongs to the group "shadow"',
         lambda lab, path, group: files.judged_attribute(lab.target, path, "group", group))
sentence("file", 'the file "{path}" contains "{text}"', 'the file "/etc/passwd" contains "root:x:0:0"',
         lambda lab, path, text: files.judged_contains(lab.target, path, text))
sentence("file", 'the file "{path}" has a line matching "{pattern}"',
         'the file "/etc/os-release" has a line matching "^ID=(debian|rocky)$"',
         lambda lab, path, pattern: files.judged_matches(lab.target, path, pattern))
sentence("file", 'the file "{path}" has the sha256 "{digest}"',
         'the file "/etc/subgid-" has the sha256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
         lambda lab, path, digest: files.judged_sha256(lab.target, path, digest))

# --- commands, run by the lab host's shell --------------------------------------------------------------------
sentence("command", 'the command "{command}" exits {status:d}', 'the command "test -d /var/lib/docker" exits 0',
         lambda lab, command, status: command_output.judged_exit(lab.target, command, status))
sentence("command", 'the command "{command}" prints "{text}"', 'the command "docker --version" prints "Docker"',
         lambda lab, command, text: command_output.judged_prints(lab.target, command, text))
sentence("command", 'the command "{command}" prints a line matching "{pattern}"',
         'the command "uname -r" prints a line matching "^[0-9]+\\.[0-9]+"',
         lambda lab, command, pattern: command_output.judged_prints_matching(lab.target, command, pattern))
sentence("command", 'the command "{command}" prints JSON with "{path}" equal to "{value}"',
         'the command "docker info --format {{json .}}" prints JSON with "CgroupDriver" equal to "systemd"',
         lambda lab, command, path, value: command_output.judged_json(lab.target, command, path, value))

# --- URLs, asked from the lab host ----------------------------------------------------------------------------
sentence("http", 'the URL "{url}" answers {status:d}', 'the URL "http://localhost:8080/" answers 200',
         lambda lab, url, status: urls.judged_status(lab.target, url, status))
sentence("http", 'the URL "{url}" answers with a body containing "{text}"',
         'the URL "http://localhost:8080/" answers with a body containing "Hello"',
         lambda lab, url, text: urls.judged_body(lab.target, url, text))
sentence("http", 'the URL "{url}" answers with the header "{name}" containing "{value}"',
         'the URL "http://localhost:8080/" answers with the header "Content-Type" containing "text/html"',
         lambda lab, url, name, value: urls.judged_header(lab.target, url, name, value))

# --- Docker ---------------------------------------------------------------------------------------------------
sentence("docker", 'the Docker image "{ref}" is present', 'the Docker image "mytc" is present',
         lambda lab, ref: objects.judged_image(lab.docker, ref))
sentence("docker", 'the Docker image "{ref}" has the label "{key}" set to "{value}"',
         'the Docker image "mytc" has the label "maintainer" set to "lab"',
         lambda lab, ref, key, value: objects.judged_image_label(lab.docker, ref, key, value))
sentence("docker", 'the Docker image "{ref}" sets "{key}" to "{value}"',
         'the Docker image "mytc" sets "CATALINA_HOME" to "/usr/local/tomcat"',
         lambda lab, ref, key, value: objects.judged_image_env(lab.docker, ref, key, value))
sentence("docker", 'the container "{name}" is running', 'the container "web" is running',
         lambda lab, name: objects.judged_running(lab.docker, name))
sentence("docker", 'the container "{name}" is healthy', 'the container "web" is healthy',
         lambda lab, name: objects.judged_healthy(lab.docker, name))
sentence("docker", "the container \"{name}\" publishes port {port:d}", 'the container "web" publishes port 8080',
         lambda lab, name, port: objects.judged_publishes(lab.docker, name, port))
sentence("docker", 'the container "{name}" publishes port {port:d} on host port {host_port:d}',
         'the container "web" publishes port 8080 on host port 18080',
         lambda lab, name, port, host_port: objects.judged_publishes(lab.docker, name, port, host_port))

DOC = Path(__file__).resolve().parents[1] / "docs" / "vocabulary.md"
INTRO = """# The vocabulary of a lab's own claims

Sentences for claims about any package, service, port, process, user, group, kernel module, mount, name,
file, command, URL, Docker image or container, usable in any feature file without Python (a lab keeps its own
in `labs/<lab>/features/`, run with `pytest features/ labs/<lab>/features/`). Each leaves evidence like every
claim: what was expected, what was found, and how it was read on the lab host. A sentence marked "within"
also takes the ending `, within N seconds`: asked again until the claim holds or N seconds pass, the attempts
in the evidence. A malformed argument (a mode that is not octal, a regular expression that does not compile,
a URL that is not http or https) makes the claim an error naming it, never a pass.

Facts of one kind (the installed packages, users, groups, TCP listeners, mounts, kernel modules, processes)
are read once a run in one command; a "within" form reads them again each attempt. Commands run by the lab
host's shell, at most 60 s, and what they print is redacted in every output. URLs are asked by curl on the
lab host: its resolver, its routes and, for https, its own trust store.

Sentences of the document's claims that take any name are part of the vocabulary too (without "within"):
`the package "{name}" is not installed`, `the "{name}" service is enabled and running` (steps/host.py),
`"{process}" listens on TCP port {port:d}`, `the kernel setting "{key}" is "{value}"` and
`a file of /etc/sysctl.d sets "{key}" to "{value}" at boot` (steps/kubernetes.py).

`python -m labconform capture [--target T] [--only packages,services,ports,users,groups,mounts,images]
[--out FILE]` writes these sentences from what a lab holds now (as `goss autoadd` does): one claim per
package (at its version), running service, TCP listener, user, group's members, mount and Docker image,
sorted, each with a comment of what it was read from, for an admin to review and keep in
`labs/<lab>/features/`; run after a change, it shows the drift. Captured from this machine: 1029 claims in
0.2 s, and all 1029 pass against it in 4.2 s.

This page is written by `python -m steps.vocabulary` from `steps/vocabulary.py`; a test fails when it is
stale.

| family | sentence (Then ...) | example | within |
| --- | --- | --- | --- |
"""


KUBERNETES = """
## Any Kubernetes object (steps/objects.py)
`Then the Kubernetes object "KIND/NAME" in namespace "NS" contains:` (a cluster-scoped kind without
`in namespace`), with a partial object in a doc-string that the live object must contain, read through the
claims' API client: mappings are subsets, a list's elements each match a distinct live element in any order,
scalars are equal as YAML types, and `"(>= 2)"`, `"(> 1)"`, `"(<= 3)"`, `"(< 4)"`, `"(== 2)"`, `"(!= 0)"`
compare numbers. `contains, within N seconds:` reads again each second until it holds. A Secret's values are
never shown; an unknown kind, a doc-string that is not YAML or not a mapping is an error naming the file and
line (labconform/kube/objects.py lists the kinds).

```gherkin
Then the Kubernetes object "deployment/hw-deploy" in namespace "default" contains:
  \"\"\"
  spec:
    replicas: 2
    template:
      spec:
        containers:
          - name: hw-contain
  \"\"\"
And the Kubernetes object "node/vm" contains, within 60 seconds:
  \"\"\"
  status:
    conditions:
      - type: Ready
        status: "True"
  \"\"\"
```
"""


def render() -> str:
    rows = [f"| {s.family} | `{s.text}` | `{s.example}` | {'yes' if s.within else 'no'} |" for s in SENTENCES]
    return INTRO + "\n".join(rows) + "\n" + KUBERNETES


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"{DOC}: {len(SENTENCES)} sentences", file=sys.stderr)
