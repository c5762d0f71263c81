"""The package repositories the document adds (Docker CE's, Kubernetes'), read from the files the host's
package tool reads (/etc/yum.repos.d on the RHEL family, apt's sources on Debian) and judged."""

from __future__ import annotations

import base64
import binascii
import configparser
import fnmatch
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labconform.judged import Judged
from labconform.transport.target import Target

YUM_DIR = "/etc/yum.repos.d"
APT_LIST = "/etc/apt/sources.list"
APT_DIR = "/etc/apt/sources.list.d"
# the tools the document's kubernetes.repo keeps out of every dnf upgrade (exclude=)
KUBE_TOOLS = ("kubelet", "kubeadm", "kubectl")
TRUE = ("1", "yes", "true", "on")


@dataclass
class Source:
    """One repository definition: a dnf repo section, an apt one-line entry or a deb822 stanza."""

    file: str
    name: str
    urls: list[str]
    enabled: bool
    # dnf: the section's keys (gpgcheck, exclude, ...); apt: types, suites, components and the [options]
    options: dict[str, str] = field(default_factory=dict)

    def hosts(self) -> set[str]:
        return {(urllib.parse.urlsplit(u).hostname or "").lower() for u in self.urls}


# --- reading the files on the target --------------------------------------------------------------


def read_files(t: Target, files: tuple[str, ...], globs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The text of each file that exists among `files` and `dir/*suffix` for (dir, suffix) in `globs`, in one
    round trip; every path reaches the shell as one quoted argument (the glob's `*` only is the shell's)."""
    words = " ".join(["%s"] * len(files) + ["%s/*%s"] * len(globs))
    args = [*files, *(part for g in globs for part in g)]
    res = t.run(f"for f in {words}; do [ -f \"$f\" ] || continue; printf 'LC-FILE %%s ' \"$f\"; "
                "base64 -w0 < \"$f\"; echo; done; echo LC-READ-DONE", *args)
    if res.rc != 0 or "LC-READ-DONE" not in res.stdout:  # read to its end, or not read at all: never "no repository"
        raise RuntimeError(f"[{t.name}] reading the package tool's repository files failed (exit {res.rc}): "
                           f"{res.stderr.strip()[-300:]}")
    out: dict[str, str] = {}
    for line in res.stdout.splitlines():
        if line.startswith("LC-FILE "):
            path, _, data = line[len("LC-FILE "):].rpartition(" ")
            try:
                out[path] = base64.b64decode(data).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                out[path] = ""
    return out


def family_files(t: Target, family: str) -> tuple[dict[str, str], str]:
    """The repository files of the host's package tool, and how they were read."""
    if family == "rhel":
        return read_files(t, (), ((YUM_DIR, ".repo"),)), f"read {YUM_DIR}/*.repo on the target"
    return (read_files(t, (APT_LIST,), ((APT_DIR, ".list"), (APT_DIR, ".sources"))),
            f"read {APT_LIST}, {APT_DIR}/*.list and {APT_DIR}/*.sources on the target")


# --- parsing ----------------------------------------------------------------------------------------


def yum_sources(path: str, text: str) -> list[Source]:
    """The repo sections of a .repo file as dnf reads it (enabled unless enabled= says otherwise)."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text, source=path)
    except configparser.Error as exc:
        return [Source(path, "(unparsable)", [], False, {"error": str(exc).splitlines()[0]})]
    out = []
    for name in cp.sections():
        sec = dict(cp[name])
        urls = " ".join(sec.get(k, "") for k in ("baseurl", "mirrorlist", "metalink")).replace(",", " ").split()
        out.append(Source(path, name, urls, sec.get("enabled", "1").strip().lower() in TRUE, sec))
    return out


def apt_list_sources(path: str, text: str) -> list[Source]:
    """The entries of a one-line sources.list file: `deb [opt=val ...] URI suite [component ...]`."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        m = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        kind, opts, uri, suite, comps = m.groups()
        options = dict(o.split("=", 1) for o in (opts or "").split() if "=" in o)
        out.append(Source(path, f"line {n}", [uri], options.get("enabled", "yes").lower() in TRUE,
                          {"types": kind, "suites": suite, "components": comps, **options}))
    return out


def apt_deb822_sources(path: str, text: str) -> list[Source]:
    """The stanzas of a deb822 .sources file (Types, URIs, Suites, Components, Enabled, ...)."""
    out = []
    stanzas = re.split(r"\n[ \t]*\n", "\n".join(ln for ln in text.splitlines() if not ln.startswith("#")))
    for n, stanza in enumerate(stanzas, 1):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if "uris" in fields:
            out.append(Source(path, f"stanza {n}", fields["uris"].split(),
                              fields.get("enabled", "yes").strip().lower() in TRUE, fields))
    return out


def parse(files: dict[str, str]) -> list[Source]:
    """Every repository definition of the files, each by the format its name says."""
    out: list[Source] = []
    for path, text in sorted(files.items()):
        parser = yum_sources if path.endswith(".repo") else apt_deb822_sources if path.endswith(".sources") \
            else apt_list_sources
        out += parser(path, text)
    return out


# --- what the document adds, and the judging ------------------------------------------------------


def _is_docker(s: Source) -> bool:
    return "download.docker.com" in s.hosts()


def _is_kubernetes(s: Source) -> bool:
    hosts = s.hosts()
    if hosts & {"pkgs.k8s.io", "apt.kubernetes.io"}:
        return True
    # the document's own: packages.cloud.google.com/yum/repos/kubernetes-el7-$basearch (apt: suite kubernetes-*)
    return any(urllib.parse.urlsplit(u).hostname == "packages.cloud.google.com" and (
        "/yum/repos/kubernetes" in u or s.options.get("suites", "").startswith("kubernetes-")) for u in s.urls)


def _deb(s: Source) -> bool:
    return "deb" in s.options.get("types", "deb").split()


def _excludes(s: Source) -> list[str]:
    patterns = s.options.get("exclude", "").replace(",", " ").split()
    return [tool for tool in KUBE_TOOLS if not any(fnmatch.fnmatch(tool, p) for p in patterns)]


def _docker_rule(family: str, s: Source) -> list[str]:
    """What an enabled Docker CE source lacks (nothing: it holds)."""
    return [] if s.enabled and (family == "rhel" or _deb(s)) else ["enabled" if s.enabled else "disabled"]


def _kubernetes_rule(family: str, s: Source) -> list[str]:
    """What a Kubernetes source lacks: on dnf, gpgcheck=1 and the three tools excluded, as the document has it."""
    lacks = [] if s.enabled else ["enabled"]
    if family != "rhel":
        return lacks + ([] if _deb(s) else ["a deb (not only deb-src) entry"])
    if s.options.get("gpgcheck", "0").strip().lower() not in TRUE:
        lacks.append("gpgcheck=1")
    missing = _excludes(s)
    return lacks + ([f"exclude= naming {' '.join(missing)}"] if missing else [])


@dataclass(frozen=True)
class Wanted:
    """A repository the document adds: how to know it, what it must have, and what is expected on each family."""

    matches: Callable[[Source], bool]
    lacks: Callable[[str, Source], list[str]]
    expected: dict[str, str]


REPOSITORIES = {
    "Docker CE": Wanted(_is_docker, _docker_rule, {
        "rhel": f"an enabled repository from download.docker.com in {YUM_DIR} (the document's docker-ce.repo)",
        "debian": "an enabled apt source (deb) for download.docker.com"}),
    "Kubernetes": Wanted(_is_kubernetes, _kubernetes_rule, {
        "rhel": f"an enabled Kubernetes repository in {YUM_DIR} (packages.cloud.google.com/yum/repos/kubernetes-el7-"
                "$basearch as in the document, or its successor pkgs.k8s.io) with gpgcheck=1 and "
                "exclude=kubelet kubeadm kubectl",
        "debian": "an enabled apt source (deb) for a Kubernetes repository (apt.kubernetes.io or pkgs.k8s.io)"}),
}


def _describe(s: Source) -> dict[str, Any]:
    keep = ("gpgcheck", "repo_gpgcheck", "exclude", "types", "suites", "components", "signed-by")
    return {"file": s.file, "name": s.name, "urls": s.urls, "enabled": s.enabled,
            **{k: s.options[k] for k in keep if k in s.options}}


def judge(repo: str, family: str, files: dict[str, str], how: str) -> Judged:
    """The repository `repo` (a key of REPOSITORIES) in the package tool's files (path -> text): it holds when
    one definition of it has everything the family's rule asks."""
    want = REPOSITORIES[repo]
    expected = want.expected["rhel" if family == "rhel" else "debian"]
    sources = parse(files)
    mine = [s for s in sources if want.matches(s)]
    verdicts = {f"{s.file} [{s.name}]": want.lacks(family, s) for s in mine}
    if mine:
        found: Any = {where: "as expected" if not lacks else f"lacks {', '.join(lacks)}"
                      for where, lacks in verdicts.items()}
    else:
        hosts = sorted({h for s in sources for h in s.hosts() if h})
        found = f"none among the {len(sources)} definitions of {len(files)} files (hosts: {', '.join(hosts) or 'none'})"
    details = {"definitions": [_describe(s) for s in (mine or sources)][:40], "files read": sorted(files)}
    return Judged(any(not lacks for lacks in verdicts.values()), f"{repo} repository", expected, found, how,
                  details=details)


def judged_repository(t: Target, repo: str) -> Judged:
    """The repository `repo` as the target's package tool has it configured; not applicable on a family whose
    package tool labconform does not know."""
    family = t.facts.family
    if family not in ("rhel", "debian"):
        return Judged(False, f"{repo} repository", "", "", "host facts", not_applicable=(
            f"the host is of the {family!r} family: labconform reads the repositories of dnf and apt only"))
    files, how = family_files(t, family)
    return judge(repo, family, files, how)
