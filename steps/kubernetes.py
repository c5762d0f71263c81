"""Steps about the Kubernetes half: host prerequisites, the tools, the control plane, hw-deploy and its Service."""

from __future__ import annotations

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from labconform import cluster, drift, firewall, kube, kube_host, nodeport, notice, pods, rollout


@pytest.fixture
def traffic() -> dict:
    """What a When step sent through a Service, for the Then steps of the same claim."""
    return {}


# --- the host ------------------------------------------------------------------------------------


@then(parsers.parse('the kernel setting "{key}" is "{value}"'))
def _(lab, evidence, key, value):
    evidence.judged(kube_host.judged_sysctl(lab.target, key, value))


@then("no swap space is in use")
def _(lab, evidence):
    evidence.judged(kube_host.judged_no_active_swap(lab.target))


@then("/etc/fstab activates no swap space")
def _(lab, evidence):
    evidence.judged(kube_host.judged_no_fstab_swap(lab.target))


@given("firewalld manages the host's firewall")
def _(lab, evidence):
    evidence.applicable(firewall.firewalld_in_charge(lab.target))


@then(parsers.parse('the public zone opens TCP ports "{ports}" permanently and at runtime'))
def _(lab, evidence, ports):
    evidence.judged(firewall.judged_ports_open(lab.target, [f"{n}/tcp" for n in ports.split(",")]))


@then(parsers.parse('the public zone accepts traffic from "{cidr}" permanently and at runtime'))
def _(lab, evidence, cidr):
    evidence.judged(firewall.judged_source_accepted(lab.target, cidr))


@then(parsers.parse("a TCP connection from the lab host to the host's port {port:d} is accepted"))
def _(lab, evidence, port):
    if (address := firewall.outside_address(lab.target)) is None:
        return evidence.note("seen from outside", "not checked: the lab is this machine", "target local")
    evidence.judged(firewall.judged_connect(address, port))


@then("a port the firewall does not open answers on the host but is refused from the lab host")
def _(lab, evidence):
    if (address := firewall.outside_address(lab.target)) is None:
        return evidence.note("seen from outside", "not checked: the lab is this machine", "target local")
    evidence.judged(firewall.judged_closed_port(lab.target, address))


@then(parsers.parse('"{process}" listens on TCP port {port:d}'))
def _(lab, evidence, process, port):
    evidence.judged(kube_host.judged_listener(lab.target, port, process))


@given("the kernel has SELinux")
def _(lab, evidence):
    j = kube_host.selinux_mode(lab.target)
    evidence.applicable(j)
    evidence.note(j.what, j.found, j.how)


@then(parsers.parse('"{path}" carries the SELinux type "{type_}"'))
def _(lab, evidence, path, type_):
    evidence.judged(kube_host.judged_selinux_type(lab.target, path, type_))


@then("the audit log holds no SELinux denial for containers or Kubernetes")
def _(lab, evidence):
    evidence.judged(kube_host.judged_selinux_denials(lab.target))


# --- the tools and kubelet ------------------------------------------------------------------------


@then("kubeadm, kubelet and kubectl report the same version")
def _(lab, evidence):
    evidence.judged(kube_host.judged_tool_versions(lab.target))


@then("the running kubelet's cgroup driver is Docker's")
def _(lab, evidence):
    node = lab.kube.nodes()[0].metadata.name
    found = lab.kube.kubelet_config(node).get("cgroupDriver")
    evidence.equal("kubelet cgroup driver", expected=lab.docker.info().get("CgroupDriver"), found=found,
                   how=f"docker info: CgroupDriver; GET /api/v1/nodes/{node}/proxy/configz: cgroupDriver")


# --- the control plane ----------------------------------------------------------------------------


@then("the API server answers its health check and names its version")
def _(lab, evidence):
    health, version = lab.kube.raw("/healthz"), lab.kube.version()
    evidence.check(health.strip() == "ok" and bool(version.get("gitVersion")), f"API server {lab.kube.server}",
                   expected="healthz ok and a version", found={"healthz": health.strip(), **version},
                   how="GET /healthz; GET /version")


@then(parsers.parse('a running Docker container holds "{name}"'))
def _(lab, evidence, name):
    evidence.judged(kube_host.judged_runtime_container(lab.docker, name))


@then(parsers.parse('"{path}" is a kubeconfig for the cluster\'s API server'))
def _(lab, evidence, path):
    conf = yaml.safe_load(lab.target.read_text(path) or "{}") or {}
    servers = [c.get("cluster", {}).get("server") for c in conf.get("clusters", [])]
    evidence.check(lab.kube.server in servers, path, expected=f"a cluster at {lab.kube.server}",
                   found=servers or "no such kubeconfig", how=f"read {path}: clusters[].cluster.server")


@then(parsers.parse('a login shell of root has KUBECONFIG set to "{value}"'))
def _(lab, evidence, value):
    evidence.judged(kube_host.judged_login_env(lab.target, "root", "KUBECONFIG", value))


@then(parsers.parse('no node carries the taint "{key}"'))
def _(lab, evidence, key):
    tainted = {n.metadata.name: [t.to_dict() for t in n.spec.taints or [] if t.key == key] for n in lab.kube.nodes()}
    evidence.equal(f"nodes tainted {key}", expected=[], found=[n for n, t in tainted.items() if t],
                   how="GET /api/v1/nodes: spec.taints", nodes=tainted)


@then(parsers.parse("the cluster has {count:d} node"))
def _(lab, evidence, count):
    names = [n.metadata.name for n in lab.kube.nodes()]
    evidence.equal("nodes", expected=count, found=len(names), how="GET /api/v1/nodes", nodes=names)


@then(parsers.parse('the node\'s roles are "{roles}"'))
def _(lab, evidence, roles):
    found = {n.metadata.name: ",".join(kube.node_roles(n)) for n in lab.kube.nodes()}
    evidence.check(bool(found) and set(found.values()) == {roles}, "node roles", expected=roles, found=found,
                   how="GET /api/v1/nodes: labels node-role.kubernetes.io/*")


@then("every node is Ready")
def _(lab, evidence):
    found = {n.metadata.name: kube.node_ready(n) for n in lab.kube.nodes()}
    evidence.check(bool(found) and set(found.values()) == {"True"}, "node Ready condition", expected="True",
                   found=found, how="GET /api/v1/nodes: status.conditions[Ready]")


@then(parsers.parse('the cluster\'s pod network is "{cidr}"'))
def _(lab, evidence, cidr):
    cm = lab.kube.config_map("kubeadm-config", "kube-system")
    net = (yaml.safe_load((cm.data or {}).get("ClusterConfiguration", "")) or {}).get("networking", {}) if cm else {}
    evidence.equal("pod subnet", expected=cidr, found=net.get("podSubnet", "kubeadm-config absent" if not cm else None),
                   how="GET configmap kube-system/kubeadm-config: ClusterConfiguration.networking.podSubnet")


@then(parsers.parse('every node\'s pod range lies inside "{cidr}"'))
def _(lab, evidence, cidr):
    found = {n.metadata.name: n.spec.pod_cidr for n in lab.kube.nodes()}
    evidence.check(bool(found) and all(kube.in_network(c, cidr) for c in found.values()), "node pod ranges",
                   expected=f"inside {cidr}", found=found, how="GET /api/v1/nodes: spec.podCIDR")


@then("a Flannel DaemonSet has a ready pod on every node it should run on")
def _(lab, evidence):
    found = {f"{d.metadata.namespace}/{d.metadata.name}": f"{d.status.number_ready}/{d.status.desired_number_scheduled}"
             for d in lab.kube.daemon_sets() if "flannel" in d.metadata.name}
    evidence.check(bool(found) and all(v.split("/")[0] == v.split("/")[1] != "0" for v in found.values()),
                   "Flannel DaemonSet", expected="ready on every node", found=found or "no Flannel DaemonSet",
                   how="GET /apis/apps/v1/daemonsets (all namespaces), names holding 'flannel'")


# --- hw-deploy ------------------------------------------------------------------------------------


@then(parsers.parse('"{path}" holds this manifest:'))
def _(lab, evidence, path, docstring):
    text = lab.target.read_text(path)
    found = list(yaml.safe_load_all(text)) if text is not None else f"{path} absent"
    evidence.equal(path, expected=list(yaml.safe_load_all(docstring)), found=found,
                   how=f"read {path}; both parsed as YAML")


@then(parsers.parse('every object in "{path}" runs in the cluster with every field the file sets'))
def _(lab, evidence, path):
    docs = [d for d in yaml.safe_load_all(lab.target.read_text(path) or "") if d]
    evidence.judged(drift.judge(path, drift.observe(lab.kube, docs)))


@then(parsers.parse('deployment "{name}" has {ready:d} of {want:d} replicas available'))
def _(lab, evidence, name, ready, want):
    d = lab.kube.deployment(name)
    found = {"replicas": d.spec.replicas, "ready": d.status.ready_replicas or 0,
             "available": d.status.available_replicas or 0} if d else "absent"
    evidence.equal(name, expected={"replicas": want, "ready": ready, "available": ready}, found=found,
                   how=f"GET deployment default/{name} (kubectl get deploy)")


@then(parsers.parse('deployment "{name}" is labelled "{label}" and selects pods labelled "{selects}"'))
def _(lab, evidence, name, label, selects):
    d = lab.kube.deployment(name)
    found = {"labels": d.metadata.labels, "selector": kube.selector_of(d),
             "template labels": d.spec.template.metadata.labels} if d else "absent"
    k, v = label.split("=", 1)
    evidence.check(d is not None and (d.metadata.labels or {}).get(k) == v and kube.selector_of(d) == selects,
                   name, expected={"label": label, "selector": selects}, found=found, how=f"GET deployment {name}")


@then(parsers.parse('every pod of deployment "{name}" is labelled "{label}"'))
def _(lab, evidence, name, label):
    k, v = label.split("=", 1)
    found = {p.metadata.name: (p.metadata.labels or {}).get(k) for p in lab.kube.deployment_pods(name)}
    evidence.check(bool(found) and set(found.values()) == {v}, f"label {k} of the pods of {name}", expected=v,
                   found=found or "no pods", how=f"GET pods selected by deployment {name}")


@then(parsers.parse('container "{container}" of deployment "{name}" and of each of its pods has {setting} "{value}"'))
def _(lab, evidence, container, name, setting, value):
    evidence.judged(pods.judge_container_setting(lab.kube, name, container, setting, value))


@then(parsers.parse('no rollout of deployment "{name}" is under way'))
def _(lab, evidence, name):
    evidence.judged(rollout.judge_finished(name, lab.kube.data(lab.kube.deployment(name))))


@then(parsers.parse('the nodes have room for the surge pods of a rolling update of deployment "{name}"'))
def _(lab, evidence, name):
    k = lab.kube
    evidence.judged(rollout.judge_room(name, rollout.room(k.data(k.deployment(name)) or {}, k.data(k.nodes()),
                                                          k.data(k.all_pods()))))


@then(parsers.parse('every pod of deployment "{name}" has an address inside "{cidr}"'))
def _(lab, evidence, name, cidr):
    found = {p.metadata.name: p.status.pod_ip for p in lab.kube.deployment_pods(name)}
    evidence.check(bool(found) and all(kube.in_network(ip, cidr) for ip in found.values()), f"pod IPs of {name}",
                   expected=f"inside {cidr}", found=found or "no pods", how="GET pods: status.podIP")


@then(parsers.parse('every pod of deployment "{name}" answers "{greeting}" and its own name at its address on '
                    'port {port:d}'))
def _(lab, evidence, name, greeting, port):
    found = pods.every_pod_answers(lab.kube, name, port)
    evidence.check(pods.all_answer(found, greeting), f"answers of the pods of {name}",
                   expected={"pods": f"as many as the replicas ({found['replicas']}), ready or not",
                             "each answers": f"{greeting}<the pod's own name>"}, found=pods.seen(found),
                   how=f"GET deployment {name} (spec.replicas); GET pods -l <its selector>; "
                       f"GET http://<pod IP>:{port}/ from the lab host", replicas=found["replicas"],
                   responses=found["pods"], being_deleted=found["deleting"])


# --- the Service ----------------------------------------------------------------------------------


@then(parsers.parse('service "{name}" is of type "{type_}", selects "{selects}" and serves port {port:d}'))
def _(lab, evidence, name, type_, selects, port):
    s = lab.kube.service(name)
    found = {"type": s.spec.type, "selector": kube.selector_of(s), "ports": [p.port for p in s.spec.ports]} if s \
        else "absent"
    evidence.equal(f"service {name}", expected={"type": type_, "selector": selects, "ports": [port]}, found=found,
                   how=f"GET service default/{name} (kubectl describe services {name})")


@when(parsers.parse('{count:d} requests are sent to the NodePort of service "{name}" from the lab host'))
def _(lab, traffic, request, count, name):
    traffic.update(lab.kube.sample_node_port(name, "hw-deploy", count, say=notice.to_terminal(request.config)))


@then(parsers.parse('every request was answered by a pod of deployment "{name}" that is current'))
def _(lab, evidence, traffic, name):
    s, current = traffic["sample"], set(traffic["pods_before"]) | set(traffic["pods_after"])
    strangers = sorted(set(s.answers) - current)
    evidence.check(not s.failures and not strangers and len(s.answers) == s.sent, f"answers through {s.url}",
                   expected=f"{s.sent} answers, each naming a pod of {name}",
                   found={"answered": len(s.answers), "unanswered": len(s.failures), "unknown pods": strangers,
                          "first failures": s.failures[:3]},
                   how=f"{s.sent} x GET {s.url}, one connection each, from the lab host", counts=s.counts(),
                   failures=s.failures[:20], pods_before=traffic["pods_before"], pods_after=traffic["pods_after"],
                   connections_to_gone_pods_before_sampling=traffic["settling"])


@then(parsers.parse('the answers split evenly between {pods:d} pods by a two-sided binomial test at significance '
                    '{alpha:g}'))
def _(lab, evidence, traffic, pods, alpha):
    evidence.judged(nodeport.judge_split(traffic, pods, alpha))


@then(parsers.parse('service "{name}" answers "{greeting}" and the name of a pod of deployment "{deploy}" at its '
                    'cluster address'))
def _(lab, evidence, name, greeting, deploy):
    r, pods = lab.kube.cluster_ip_answer(name), [p.metadata.name for p in lab.kube.deployment_pods(deploy)]
    evidence.check(r.body.strip() in {f"{greeting}{p}" for p in pods}, f"answer of service {name}",
                   expected=f"{greeting}<one of {pods}>", found=r.body.strip() or r.error, how=f"GET {r.url}",
                   response=r.evidence())


# --- the document's clean-up (@destructive) -------------------------------------------------------


@when(parsers.parse('deployment "{name}" is scaled to {replicas:d} replicas'))
def _(lab, name, replicas):
    lab.kube.scale(name, replicas)


@when(parsers.parse('deployment "{name}" is deleted from namespace "{namespace}"'))
def _(lab, name, namespace):
    lab.kube.delete_deployment(name, namespace)


@then(parsers.parse('within {seconds:d} seconds no pod of deployment "{name}" is ready'))
def _(lab, evidence, seconds, name):
    ready = kube.wait_for(lambda: lab.kube.ready_pod_names(name), lambda pods: not pods, seconds, "no ready pod")
    evidence.equal(f"ready pods of {name}", expected=[], found=ready, how=f"GET pods of {name}, polled for {seconds} s")


@then(parsers.parse('deployment "{name}" shows {ready:d} ready and {available:d} available of {want:d}'))
def _(lab, evidence, name, ready, available, want):
    d = lab.kube.deployment(name)
    found = [d.status.ready_replicas or 0, d.status.available_replicas or 0, d.spec.replicas] if d else "absent"
    evidence.equal(name, expected=[ready, available, want], found=found,
                   how=f"GET deployment {name}: [readyReplicas, availableReplicas, spec.replicas] (kubectl get deploy)")


@then(parsers.parse('within {seconds:d} seconds deployment "{name}" is gone from namespace "{namespace}"'))
def _(lab, evidence, seconds, name, namespace):
    d = kube.wait_for(lambda: lab.kube.deployment(name, namespace), lambda d: d is None, seconds, f"{name} gone")
    evidence.equal(f"deployment {namespace}/{name}", expected="absent", found="absent" if d is None else "present",
                   how=f"GET deployment {namespace}/{name}, polled for {seconds} s")


@then(parsers.parse('a file of /etc/sysctl.d sets "{key}" to "{value}" at boot'))
def _(lab, evidence, key, value):
    evidence.judged(kube_host.judged_sysctl_at_boot(lab.target, key, value))


# --- the release and kubeadm's add-ons (labconform.cluster) ---------------------------------------


@then("the API server and every node's kubelet run the lab's Kubernetes release")
def _(lab, evidence):
    evidence.judged(cluster.judge_release(cluster.release(lab.kube), lab.params.kubernetes_version))


@then("kube-system's CoreDNS Deployment has every replica available")
def _(lab, evidence):
    evidence.judged(cluster.judge_coredns(cluster.coredns(lab.kube)))
