"""The judging functions of the probes converted last to one observation type (issue 12): a service, a unit,
the docker group's user, the engine's packages, the way out, the link's interfaces, transfer and counters, the
reboot and what settles after it, the Docker engine and its images, the baskets, and the preconditions of their
Givens. Each judged from what a fake of its read hands back, as the step records it."""

from __future__ import annotations

from typing import Any

import pytest

from labconform.docker import engine
from labconform.errors import WaitTimeout
from labconform.host import boot, hostsoftware, services, sysinfo
from labconform.http import app
from labconform.judged import Judged
from labconform.kube import images
from labconform.link import interfaces as link
from labconform.transport.target import Result, Target, parse_facts
from labconform.trust import certs, roots
from labconform.trust import clients as trust


def target(init: str = "systemd", **files: bytes) -> Target:
    t = Target("local")
    t.facts = parse_facts(f"init={init}\nkernel=6.1.0-13-amd64\n")  # nothing asked of this machine
    t.read_bytes = lambda path: files.get(path)  # type: ignore[method-assign]
    return t


def shape(j: Judged) -> tuple[Any, ...]:
    return j.ok, j.what, j.expected, j.found, j.how, j.not_applicable, j.details, j.kinds


# --- services, units, the docker group's user -------------------------------------------------------------


def test_a_service_is_judged_enabled_and_running_and_not_applicable_under_the_supervisor(monkeypatch) -> None:
    state = {"enabled": True, "active": True, "how": "systemctl is-enabled docker -> enabled"}
    monkeypatch.setattr(services, "service_state", lambda t, name: dict(state))
    assert shape(services.judged_service(target(), "docker")) == (
        True, "docker service", "enabled and running", {"enabled": True, "running": True},
        "systemctl is-enabled docker -> enabled", "", {}, {})
    state.update(enabled=False)
    assert not services.judged_service(target(), "docker").ok
    state.update(active=True, how="labconform's supervisor for docker: running")
    na = services.judged_service(target("process_api"), "docker")
    assert na.not_applicable.startswith("PID 1 is 'process_api', not systemd: nothing starts docker at boot")
    assert na.details == {"running": True, "how": "labconform's supervisor for docker: running"}
    state.update(enabled=False, active=False)
    stopped = services.judged_service(target("process_api"), "docker")
    assert not stopped.ok and not stopped.not_applicable and stopped.details == {}


def test_a_unit_is_judged_by_its_file_and_its_drop_in(monkeypatch) -> None:
    shown = {"LoadState": "loaded", "FragmentPath": "/etc/systemd/system/docker.service", "ActiveState": "active",
             "DropInPaths": "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "command": "systemctl show"}
    monkeypatch.setattr(services, "unit", lambda t, name: dict(shown))
    loaded = services.judged_unit_file(target(), "docker.service", "/etc/systemd/system/docker.service")
    assert loaded.ok and loaded.how == "systemctl show" and "command" not in loaded.details
    assert loaded.found == {"LoadState": "loaded", "FragmentPath": "/etc/systemd/system/docker.service"}
    assert not services.judged_unit_file(target(), "docker.service", "/lib/systemd/system/docker.service").ok
    dropin = services.judged_dropin(target(), "kubelet.service", "10-kubeadm.conf")
    assert dropin.ok and dropin.found == {"DropInPaths": [shown["DropInPaths"]], "ActiveState": "active"}
    assert not services.judged_dropin(target(), "kubelet.service", "20-other.conf").ok


def test_the_docker_groups_user_must_not_be_root_and_must_run_the_command(monkeypatch) -> None:
    seen = {"uid": "1001", "groups": ["otheruser", "docker"], "in_group": True, "exit_status": 0, "output": "",
            "command": "runuser -u otheruser -- docker ps"}
    monkeypatch.setattr(sysinfo, "group_user", lambda t, user, group, *cmd: dict(seen))
    j = services.judged_group_user(target(), "otheruser", "docker", "docker", "ps")
    assert shape(j)[:5] == (True, "user otheruser", {"uid": "not 0", "groups": "include docker", "docker ps": "exit 0"},
                            {"uid": "1001", "groups": ["otheruser", "docker"], "docker ps": "exit 0"},
                            "runuser -u otheruser -- docker ps")
    assert "command" not in j.details
    for change in ({"uid": "0"}, {"uid": "no such user"}, {"in_group": False}, {"exit_status": 1}):
        seen.update(change)
        assert not services.judged_group_user(target(), "otheruser", "docker", "docker", "ps").ok


def test_systemd_as_init_is_a_precondition_and_the_engine_packages_are_judged_one_by_one() -> None:
    assert services.systemd_init(target()).not_applicable == ""
    other = services.systemd_init(target("process_api"))
    assert other.not_applicable == "PID 1 is 'process_api', not systemd: this claim is about what systemd does"
    assert other.details == {"init": "process_api"}
    t = target()
    t.facts = parse_facts("os_id=debian\ninit=systemd\n")
    asked: list[str] = []
    t.package_version = lambda pkg: asked.append(pkg) or {"docker.io": "20.10.24"}.get(pkg)  # type: ignore
    judged = hostsoftware.engine_packages(t)
    first = next(judged)
    assert shape(first)[:5] == (True, "package docker.io (debian family)", "installed", "20.10.24",
                                "package query for docker.io")
    assert next(judged).found == "not installed" and asked == ["docker.io", "containerd"]  # asked as recorded
    assert shape(hostsoftware.judged_absent(t, "podman"))[:4] == (True, "package podman", "not installed",
                                                                   "not installed")
    assert hostsoftware.judged_absent(t, "docker.io").found == "installed 20.10.24"



def test_the_rhel_family_is_a_precondition_its_major_version_and_a_repository_are_judged() -> None:
    rocky = target()
    rocky.facts = parse_facts("os_id=rocky\nos_like=rhel centos fedora\nversion_id=8.4\npretty_name=Rocky Linux 8.4\n")
    assert hostsoftware.rhel_family(rocky).not_applicable == ""
    debian = target()
    debian.facts = parse_facts("os_id=debian\nversion_id=12\npretty_name=Debian GNU/Linux 12 (bookworm)\n")
    other = hostsoftware.rhel_family(debian)
    assert other.not_applicable == ("the host is Debian GNU/Linux 12 (bookworm) (debian family): this claim names "
                                    "Rocky's own (dnf, EPEL); the others check the family's equivalents")
    assert other.details == {"os_id": "debian", "version_id": "12"}
    assert shape(hostsoftware.judged_major(rocky, "8")) == (
        True, "major version", "8", "8", "/etc/os-release VERSION_ID", "", {"os": "Rocky Linux 8.4"}, {})
    assert not hostsoftware.judged_major(debian, "8").ok
    listed = "repo id        repo name\nappstream      Rocky Linux 8 - AppStream\nepel           EPEL 8\n\n"
    rocky.run = lambda command, *args, **kw: Result(command, 0, listed, "")  # type: ignore[method-assign]
    assert shape(hostsoftware.judged_enabled_repo(rocky, "epel"))[:5] == (
        True, "epel repository", "enabled", ["appstream", "epel"], "dnf -q -C repolist --enabled")
    assert not hostsoftware.judged_enabled_repo(rocky, "powertools").ok

# --- the way out --------------------------------------------------------------------------------------------


def test_the_way_out_needs_a_default_route_through_an_addressed_interface_that_is_up() -> None:
    eth0 = link.Interface("eth0", operstate="up", addresses=["10.0.0.5/24"])
    snap = link.Snapshot(0.0, ["eth0"], {"eth0": eth0}, routes=["default via 10.0.0.1 dev eth0"])
    j = link.judged_route_out(snap)
    assert j.ok and j.how == link.ROUTE_HOW and j.found == {
        "default route": ["default via 10.0.0.1 dev eth0"],
        "eth0 (its interface)": {"operstate": "up", "addresses": ["10.0.0.5/24"]},
        "addressed interfaces": {"eth0": ["10.0.0.5/24"]}}
    eth0.operstate = "down"
    assert not link.judged_route_out(snap).ok
    assert link.judged_route_out(link.Snapshot(0.0, [], {})).found == {
        "default route": "none", "addressed interfaces": "none besides loopback"}



def test_the_lab_interfaces_are_judged_up_and_a_bridge_without_ports_by_its_admin_state() -> None:
    eth0 = link.Interface("eth0", operstate="up", flags=0x1)
    docker0 = link.Interface("docker0", operstate="down", flags=0x1, bridge_ports=0)
    snap = link.Snapshot(0.0, ["eth0"], {"eth0": eth0, "docker0": docker0})
    j = link.judged_up(snap)
    assert shape(j)[:3] == (True, "lab interfaces", {"eth0": "up", "docker0": "up"})
    assert j.found["docker0"]["bridge ports"] == "0 attached, 0 up" and j.details == {"default_route": ["eth0"]}
    assert j.how == snap.command
    assert not link.judged_up(snap, ("eth1",)).ok and link.judged_up(snap, ("eth1",)).found == {"eth1": "absent"}
    empty = link.judged_up(link.Snapshot(0.0, [], {}))
    assert (empty.ok, empty.expected, empty.found) == (False, "at least one", {})


def test_the_bridge_transfer_is_judged_whole_and_above_the_floor_with_its_samples_drawn() -> None:
    sample = {"sent": 8 << 20, "received": 8 << 20, "seconds": 0.1}
    t = link.Transfer("172.17.0.2", 8, [sample, dict(sample), dict(sample)], "perl -e ...")
    j = link.judged_transfer(t, 100)
    assert shape(j)[:5] == (True, "host -> 172.17.0.2 over docker0", {"complete": True, "median Mb/s": "> 100"},
                            {"complete": True, "median Mb/s": 671.1}, "perl -e ...")
    assert j.details == {"mib_per_sample": 8, "samples_mbps": [671.1] * 3, "samples": t.samples}
    assert j.kinds == {"samples_mbps": "chart:mbps", "samples": "rows"}
    assert not link.judged_transfer(t, 1000).ok
    t.samples[1] = {**sample, "received": -1}
    assert not link.judged_transfer(t, 100).ok


def test_counters_that_grew_fail_and_a_bridges_tx_drops_are_shown_not_judged() -> None:
    def snap(taken: float, eth: int, bridge: int) -> link.Snapshot:
        return link.Snapshot(taken, ["eth0"], {
            "eth0": link.Interface("eth0", stats={"rx_errors": eth, "tx_dropped": 0}),
            "docker0": link.Interface("docker0", bridge_ports=0, stats={"tx_dropped": bridge})})

    j = link.judged_counters(snap(10.0, 0, 5), snap(12.5, 0, 9))
    assert shape(j)[:4] == (True, "error and drop counters", "no growth", "no growth")
    assert j.how.endswith(", at collection and now (2.5 s apart)")
    assert j.details["bridge_drops_not_judged"] == {"docker0": {"tx_dropped": 4}}
    assert j.details["before"] == {"eth0": {"rx_errors": 0, "tx_dropped": 0}, "docker0": {"tx_dropped": 5}}
    grown = link.judged_counters(snap(10.0, 0, 5), snap(12.5, 3, 5))
    assert not grown.ok and grown.found == {"eth0": {"rx_errors": 3}}
    assert grown.details["bridge_drops_not_judged"] == "none" and grown.details["interfaces"] == ["eth0", "docker0"]

# --- the reboot and what settles after it ------------------------------------------------------------------


REBOOTED = {"before": {"UserspaceTimestamp": "Mon 09:00", "UserspaceTimestampMonotonic": "900", "boot_id": "b"},
            "after": {"UserspaceTimestamp": "Mon 10:00", "UserspaceTimestampMonotonic": "1200", "boot_id": "b",
                      "state": "degraded", "command": "systemctl show"}, "seconds": 31.5}


def test_the_reboot_is_judged_and_a_wait_that_ended_is_its_message() -> None:
    j = boot.judged_reboot(lambda: REBOOTED)
    assert j.ok and j.found == {"userspace started before": "Mon 09:00", "userspace started after": "Mon 10:00",
                                "seconds": 31.5} and j.how == boot.REBOOT_HOW

    def never() -> dict:
        raise WaitTimeout("the lab host booted again", 180, {"state": "starting"})

    assert shape(boot.judged_reboot(never))[:4] == (False, "reboot", "systemd boots the lab host again",
                                                   "the lab host booted again: not reached within 180 s (last seen: "
                                                   "{'state': 'starting'})")
    again = boot.judged_restarted(REBOOTED)
    assert again.ok and again.how == "systemctl show" and again.details == {"boot_id": ["b", "b"]}
    assert not boot.judged_restarted({**REBOOTED, "after": {**REBOOTED["after"], "state": "starting"}}).ok
    assert not boot.judged_restarted({**REBOOTED, "after": {**REBOOTED["after"],
                                                            "UserspaceTimestampMonotonic": "900"}}).ok


def test_what_settles_after_the_reboot_is_judged_on_its_last_observation(monkeypatch) -> None:
    monkeypatch.setattr(boot, "settled", lambda observe, ok, seconds, what: (observe(), 4.0))
    monkeypatch.setattr(boot, "replicas_available", lambda kube, name: 1)
    monkeypatch.setattr(boot, "node_port_streak", lambda kube, service, deployment, count: count)
    monkeypatch.setattr(boot, "pod_statuses", lambda kube, deployment, port: {"hw-deploy-a": 200, "hw-deploy-b": 502})
    replicas = boot.judged_replicas(None, "hw-deploy", 2, 120)
    assert shape(replicas) == (False, "available replicas of hw-deploy", 2, 1,
                               "GET deployment default/hw-deploy, polled for 120 s", "", {"after_s": 4.0}, {})
    streak = boot.judged_node_port(None, "hw", "hw-deploy", 10, 60)
    assert streak.ok and streak.found == 10 and streak.what == "NodePort of service hw settled"
    pods = boot.judged_pods(None, "hw-deploy", 8080, 60)
    assert not pods.ok and pods.expected.startswith("HTTP 200 from each") and pods.found["hw-deploy-b"] == 502
    monkeypatch.setattr(boot, "settled", lambda observe, ok, seconds, what: (OSError("no answer"), 60.0))
    assert boot.judged_replicas(None, "hw-deploy", 2, 60).found == "no answer"


def test_a_pod_address_answered_by_another_host_is_not_the_pods_answer() -> None:
    """After the lab node's reboot, 10.244.0.2 was answered by this machine's own pod of the same name pattern
    before the node's cni0 came back (CI, 2026-12-03): the settle wait must not end on that answer."""
    assert boot.own_status("hw-deploy-x-c6k85", {"status": 200, "body": "Hello, I am hw-deploy-x-c6k85"}) == 200
    other = boot.own_status("hw-deploy-x-c6k85", {"status": 200, "body": "Hello, I am hw-deploy-x-c49cz"})
    assert other == "200 from another host: 'Hello, I am hw-deploy-x-c49cz'" and not boot.all_ok({"p": other})
    assert boot.own_status("p", {"status": 502, "body": "Bad Gateway"}) == 502
    assert boot.own_status("p", {"error": "connection refused"}) is None


def test_the_clock_after_the_reboot_is_judged_with_the_wait(monkeypatch) -> None:
    clock = {"command": "chronyc tracking", "synchroniser": "chrony", "synchronised": True}
    monkeypatch.setattr(boot, "settled", lambda observe, ok, seconds, what: (dict(clock), 7.0))
    j = boot.judged_clock_settled(target(), 90)
    assert shape(j)[:5] == (True, "clock synchronisation", "synchronised by chrony or timesyncd",
                            "chrony: synchronised", "chronyc tracking or timedatectl, polled for 90 s")
    assert j.details == {"after_s": 7.0, **clock}
    monkeypatch.setattr(boot, "settled", lambda observe, ok, seconds, what: (OSError("lab gone"), 7.0))
    with pytest.raises(OSError, match="lab gone"):
        boot.judged_clock_settled(target(), 90)


# --- the Docker engine and its images ----------------------------------------------------------------------


class FakeDocker:
    """What docker_lab.DockerLab answers, as fixed data."""

    base_url = "unix:///var/run/docker.sock"

    def __init__(self, images: dict[str, dict] | None = None, files: dict[str, bytes] | None = None,
                 gone: bool = True, execs: dict[tuple[str, ...], tuple[int, str]] | None = None) -> None:
        self.known, self.files, self.gone, self.execs = images or {}, files or {}, gone, execs or {}

    def ping(self) -> dict:
        return {"Version": "20.10.24", "ApiVersion": "1.41", "Os": "linux", "KernelVersion": "6.1", "Arch": "amd64"}

    def info(self) -> dict:
        return {"CgroupDriver": "cgroupfs", "RegistryConfig": {"Mirrors": ["https://mirror.example/"]}}

    def image(self, ref: str) -> dict | None:
        return self.known.get(ref)

    def images(self, refs: list[str]) -> dict[str, dict | None]:
        return {r: self.image(r) for r in refs}

    def image_file(self, ref: str, path: str) -> bytes | None:
        return self.files.get(f"{ref}:{path}")

    def container_name(self, role: str) -> str:
        return f"lc-run-{role}"

    def wait_gone(self, name: str, timeout: float) -> bool:
        return self.gone

    def exec(self, w: Any, *cmd: str) -> tuple[int, str]:
        return self.execs.get(cmd, (2, ""))


class Box:
    name = "lc-run-mytc1"


def test_the_engine_its_driver_and_the_kernel_in_a_container_are_judged() -> None:
    api = engine.judged_api(FakeDocker())
    assert api.ok and api.found == {"Version": "20.10.24", "ApiVersion": "1.41", "Os": "linux", "KernelVersion": "6.1"}
    assert api.how == "GET /version on unix:///var/run/docker.sock"
    driver = engine.judged_cgroup_driver(FakeDocker(), "systemd")
    assert shape(driver)[:5] == (False, "Docker cgroup driver", "systemd", "cgroupfs", "docker info: CgroupDriver")
    docker = FakeDocker(execs={("uname", "-r"): (0, "6.1.0-13-amd64\n"), ("ls", "-l", "/x"): (0, "-rw- /x\n")})
    assert engine.judged_kernel_inside(docker, Box(), "6.1.0-13-amd64").ok
    assert not engine.judged_kernel_inside(docker, Box(), "5.10.0").ok
    assert engine.judged_path_in(docker, Box(), "/x").found == "-rw- /x"
    missing = engine.judged_path_in(docker, Box(), "/y")
    assert (missing.ok, missing.found, missing.how) == (False, "ls exit 2", "docker exec lc-run-mytc1 ls -l /y")


def test_images_and_containers_are_judged_as_the_claims_say() -> None:
    base = {"Id": "sha256:b", "Size": 300e6, "RootFS": {"Layers": ["l1", "l2"]},
            "Config": {"Env": ["CATALINA_HOME=/usr/local/tomcat", "PATH=/bin"]}}
    mytc = {"Id": "sha256:m", "Size": 300.1e6, "RootFS": {"Layers": ["l1", "l2", "l3"]}, "Config": {"Env": []}}
    docker = FakeDocker({"tomcat:10": base, "mytc": mytc}, {"mytc:/w/ROOT.war": b"war"})
    assert engine.judged_image_present(docker, "mytc", "mytc").found == "sha256:m"
    assert engine.judged_image_present(docker, "mytc", "mytc:2").found == "absent"
    assert engine.judged_image_env(docker, "tomcat:10", "CATALINA_HOME", "/usr/local/tomcat").ok
    absent = engine.judged_image_env(docker, "nope", "CATALINA_HOME", "/usr/local/tomcat")
    assert (absent.ok, absent.found) == (False, "nope absent")
    layered = engine.judged_layered_on(docker, "mytc", "tomcat:10")
    assert layered.ok and layered.found["layers added"] == 1
    assert not engine.judged_layered_on(docker, "tomcat:10", "mytc").ok
    docker.known["mytc"] = {**mytc, "RootFS": {"Layers": ["l1", "l2", "l3", "l4"]}}  # one RUN more on top
    more = engine.judged_layered_on(docker, "mytc", "tomcat:10")
    assert not more.ok and more.found["layers added"] == 2 and "the 1 of the document's Dockerfile" in more.expected
    assert app.filesystem_layers("FROM b\nENV A=1\nCOPY ROOT.war /w/\nrun true\nLABEL x=y\n") == 2
    war = engine.judged_war(target(**{"/ctx/ROOT.war": b"war"}), docker, "/ctx", "mytc", "/w/ROOT.war")
    assert war.ok and war.expected == war.found and war.how == "docker cp mytc:/w/ROOT.war vs /ctx/ROOT.war"
    assert engine.judged_war(target(), docker, "/ctx", "mytc", "/w/ROOT.war").expected == \
        "the context's ROOT.war (absent)"
    assert engine.judged_gone(docker, "demo").found == "removed"
    assert shape(engine.judged_gone(FakeDocker(gone=False), "demo"))[:4] == (False, "container lc-run-demo",
                                                                              "removed", "still present")


# --- the baskets -------------------------------------------------------------------------------------------


def test_pull_policies_are_judged_and_not_applicable_without_a_deployment(monkeypatch) -> None:
    read: Any = None
    monkeypatch.setattr(images, "deployment_pull_policies", lambda t, kube, manifest: read)
    none = images.judged_pull_policies(target(), None, "/root/hw.yaml")
    assert none.not_applicable.startswith("no cluster (") and none.details == {}
    read = ({}, ["read /root/hw.yaml"])
    empty = images.judged_pull_policies(target(), None, "/root/hw.yaml")
    assert empty.not_applicable == "no Deployment container to judge: read /root/hw.yaml" and empty.details == {}
    always = {"image": "mytc", "imagePullPolicy": None, "effective": "Always"}
    read = ({"cluster: default/hw-deploy/hw": always}, ["GET deployments", "read /root/hw.yaml"])
    j = images.judged_pull_policies(target(), None, "/root/hw.yaml")
    assert shape(j) == (False, "Deployment pull policies", "none effectively Always",
                        {"cluster: default/hw-deploy/hw": always}, "GET deployments; read /root/hw.yaml", "",
                        {"forcing": ["cluster: default/hw-deploy/hw"]}, {})


def test_a_cluster_and_declared_mirrors_are_preconditions(monkeypatch) -> None:
    monkeypatch.setattr(images, "cluster_config", lambda t, kubeconfig=None: None)
    none = images.cluster_present(target())
    assert none.not_applicable.startswith("no cluster on this host: ") and none.details == {}
    monkeypatch.setattr(images, "cluster_config", lambda t, kubeconfig=None: images.ADMIN_CONF)
    assert images.cluster_present(target()).not_applicable == ""
    assert images.mirrors_declared(()).not_applicable.startswith("the lab declares no registry mirror")
    assert images.mirrors_declared(("https://mirror.gcr.io",)).not_applicable == ""


def test_the_clusters_images_and_the_mirrors_are_judged(monkeypatch) -> None:
    seen = images.ClusterImages({"pause:3.2": ["kubeadm-flags.env"], "mytc": ["Deployment default/hw-deploy"]},
                                 ["image: lines", "GET pods"])
    monkeypatch.setattr(images, "cluster_images", lambda t, kube: seen)
    j = images.judged_cluster_images(target(), None, FakeDocker({"mytc": {}}))
    assert not j.ok and j.found == {"missing": ["pause:3.2"], "problems": []}
    assert j.how == "image: lines; GET pods; docker image inspect each" and j.details == {"images": seen.images}
    every = images.judged_cluster_images(target(), None, FakeDocker({"mytc": {}, "pause:3.2": {}}))
    assert every.ok and every.found == "2 present"
    info = FakeDocker().info()
    assert images.judged_mirrors(info, ("https://mirror.example",)).ok
    missing = images.judged_mirrors(info, ("https://mirror.gcr.io/",))
    assert (missing.ok, missing.expected, missing.found) == (False, ["https://mirror.gcr.io"],
                                                             ["https://mirror.example"])


# --- root trust ----------------------------------------------------------------------------------------------


def test_isrg_root_x1_is_judged_by_fingerprint_in_the_store_and_among_a_clients_roots(monkeypatch) -> None:
    pem = certs.pem_certificates(certs.LE_INTERMEDIATE.read_text())[0]
    monkeypatch.setattr(trust, "ISRG_ROOT_X1_SHA256", certs.fingerprint(pem))  # this one stands for the root
    a = trust.Anchors("OpenSSL", [pem, pem], "/etc/ssl/certs/ca-certificates.crt", "openssl x509", details={"n": 2})
    store = roots.judged_store(a)
    assert shape(store) == (True, "ISRG Root X1 in /etc/ssl/certs/ca-certificates.crt", certs.ISRG_ROOT_X1_SHA256,
                            "present among 2 certificates", "openssl x509", "", {"n": 2}, {})
    client = roots.judged_client(a, "OpenSSL")
    assert client.ok and client.found == "present among 2 roots from /etc/ssl/certs/ca-certificates.crt"
    assert client.what == "ISRG Root X1 among the roots of OpenSSL" and client.details == {"n": 2}
    monkeypatch.setattr(trust, "ISRG_ROOT_X1_SHA256", "00")
    assert roots.judged_store(a).found == "absent among 2 certificates" and not roots.judged_client(a, "OpenSSL").ok
    gone = roots.judged_client(trust.Anchors("Perl", [], "", "perl -e", unavailable="no perl"), "Perl")
    assert gone.not_applicable == "Perl is not on this lab: no perl" and gone.details == {}


def test_the_intermediate_is_judged_verified_because_of_isrg_root_x1_and_the_site_a_precondition() -> None:
    v = trust.Verification("OpenSSL", True, None, True, False, "openssl verify", "OK")
    j = roots.judged_chain(v, "OpenSSL")
    assert j.ok and j.found == v.summary() and j.how == "openssl verify" and j.details == {"output": "OK"}
    assert j.what == f"LE R11 ({certs.LE_INTERMEDIATE_SHA256[:11]}...) with OpenSSL"
    assert j.expected["verifies against the store without ISRG Root X1"] is False
    assert not roots.judged_chain(trust.Verification("OpenSSL", True, None, True, True, "", ""), "OpenSSL").ok
    assert roots.site_declared("letsencrypt.org").not_applicable == ""
    assert roots.site_declared("").not_applicable.startswith("the lab declares no Internet access (lab parameter")
