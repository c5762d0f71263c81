"""The judging functions of the Kubernetes half's claims (issue 12): the nodes, the control plane, hw-deploy, its
pods and its Service, the document's clean-up. Each judged from what a fake of the API client hands back
(objects shaped as the kubernetes client's), as the step records it."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import pytest

from labconform.http import client as http
from labconform.judged import Judged
from labconform.kube import cluster, deployment, drift, nodeport, nodes, pods


def shape(j: Judged) -> tuple[Any, ...]:
    return j.ok, j.what, j.expected, j.found, j.how, j.not_applicable, j.details, j.kinds


class Taint(NS):
    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "effect": self.effect}


def node(name: str, ready: str = "True", cidr: str | None = "10.244.0.0/24", taints: list | None = None,
         roles: tuple[str, ...] = ("control-plane", "master")) -> NS:
    labels = {f"node-role.kubernetes.io/{r}": "" for r in roles} | {"kubernetes.io/os": "linux"}
    return NS(metadata=NS(name=name, labels=labels), spec=NS(pod_cidr=cidr, taints=taints),
              status=NS(conditions=[NS(type="Ready", status=ready)]))


def pod(name: str, ip: str | None = "10.244.0.5", app: str | None = "hw") -> NS:
    return NS(metadata=NS(name=name, labels={"app": app} if app else None, deletion_timestamp=None),
              status=NS(pod_ip=ip, phase="Running", conditions=[NS(type="Ready", status="True")]))


def hw_deploy(replicas: int = 2, ready: int | None = 2, available: int | None = 2) -> NS:
    return NS(metadata=NS(name="hw-deploy", labels={"app": "hw"}),
              spec=NS(replicas=replicas, selector=NS(match_labels={"app": "hw"}),
                      template=NS(metadata=NS(labels={"app": "hw"}))),
              status=NS(ready_replicas=ready, available_replicas=available))


class FakeKube:
    """What kube.KubeLab answers, as fixed data."""

    server = "https://10.0.0.5:6443"
    target = None

    def __init__(self, node_list: list | None = None, pod_list: list | None = None, deploy: Any = None,
                 **kw: Any) -> None:
        self.node_list, self.pod_list, self.deploy, self.kw = node_list or [], pod_list or [], deploy, kw

    def nodes(self) -> list:
        return self.node_list

    def kubelet_config(self, name: str) -> dict:
        return {"cgroupDriver": self.kw.get("kubelet_driver", "systemd")}

    def health(self, path: str) -> tuple[int, str]:
        return self.kw.get("healthz", (200, "ok\n"))

    def version(self) -> dict:
        return self.kw.get("version", {"gitVersion": "v1.20.2", "platform": "linux/amd64"})

    def config_map(self, name: str, namespace: str) -> Any:
        return self.kw.get("config_map")

    def daemon_sets(self) -> list:
        return self.kw.get("daemon_sets", [])

    def deployment(self, name: str, namespace: str = "default") -> Any:
        return self.deploy

    def deployment_pods(self, name: str) -> list:
        return self.pod_list

    def pods(self, namespace: str, selector: str) -> list:
        return self.pod_list

    def ready_pod_names(self, name: str, deleting: bool = False) -> list[str]:
        return [p.metadata.name for p in self.pod_list]

    def service(self, name: str) -> Any:
        return self.kw.get("service")

    def cluster_ip_answer(self, name: str) -> http.Response:
        return self.kw["answer"]


# --- the nodes and the control plane -----------------------------------------------------------------------


def test_the_kubelets_cgroup_driver_is_judged_against_dockers() -> None:
    docker = NS(info=lambda: {"CgroupDriver": "systemd"})
    j = nodes.judged_kubelet_driver(FakeKube([node("n1")]), docker)
    assert shape(j) == (True, "kubelet cgroup driver", "systemd", "systemd",
                        "docker info: CgroupDriver; GET /api/v1/nodes/n1/proxy/configz: cgroupDriver", "", {}, {})
    assert not nodes.judged_kubelet_driver(FakeKube([node("n1")], kubelet_driver="cgroupfs"), docker).ok


def test_taints_count_roles_readiness_and_pod_ranges_of_the_nodes() -> None:
    master = Taint(key="node-role.kubernetes.io/master", effect="NoSchedule")
    tainted = FakeKube([node("n1", taints=[master]), node("n2")])
    j = nodes.judged_untainted(tainted, "node-role.kubernetes.io/master")
    assert shape(j)[:5] == (False, "nodes tainted node-role.kubernetes.io/master", [], ["n1"],
                            "GET /api/v1/nodes: spec.taints")
    assert j.details == {"nodes": {"n1": [{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}],
                                   "n2": []}}
    assert nodes.judged_untainted(FakeKube([node("n1", taints=[Taint(key="other", effect="x")])]), master.key).ok
    one = FakeKube([node("n1")])
    assert shape(nodes.judged_count(one, 1)) == (True, "nodes", 1, 1, "GET /api/v1/nodes", "", {"nodes": ["n1"]}, {})
    assert not nodes.judged_count(tainted, 1).ok
    assert nodes.judged_roles(one, "control-plane,master").found == {"n1": "control-plane,master"}
    assert not nodes.judged_roles(FakeKube([node("n1", roles=("master",))]), "control-plane,master").ok
    none = FakeKube()
    for judged in (nodes.judged_roles(none, "master"), nodes.judged_ready(none), nodes.judged_pod_ranges(none, "x")):
        assert not judged.ok and judged.found == {}  # no node at all holds no claim about every node
    assert nodes.judged_ready(one).ok and not nodes.judged_ready(FakeKube([node("n1"), node("n2", "False")])).ok
    assert nodes.judged_pod_ranges(one, "10.244.0.0/16").ok
    outside = nodes.judged_pod_ranges(FakeKube([node("n1", cidr="10.96.0.0/24")]), "10.244.0.0/16")
    assert (outside.ok, outside.expected) == (False, "inside 10.244.0.0/16")
    assert outside.how == "GET /api/v1/nodes: spec.podCIDR"
    assert not nodes.judged_pod_ranges(FakeKube([node("n1", cidr=None)]), "10.244.0.0/16").ok


def test_the_api_servers_health_a_kubeconfig_the_pod_network_and_flannel() -> None:
    j = cluster.judged_health(FakeKube())
    assert shape(j) == (True, "API server https://10.0.0.5:6443", "healthz ok and a version",
                        {"healthz": "ok", "gitVersion": "v1.20.2", "platform": "linux/amd64"},
                        "GET /healthz; GET /version", "", {}, {})
    unhealthy = cluster.judged_health(FakeKube(healthz=(500, "[+]ping ok\n[-]etcd failed: reason withheld\n")))
    assert not unhealthy.ok and unhealthy.found["healthz"].startswith("HTTP 500: [+]ping ok"), unhealthy.found
    assert not cluster.judged_health(FakeKube(healthz=(200, "not ok"))).ok
    assert not cluster.judged_health(FakeKube(version={})).ok
    conf = "clusters:\n- cluster:\n    server: https://10.0.0.5:6443\n  name: kubernetes\n"
    files = {"/etc/kubernetes/admin.conf": conf}
    t = NS(read_text=files.get)
    kc = cluster.judged_kubeconfig(t, FakeKube(), "/etc/kubernetes/admin.conf")
    assert shape(kc)[:5] == (True, "/etc/kubernetes/admin.conf", "a cluster at https://10.0.0.5:6443",
                             ["https://10.0.0.5:6443"], "read /etc/kubernetes/admin.conf: clusters[].cluster.server")
    assert cluster.judged_kubeconfig(t, FakeKube(), "/root/none.conf").found == "no such kubeconfig"
    files["/other.conf"] = conf.replace("10.0.0.5", "10.0.0.9")
    assert not cluster.judged_kubeconfig(t, FakeKube(), "/other.conf").ok
    cm = NS(data={"ClusterConfiguration": "networking:\n  podSubnet: 10.244.0.0/16\n"})
    net = cluster.judged_pod_network(FakeKube(config_map=cm), "10.244.0.0/16")
    assert shape(net)[:4] == (True, "pod subnet", "10.244.0.0/16", "10.244.0.0/16")
    assert cluster.judged_pod_network(FakeKube(), "10.244.0.0/16").found == "kubeadm-config absent"
    assert cluster.judged_pod_network(FakeKube(config_map=NS(data={})), "10.244.0.0/16").found is None

    def ds(name: str, ready: int, desired: int) -> NS:
        return NS(metadata=NS(name=name, namespace="kube-system"),
                  status=NS(number_ready=ready, desired_number_scheduled=desired))

    flannel = cluster.judged_flannel(FakeKube(daemon_sets=[ds("kube-flannel-ds", 1, 1), ds("kube-proxy", 0, 1)]))
    assert shape(flannel)[:4] == (True, "Flannel DaemonSet", "ready on every node",
                                  {"kube-system/kube-flannel-ds": "1/1"})
    assert not cluster.judged_flannel(FakeKube(daemon_sets=[ds("kube-flannel-ds", 0, 1)])).ok
    assert not cluster.judged_flannel(FakeKube(daemon_sets=[ds("kube-flannel-ds", 0, 0)])).ok  # on no node at all
    assert cluster.judged_flannel(FakeKube()).found == "no Flannel DaemonSet"


# --- hw-deploy, its pods and its Service -------------------------------------------------------------------


def test_the_manifest_file_is_judged_as_yaml() -> None:
    manifest = "apiVersion: apps/v1\nkind: Deployment\n---\nkind: Service\n"
    j = drift.judge_file("/root/hw.yaml", "apiVersion: apps/v1\nkind:   Deployment\n---\nkind: Service\n", manifest)
    docs = [{"apiVersion": "apps/v1", "kind": "Deployment"}, {"kind": "Service"}]
    assert shape(j)[:5] == (True, "/root/hw.yaml", docs, docs, "read /root/hw.yaml; both parsed as YAML")
    assert not drift.judge_file("/root/hw.yaml", "kind: Deployment\n", manifest).ok
    assert drift.judge_file("/root/hw.yaml", None, manifest).found == "/root/hw.yaml absent"


def test_the_deployments_replicas_label_and_selector() -> None:
    j = deployment.judged_replicas(FakeKube(deploy=hw_deploy()), "hw-deploy", 2, 2)
    assert shape(j) == (True, "hw-deploy", {"replicas": 2, "ready": 2, "available": 2},
                        {"replicas": 2, "ready": 2, "available": 2},
                        "GET deployment default/hw-deploy (kubectl get deploy)", "", {}, {})
    unready = deployment.judged_replicas(FakeKube(deploy=hw_deploy(ready=None, available=1)), "hw-deploy", 2, 2)
    assert not unready.ok and unready.found == {"replicas": 2, "ready": 0, "available": 1}
    assert deployment.judged_replicas(FakeKube(), "hw-deploy", 2, 2).found == "absent"
    labelled = deployment.judged_labelled(FakeKube(deploy=hw_deploy()), "hw-deploy", "app=hw", "app=hw")
    assert labelled.ok and labelled.found == {"labels": {"app": "hw"}, "selector": "app=hw",
                                              "template labels": {"app": "hw"}}
    assert not deployment.judged_labelled(FakeKube(deploy=hw_deploy()), "hw-deploy", "app=other", "app=hw").ok
    assert not deployment.judged_labelled(FakeKube(deploy=hw_deploy()), "hw-deploy", "app=hw", "app=x").ok
    gone = deployment.judged_labelled(FakeKube(), "hw-deploy", "app=hw", "app=hw")
    assert (gone.ok, gone.found) == (False, "absent")


def test_the_pods_labels_and_addresses() -> None:
    two = FakeKube(pod_list=[pod("hw-1"), pod("hw-2", "10.244.0.6")])
    j = pods.judged_labels(two, "hw-deploy", "app=hw")
    assert shape(j)[:5] == (True, "label app of the pods of hw-deploy", "hw", {"hw-1": "hw", "hw-2": "hw"},
                            "GET pods selected by deployment hw-deploy")
    assert not pods.judged_labels(FakeKube(pod_list=[pod("hw-1"), pod("hw-2", app=None)]), "hw-deploy", "app=hw").ok
    assert pods.judged_labels(FakeKube(), "hw-deploy", "app=hw").found == "no pods"
    ips = pods.judged_addresses(two, "hw-deploy", "10.244.0.0/16")
    assert shape(ips)[:5] == (True, "pod IPs of hw-deploy", "inside 10.244.0.0/16",
                              {"hw-1": "10.244.0.5", "hw-2": "10.244.0.6"}, "GET pods: status.podIP")
    assert not pods.judged_addresses(two, "hw-deploy", "10.96.0.0/12").ok
    assert not pods.judged_addresses(FakeKube(pod_list=[pod("hw-1", ip=None)]), "hw-deploy", "10.244.0.0/16").ok
    assert pods.judged_addresses(FakeKube(), "hw-deploy", "10.244.0.0/16").found == "no pods"


def test_every_pod_must_answer_its_own_name(monkeypatch) -> None:
    found = {"replicas": 2, "deleting": ["hw-0"], "pods": {"hw-1": {"body": "Hello, I am hw-1", "status": 200},
                                                           "hw-2": {"body": "Hello, I am hw-2", "status": 200}}}
    monkeypatch.setattr(pods, "every_pod_answers", lambda kube, name, port: found)
    j = pods.judged_answers(FakeKube(), "hw-deploy", "Hello, I am ", 8080)
    assert shape(j) == (True, "answers of the pods of hw-deploy",
                        {"pods": "as many as the replicas (2), ready or not",
                         "each answers": "Hello, I am <the pod's own name>"},
                        {"pods": 2, "hw-1": "Hello, I am hw-1", "hw-2": "Hello, I am hw-2"},
                        "GET deployment hw-deploy (spec.replicas); GET pods -l <its selector>; "
                        "GET http://<pod IP>:8080/ from the lab host", "",
                        {"replicas": 2, "responses": found["pods"], "being_deleted": ["hw-0"]}, {})
    found["pods"]["hw-2"] = {"body": "", "error": "connection refused", "status": None}
    refused = pods.judged_answers(FakeKube(), "hw-deploy", "Hello, I am ", 8080)
    assert not refused.ok and refused.found["hw-2"] == "connection refused"
    del found["pods"]["hw-2"]
    assert not pods.judged_answers(FakeKube(), "hw-deploy", "Hello, I am ", 8080).ok  # one pod of two replicas
    found.update(replicas=None, pods={})
    absent = pods.judged_answers(FakeKube(), "hw-deploy", "Hello, I am ", 8080)
    assert (absent.ok, absent.found) == (False, "no pods (deployment absent)")


def traffic(answers: list[str], failures: list[str] | None = None, before: tuple = ("a", "b"),
            after: tuple = ("a", "b"), sent: int | None = None) -> nodeport.NodePortTraffic:
    s = nodeport.Sample("http://10.0.0.5:30080/", sent if sent is not None else len(answers) + len(failures or []),
                        list(answers), list(failures or []))
    return nodeport.NodePortTraffic(s, list(before), list(after), {"stale": "none"})


def test_every_nodeport_answer_must_come_from_a_current_pod() -> None:
    t = traffic(["a", "b", "a"])
    j = nodeport.judge_answers(t, "hw-deploy")
    assert shape(j) == (True, "answers through http://10.0.0.5:30080/", "3 answers, each naming a pod of hw-deploy",
                        {"answered": 3, "unanswered": 0, "unknown pods": [], "first failures": []},
                        "3 x GET http://10.0.0.5:30080/, one connection each, from the lab host", "",
                        {"counts": {"a": 2, "b": 1}, "failures": [], "pods_before": ["a", "b"],
                         "pods_after": ["a", "b"], "connections_to_gone_pods_before_sampling": {"stale": "none"}}, {})
    assert nodeport.judge_answers(traffic(["a", "c"], before=("a", "b"), after=("a", "c")), "hw-deploy").ok
    stranger = nodeport.judge_answers(traffic(["a", "gone"]), "hw-deploy")
    assert not stranger.ok and stranger.found["unknown pods"] == ["gone"]
    failed = nodeport.judge_answers(traffic(["a"], ["request 2: HTTP 000"]), "hw-deploy")
    assert not failed.ok and failed.found["first failures"] == ["request 2: HTTP 000"]
    assert not nodeport.judge_answers(traffic(["a"], sent=2), "hw-deploy").ok  # a request with no record at all
    # the rule as it was: nothing sent leaves nothing unanswered (the feature sends 200)
    assert nodeport.judge_answers(traffic([], sent=0, before=(), after=()), "hw-deploy").ok


def test_the_service_and_its_answer_at_the_cluster_address() -> None:
    svc = NS(spec=NS(type="NodePort", selector={"app": "hw"}, ports=[NS(port=8080)]))
    j = deployment.judged_service(FakeKube(service=svc), "hw", "NodePort", "app=hw", 8080)
    assert shape(j) == (True, "service hw", {"type": "NodePort", "selector": "app=hw", "ports": [8080]},
                        {"type": "NodePort", "selector": "app=hw", "ports": [8080]},
                        "GET service default/hw (kubectl describe services hw)", "", {}, {})
    assert not deployment.judged_service(FakeKube(service=svc), "hw", "ClusterIP", "app=hw", 8080).ok
    assert deployment.judged_service(FakeKube(), "hw", "NodePort", "app=hw", 8080).found == "absent"
    url = "http://10.96.0.20:8080/"
    kube = FakeKube(pod_list=[pod("hw-1"), pod("hw-2")], answer=http.Response(url, 200, "Hello, I am hw-2\n", 3.0))
    ip = deployment.judged_cluster_ip(kube, "hw", "Hello, I am ", "hw-deploy")
    assert shape(ip)[:5] == (True, "answer of service hw", "Hello, I am <one of ['hw-1', 'hw-2']>", "Hello, I am hw-2",
                             f"GET {url}")
    assert ip.details == {"response": kube.kw["answer"].evidence()}
    kube.kw["answer"] = http.Response(url, 200, "Hello, I am hw-9", 3.0)
    assert not deployment.judged_cluster_ip(kube, "hw", "Hello, I am ", "hw-deploy").ok
    kube.kw["answer"], kube.pod_list = http.Response(url, None, "", 0.0, error="timed out"), []
    none = deployment.judged_cluster_ip(kube, "hw", "Hello, I am ", "hw-deploy")
    assert (none.ok, none.found, none.expected) == (False, "timed out", "Hello, I am <one of []>")


# --- the document's clean-up -------------------------------------------------------------------------------


def test_the_clean_up_is_judged_on_the_last_observation_of_its_wait(monkeypatch) -> None:
    waited: list[tuple] = []

    def wait_for(observe, ok, timeout, what):  # the real one polls with a deadline; this one looks once
        waited.append((timeout, what))
        return observe()

    monkeypatch.setattr(deployment, "wait_for", wait_for)
    j = deployment.judged_no_ready_pod(FakeKube(), "hw-deploy", 60)
    assert shape(j) == (True, "ready pods of hw-deploy", [], [],
                        "GET pods of hw-deploy (those being deleted too), polled for 60 s", "", {}, {})
    assert deployment.judged_no_ready_pod(FakeKube(pod_list=[pod("hw-1")]), "hw-deploy", 60).found == ["hw-1"]
    assert not deployment.judged_no_ready_pod(FakeKube(pod_list=[pod("hw-1")]), "hw-deploy", 60).ok
    gone = deployment.judged_gone(FakeKube(), "hw-deploy", "default", 30)
    assert shape(gone)[:5] == (True, "deployment default/hw-deploy", "absent", "absent",
                               "GET deployment default/hw-deploy, polled for 30 s")
    assert deployment.judged_gone(FakeKube(deploy=hw_deploy()), "hw-deploy", "default", 30).found == "present"
    assert waited[0] == (60, "no ready pod") and waited[-1] == (30, "hw-deploy gone")
    counts = deployment.judged_counts(FakeKube(deploy=hw_deploy(0, None, None)), "hw-deploy", 0, 0, 0)
    assert shape(counts)[:4] == (True, "hw-deploy", [0, 0, 0], [0, 0, 0])
    assert not deployment.judged_counts(FakeKube(deploy=hw_deploy(2, 1, 1)), "hw-deploy", 0, 0, 0).ok
    assert deployment.judged_counts(FakeKube(), "hw-deploy", 0, 0, 0).found == "absent"


class PodsKube:
    """A KubeLab stand-in for fresh_pod: a Deployment as the API server sends it, and a pod that starts."""

    def __init__(self, phases: list[Any], log: str = "") -> None:
        from labconform.kube.https_api import Obj

        container = {"name": "hw-contain", "image": "mytc", "imagePullPolicy": "IfNotPresent",
                     "resources": {"requests": {"cpu": "500m"}}}
        self.deploy = Obj({"spec": {"selector": {"matchLabels": {"app": "hw"}}, "template": {
            "metadata": {"labels": {"app": "hw"}}, "spec": {"containers": [container]}}}})
        self.phases, self.log, self.calls = phases, log, []

    def deployment(self, name: str) -> Any:
        return self.deploy if name == "hw-deploy" else None

    def data(self, obj: Any) -> Any:
        return obj.to_dict()

    def send(self, method: str, path: str, what: str, query: Any = None, body: Any = None) -> Any:
        fn = {"POST": "create", "DELETE": "delete"}.get(method) or ("log" if path.endswith("/log") else "read")
        self.calls.append((fn, body))
        return (200, self.log) if fn == "log" else None

    def json(self, method: str, path: str, what: str) -> Any:
        self.calls.append(("read", None))
        phase = self.phases.pop(0) if len(self.phases) > 1 else self.phases[0]
        return None if phase is None else NS(status=NS(phase=phase, pod_ip="10.244.0.9" if phase == "Running"
                                                       else None), spec=NS(node_name="vm"))


def test_a_new_pod_is_made_from_the_template_outside_its_service_and_waited_for_without_a_request() -> None:
    from labconform.errors import ClaimFailed
    from labconform.kube import fresh_pod

    assert fresh_pod.pod_name("lc-20261203T171357Z-9120", "hw-deploy") == "lc-20261203t171357z-9120-hw-deploy-first"
    kube = PodsKube(["Pending", "Running"], log="... Server startup in [1234] milliseconds")
    made = fresh_pod.start(kube, "hw-deploy", "lc-run", 10)
    assert made["address"] == "10.244.0.9" and made["tomcat_startup_ms"] == 1234
    created = next(body for fn, body in kube.calls if fn == "create")
    assert created["metadata"]["labels"] == {"labconform.run": "lc-run"}  # not app=hw: no Service sends it traffic
    assert "resources" not in created["spec"]["containers"][0] and created["spec"]["activeDeadlineSeconds"] == 600
    assert kube.deploy.spec.template.spec.containers[0].resources is not None  # the template itself is untouched
    assert [fn for fn, _ in kube.calls][:2] == ["delete", "create"]  # a leftover of the same name goes first
    with pytest.raises(ClaimFailed, match="Failed before Tomcat started"):
        fresh_pod.start(PodsKube(["Failed"]), "hw-deploy", "lc-run", 10)
    with pytest.raises(ClaimFailed, match="no Deployment nope"):
        fresh_pod.start(PodsKube(["Running"]), "nope", "lc-run", 10)
