"""The package repositories the document adds (docker-08, k8s-inst-06) and its SELinux settings (docker-09,
k8s-prep-08): the parsing and judging on real-shaped files, the RHEL provisioning steps planned from recorded
facts, and docker-08 run for real on this machine with an apt source written for the test and removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labconform.host import repos, selinux
from labconform.params import load_params
from provision.kubernetes.steps import KUBERNETES_REPO_TEXT
from provision.plan import Context, build_plan
from provision.state import RecordedState
from tests.support.repos import DOCKER_LIST

REPO = Path(__file__).resolve().parents[2]
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"

# what `dnf config-manager --add-repo=https://download.docker.com/linux/centos/docker-ce.repo` writes (its first
# sections; the nightly ones are like the test one): each section the same six lines but for its id, name, path
# and whether it is enabled
DOCKER_CE_SECTION = """\
[docker-ce-{id}]
name=Docker CE {name}
baseurl=https://download.docker.com/linux/centos/$releasever/{path}
enabled={enabled}
gpgcheck=1
gpgkey=https://download.docker.com/linux/centos/gpg
"""
DOCKER_CE_REPO = "\n".join(DOCKER_CE_SECTION.format(id=i, name=n, path=p, enabled=e) for i, n, p, e in (
    ("stable", "Stable - $basearch", "$basearch/stable", 1),
    ("stable-debuginfo", "Stable - Debuginfo $basearch", "debug-$basearch/stable", 0),
    ("test", "Test - $basearch", "$basearch/test", 0),
))
# the document's kubernetes.repo, as its heredoc writes it ($basearch left for dnf): provisioning's own text
KUBERNETES_REPO = KUBERNETES_REPO_TEXT
ROCKY_BASEOS = """\
[baseos]
name=Rocky Linux $releasever - BaseOS
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever
#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/
gpgcheck=1
enabled=1
countme=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-rockyofficial
"""
# Debian 12's own deb822 file, as this machine has it
DEBIAN_SOURCES = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
# pkgs.k8s.io's instructions, deb822 style
KUBERNETES_SOURCES = """\
Types: deb
URIs: https://pkgs.k8s.io/core:/stable:/v1.30/deb/
Suites: /
Signed-By: /etc/apt/keyrings/kubernetes-apt-keyring.gpg
"""


# --- RHEL family --------------------------------------------------------------------------------------


def test_the_documents_docker_ce_repo_holds_by_its_stable_section():
    files = {"/etc/yum.repos.d/docker-ce.repo": DOCKER_CE_REPO, "/etc/yum.repos.d/Rocky-BaseOS.repo": ROCKY_BASEOS}
    j = repos.judge("Docker CE", "rhel", files, "test")
    assert j.ok
    assert j.found["/etc/yum.repos.d/docker-ce.repo [docker-ce-stable]"] == "as expected"
    assert j.found["/etc/yum.repos.d/docker-ce.repo [docker-ce-test]"] == "lacks disabled"


def test_a_docker_ce_repo_with_every_section_disabled_does_not_hold():
    text = DOCKER_CE_REPO.replace("enabled=1", "enabled=0")
    j = repos.judge("Docker CE", "rhel", {"/etc/yum.repos.d/docker-ce.repo": text}, "test")
    assert not j.ok and set(j.found.values()) == {"lacks disabled"}


def test_rockys_own_repositories_hold_no_docker_ce():
    j = repos.judge("Docker CE", "rhel", {"/etc/yum.repos.d/Rocky-BaseOS.repo": ROCKY_BASEOS}, "test")
    assert not j.ok
    assert j.found == "none among the 1 definitions of 1 files (hosts: mirrors.rockylinux.org)"


def test_a_section_without_enabled_is_enabled_as_dnf_reads_it():
    text = "\n".join(ln for ln in DOCKER_CE_REPO.splitlines()[:6] if not ln.startswith("enabled"))
    assert repos.judge("Docker CE", "rhel", {"/etc/yum.repos.d/d.repo": text}, "test").ok


def test_the_documents_kubernetes_repo_holds():
    j = repos.judge("Kubernetes", "rhel", {"/etc/yum.repos.d/kubernetes.repo": KUBERNETES_REPO}, "test")
    assert j.ok and j.found == {"/etc/yum.repos.d/kubernetes.repo [kubernetes]": "as expected"}
    assert j.details["definitions"][0]["repo_gpgcheck"] == "1"


@pytest.mark.parametrize(("change", "lacks"), [
    (("gpgcheck=1\n", "gpgcheck=0\n"), "lacks gpgcheck=1"),
    (("exclude=kubelet kubeadm kubectl\n", ""), "lacks exclude= naming kubelet kubeadm kubectl"),
    (("exclude=kubelet kubeadm kubectl", "exclude=kubelet"), "lacks exclude= naming kubeadm kubectl"),
    (("enabled=1", "enabled=0"), "lacks enabled"),
])
def test_a_kubernetes_repo_without_what_the_document_sets_does_not_hold(change, lacks):
    text = KUBERNETES_REPO.replace(*change)
    j = repos.judge("Kubernetes", "rhel", {"/etc/yum.repos.d/kubernetes.repo": text}, "test")
    assert not j.ok and j.found == {"/etc/yum.repos.d/kubernetes.repo [kubernetes]": lacks}


def test_an_exclude_glob_or_comma_list_keeps_the_tools_out_too():
    for exclude in ("exclude=kube*", "exclude=kubelet,kubeadm,kubectl cri-tools"):
        text = KUBERNETES_REPO.replace("exclude=kubelet kubeadm kubectl", exclude)
        assert repos.judge("Kubernetes", "rhel", {"/etc/yum.repos.d/kubernetes.repo": text}, "test").ok, exclude


def test_an_unparsable_repo_file_is_said_and_holds_nothing():
    j = repos.judge("Kubernetes", "rhel", {"/etc/yum.repos.d/kubernetes.repo": "baseurl=x\n"}, "test")
    assert not j.ok and j.details["definitions"][0]["name"] == "(unparsable)"


# --- Debian family ------------------------------------------------------------------------------------


def test_debians_own_sources_hold_neither_repository():
    files = {"/etc/apt/sources.list.d/debian.sources": DEBIAN_SOURCES}
    for repo in ("Docker CE", "Kubernetes"):
        j = repos.judge(repo, "debian", files, "test")
        assert not j.ok and j.found == "none among the 2 definitions of 1 files (hosts: deb.debian.org)"


def test_a_one_line_docker_source_holds_and_its_options_are_kept():
    files = {"/etc/apt/sources.list.d/debian.sources": DEBIAN_SOURCES,
             "/etc/apt/sources.list.d/docker.list": DOCKER_LIST}
    j = repos.judge("Docker CE", "debian", files, "test")
    assert j.ok and j.found == {"/etc/apt/sources.list.d/docker.list [line 1]": "as expected"}
    d = j.details["definitions"][0]
    assert d["signed-by"] == "/etc/apt/keyrings/docker.asc"
    assert d["suites"] == "bookworm" and d["components"] == "stable"


def test_a_commented_or_source_only_docker_line_does_not_hold():
    for text in ("# " + DOCKER_LIST, DOCKER_LIST.replace("deb ", "deb-src ", 1)):
        assert not repos.judge("Docker CE", "debian", {"/etc/apt/sources.list": text}, "test").ok, text


def test_a_deb822_kubernetes_source_holds_unless_disabled():
    files = {"/etc/apt/sources.list.d/kubernetes.sources": KUBERNETES_SOURCES}
    assert repos.judge("Kubernetes", "debian", files, "test").ok
    files = {"/etc/apt/sources.list.d/kubernetes.sources": KUBERNETES_SOURCES + "Enabled: no\n"}
    j = repos.judge("Kubernetes", "debian", files, "test")
    assert not j.ok and j.found == {"/etc/apt/sources.list.d/kubernetes.sources [stanza 1]": "lacks enabled"}


def test_the_old_apt_kubernetes_io_counts_but_another_google_repository_does_not():
    old = "deb https://apt.kubernetes.io/ kubernetes-xenial main\n"
    sdk = "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"  # Google's, not Kubernetes'
    assert repos.judge("Kubernetes", "debian", {"/etc/apt/sources.list": old}, "test").ok
    assert not repos.judge("Kubernetes", "debian", {"/etc/apt/sources.list": sdk}, "test").ok


# --- SELinux: what its tools print ------------------------------------------------------------------


def test_selinux_tool_outputs_are_read():
    assert selinux.parse_getsebool("container_manage_cgroup --> off\n", "container_manage_cgroup") == "off"
    semanage = ("SELinux boolean                State  Default Description\n\n"
                "container_connect_any          (off  ,  off)  Allow container to connect any\n"
                "container_manage_cgroup        (on   ,   on)  Allow container to manage cgroup\n")
    assert selinux.parse_semanage(semanage, "container_manage_cgroup") == "on"
    assert selinux.parse_semanage(semanage, "container_manage") is None
    assert selinux.parse_booleans_local("virt_use_nfs=1\ncontainer_manage_cgroup=0\n", "container_manage_cgroup") \
        == "off"
    config = "# This file controls the state of SELinux\nSELINUX=enforcing\nSELINUXTYPE=targeted\n"
    assert selinux.config_value(config, "SELINUX") == "enforcing"
    assert selinux.config_value(config, "SELINUXTYPE") == "targeted"


# --- the RHEL provisioning steps, planned from the recorded Rocky 8.4 host ------------------------------


def rocky_plan(**extra: object):
    data = json.loads(ROCKY.read_text())
    for key, value in extra.items():
        data[key] = value if not isinstance(value, dict) else {**data.get(key, {}), **value}
    state = RecordedState(data)
    return build_plan(Context(None, state, load_params(None, state.facts.family)))


OWNERS = {"docker-08": "Docker CE repository", "docker-09": "SELinux boolean container_manage_cgroup",
          "k8s-prep-08": "SELinux enforcing with container-selinux", "k8s-inst-06": "Kubernetes repository definition"}


def test_the_rocky_plan_owns_the_new_claims_with_the_documents_commands():
    plan = rocky_plan()
    for cid, name in OWNERS.items():
        assert plan.owner_of(cid).name == name and not plan.owner_of(cid).check()[0], cid
    names = [s.name for s in plan.steps]
    # the document's order: the repository, the engine, the boolean; Retain SELinux and the repository before kubeadm
    assert names.index("Docker CE repository") < names.index("docker engine packages") \
        < names.index("SELinux boolean container_manage_cgroup")
    assert names.index("Kubernetes repository definition") < names.index("kubeadm, kubelet and kubectl")
    commands = {cid: plan.owner_of(cid).commands for cid in OWNERS}
    assert commands["docker-08"] == ("dnf config-manager --add-repo=https://download.docker.com/linux/centos/docker-ce.repo",)
    assert commands["docker-09"] == ("setsebool -P container_manage_cgroup on",)
    assert "dnf -y install container-selinux" in commands["k8s-prep-08"]


def test_a_rocky_host_with_the_documents_files_and_settings_needs_none_of_these_steps():
    plan = rocky_plan(files={"/etc/yum.repos.d/docker-ce.repo": DOCKER_CE_REPO,
                             "/etc/yum.repos.d/kubernetes.repo": KUBERNETES_REPO},
                      selinux={"now": "Enforcing", "at boot": "enforcing", "container policy": "container-selinux 2"},
                      selinux_booleans={"container_manage_cgroup": {"now": "on", "persistent": "on"}})
    assert all(plan.owner_of(cid).check()[0] for cid in OWNERS), [plan.owner_of(c).check() for c in OWNERS]
    # on for now only (setsebool without -P): the step is not done
    plan = rocky_plan(selinux_booleans={"container_manage_cgroup": {"now": "on", "persistent": "off"}})
    assert not plan.owner_of("docker-09").check()[0]


def test_the_debian_plan_has_none_of_these_steps():
    data = json.loads(ROCKY.read_text())
    data["facts"].update(os_id="debian", os_like=[], version_id="12", init="systemd")
    plan = build_plan(Context(None, RecordedState(data), load_params(None, "debian")))
    assert not {c for s in plan.steps for c in s.claims} & set(OWNERS)


# --- docker-08 for real on this machine: an apt source for download.docker.com, then none -------------


