"""Steps about the Kubernetes half: host prerequisites, the tools, the control plane, hw-deploy and its Service."""

from __future__ import annotations

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from labconform.host import firewall
from labconform.kube import cluster, deployment, drift, fresh_pod, kube_host, nodeport, nodes, pods, rollout
from labconform.run import preparation, progress
from steps import judged, precondition
from steps.docker import CONTAINERS

# --- the host ------------------------------------------------------------------------------------


judged(then, parsers.parse('the kernel setting "{key}" is "{value}"'),
       lambda lab, key, value: kube_host.judged_sysctl(lab.target, key, value))
judged(then, "no swap space is in use", lambda lab: kube_host.judged_no_active_swap(lab.target))
judged(then, "/etc/fstab activates no swap space", lambda lab: kube_host.judged_no_fstab_swap(lab.target))
precondition(given, "firewalld manages the host's firewall", lambda lab: firewall.firewalld_in_charge(lab.target))
judged(then, parsers.parse('the public zone opens TCP ports "{ports}" permanently and at runtime'),
       lambda lab, ports: firewall.judged_ports_open(lab.target, [f"{n}/tcp" for n in ports.split(",")]))
judged(then, parsers.parse('the public zone accepts traffic from "{cidr}" permanently and at runtime'),
       lambda lab, cidr: firewall.judged_source_accepted(lab.target, cidr))


def from_outside(lab, evidence, judge):
    """Record what `judge` makes of the host's address seen from the lab host; a local lab has no outside to
    look from: noted, not checked."""
    if (address := firewall.outside_address(lab.target)) is None:
        return evidence.note("seen from outside", "not checked: the lab is this machine", "target local")
    evidence.judged(judge(address))


@then(parsers.parse("a TCP connection from the lab host to the host's port {port:d} is accepted"))
def _(lab, evidence, port):
    from_outside(lab, evidence, lambda address: firewall.judged_connect(address, port))


@then("a port the firewall does not open answers on the host but is refused from the lab host")
def _(lab, evidence):
    from_outside(lab, evidence, lambda address: firewall.judged_closed_port(lab.target, address))


judged(then, parsers.parse('"{process}" listens on TCP port {port:d}'),
       lambda lab, process, port: kube_host.judged_listener(lab.target, port, process))


@given("the kernel has SELinux")
def _(lab, evidence):
    j = kube_host.selinux_mode(lab.target)
    evidence.applicable(j)
    evidence.note(j.what, j.found, j.how)


judged(then, parsers.parse('"{path}" carries the SELinux type "{type_}"'),
       lambda lab, path, type_: kube_host.judged_selinux_type(lab.target, path, type_))
judged(then, "the audit log holds no SELinux denial for containers or Kubernetes",
       lambda lab: kube_host.judged_selinux_denials(lab.target))


# --- the tools and kubelet ------------------------------------------------------------------------


judged(then, "kubeadm, kubelet and kubectl report the same version",
       lambda lab: kube_host.judged_tool_versions(lab.target))
judged(then, "the running kubelet's cgroup driver is Docker's",
       lambda lab: nodes.judged_kubelet_driver(lab.kube, lab.docker))


# --- the control plane ----------------------------------------------------------------------------


judged(then, "the API server answers its health check and names its version",
       lambda lab: cluster.judged_health(lab.kube))
judged(then, parsers.parse('a running Docker container holds "{name}"'),
       lambda lab, name: kube_host.judged_runtime_container(lab.docker, name))
judged(then, parsers.parse('"{path}" is a kubeconfig for the cluster\'s API server'),
       lambda lab, path: cluster.judged_kubeconfig(lab.target, lab.kube, path))
judged(then, parsers.parse('a login shell of root has KUBECONFIG set to "{value}"'),
       lambda lab, value: kube_host.judged_login_env(lab.target, "root", "KUBECONFIG", value))
judged(then, parsers.parse('no node carries the taint "{key}"'), lambda lab, key: nodes.judged_untainted(lab.kube, key))
judged(then, parsers.parse("the cluster has {count:d} node"), lambda lab, count: nodes.judged_count(lab.kube, count))
judged(then, parsers.parse('the node\'s roles are "{roles}"'), lambda lab, roles: nodes.judged_roles(lab.kube, roles))
judged(then, "every node is Ready", lambda lab: nodes.judged_ready(lab.kube))
judged(then, parsers.parse('the cluster\'s pod network is "{cidr}"'),
       lambda lab, cidr: cluster.judged_pod_network(lab.kube, cidr))
judged(then, parsers.parse('every node\'s pod range lies inside "{cidr}"'),
       lambda lab, cidr: nodes.judged_pod_ranges(lab.kube, cidr))
judged(then, "a Flannel DaemonSet has a ready pod on every node it should run on",
       lambda lab: cluster.judged_flannel(lab.kube))


# --- hw-deploy ------------------------------------------------------------------------------------


judged(then, parsers.parse('"{path}" holds this manifest:'),
       lambda lab, path, docstring: drift.judge_file(path, lab.target.read_text(path), docstring))


@then(parsers.parse('every object in "{path}" runs in the cluster with every field the file sets'))
def _(lab, evidence, path):
    docs = [d for d in yaml.safe_load_all(lab.target.read_text(path) or "") if d]
    evidence.judged(drift.judge(path, drift.observe(lab.kube, docs)))


judged(then, parsers.parse('deployment "{name}" has {ready:d} of {want:d} replicas available'),
       lambda lab, name, ready, want: deployment.judged_replicas(lab.kube, name, ready, want))
judged(then, parsers.parse('deployment "{name}" is labelled "{label}" and selects pods labelled "{selects}"'),
       lambda lab, name, label, selects: deployment.judged_labelled(lab.kube, name, label, selects))
judged(then, parsers.parse('every pod of deployment "{name}" is labelled "{label}"'),
       lambda lab, name, label: pods.judged_labels(lab.kube, name, label))
judged(then, parsers.parse('container "{container}" of deployment "{name}" and of each of its pods has {setting} '
                           '"{value}"'),
       lambda lab, container, name, setting, value:
       pods.judge_container_setting(lab.kube, name, container, setting, value))
judged(then, parsers.parse('no rollout of deployment "{name}" is under way'),
       lambda lab, name: rollout.judge_finished(name, lab.kube.data(lab.kube.deployment(name))))


@then(parsers.parse('the nodes have room for the surge pods of a rolling update of deployment "{name}"'))
def _(lab, evidence, name):
    k = lab.kube
    evidence.judged(rollout.judge_room(name, rollout.room(k.data(k.deployment(name)) or {}, k.data(k.nodes()),
                                                          k.data(k.all_pods()))))


judged(then, parsers.parse('every pod of deployment "{name}" has an address inside "{cidr}"'),
       lambda lab, name, cidr: pods.judged_addresses(lab.kube, name, cidr))
judged(then, parsers.parse('every pod of deployment "{name}" answers "{greeting}" and its own name at its address on '
                    'port {port:d}'),
       lambda lab, name, greeting, port: pods.judged_answers(lab.kube, name, greeting, port))


# --- the Service ----------------------------------------------------------------------------------


judged(then, parsers.parse('service "{name}" is of type "{type_}", selects "{selects}" and serves port {port:d}'),
       lambda lab, name, type_, selects, port: deployment.judged_service(lab.kube, name, type_, selects, port))


@when(parsers.parse('{count:d} requests are sent to the NodePort of service "{name}" of deployment "{deploy}" from '
                    'the lab host'), target_fixture="traffic")
def _(lab, request, count, name, deploy):
    """The Then steps of the claim read what was sent as `traffic` (a nodeport.NodePortTraffic)."""
    return lab.kube.sample_node_port(name, deploy, count, say=progress.to_terminal(request.config))


judged(then, parsers.parse('every request was answered by a pod of deployment "{name}" that is current'),
       lambda lab, traffic, name: nodeport.judge_answers(traffic, name))
judged(then, parsers.parse('the answers split evenly between {pods:d} pods by a two-sided binomial test at '
                           'significance {alpha:g}'),
       lambda lab, traffic, pods, alpha: nodeport.judge_split(traffic, pods, alpha))
judged(then, parsers.parse('service "{name}" answers "{greeting}" and the name of a pod of deployment "{deploy}" at '
                           'its cluster address'),
       lambda lab, name, greeting, deploy: deployment.judged_cluster_ip(lab.kube, name, greeting, deploy))


# --- the document's clean-up (@destructive) -------------------------------------------------------


@when(parsers.parse('deployment "{name}" is scaled to {replicas:d} replicas'))
def _(lab, name, replicas):
    lab.kube.scale(name, replicas)


@when(parsers.parse('deployment "{name}" is deleted from namespace "{namespace}"'))
def _(lab, name, namespace):
    lab.kube.delete_deployment(name, namespace)


judged(then, parsers.parse('within {seconds:d} seconds no pod of deployment "{name}" is ready'),
       lambda lab, seconds, name: deployment.judged_no_ready_pod(lab.kube, name, seconds))
judged(then, parsers.parse('deployment "{name}" shows {ready:d} ready and {available:d} available of {want:d}'),
       lambda lab, name, ready, available, want: deployment.judged_counts(lab.kube, name, ready, available, want))
judged(then, parsers.parse('within {seconds:d} seconds deployment "{name}" is gone from namespace "{namespace}"'),
       lambda lab, seconds, name, namespace: deployment.judged_gone(lab.kube, name, namespace, seconds))
judged(then, parsers.parse('a file of /etc/sysctl.d sets "{key}" to "{value}" at boot'),
       lambda lab, key, value: kube_host.judged_sysctl_at_boot(lab.target, key, value))


# --- the release and kubeadm's add-ons (labconform.kube.cluster) ---------------------------------------


judged(then, "the API server and every node's kubelet run the lab's Kubernetes release",
       lambda lab: cluster.judge_release(cluster.release(lab.kube), lab.params.kubernetes_version))
judged(then, "kube-system's CoreDNS Deployment has every replica available",
       lambda lab: cluster.judge_coredns(cluster.coredns(lab.kube)))


# --- a new pod of a Deployment, asked afresh (labconform.kube.fresh_pod) ------------------------------------


@pytest.fixture
def run_pods(lab):
    """The pods a claim made from a Deployment's template, by name; deleted when the claim ends, whatever its
    verdict (and by Kubernetes after fresh_pod.DEADLINE_S, should the run die first)."""
    made: dict[str, dict] = {}
    yield made
    for name in made:
        fresh_pod.remove(lab.kube, name)


NEW_POD = parsers.parse('a new pod from the template of deployment "{name}" has started under this run\'s name')
NEW_PODS = preparation.declare("new_pods_ahead", NEW_POD, together_with=CONTAINERS)


@pytest.fixture(scope="session")
def new_pods_ahead(lab, ahead_steps) -> dict[str, tuple | Exception]:
    """The pods the selected claims make from a Deployment's template, made when the run's containers are started
    (their Tomcats boot in the same wave, not each in its claim's turn); each claim waits for its own pod and
    removes it. A pod that could not be made is left to its claim's step, which tries again and says why."""
    made = {a["name"]: preparation.outcome(lambda n=a["name"]: fresh_pod.create(lab.kube, n, lab.run_name))
            for a in ahead_steps(NEW_PODS)}
    yield made
    for pod in made.values():  # those whose claim did not run to its end
        if isinstance(pod, tuple):
            fresh_pod.remove(lab.kube, pod[0])


@given(NEW_POD)
def _(lab, evidence, run_pods, new_pods_ahead, name):
    pod = run_pods.setdefault(fresh_pod.pod_name(lab.run_name, name), {})  # named first: removed even if it fails
    made = new_pods_ahead.pop(name, None)
    pod.update(fresh_pod.start(lab.kube, name, lab.run_name, lab.params.container_start_timeout_s,
                               made if isinstance(made, tuple) else None))
    evidence.note("the run's new pod", pod, "POST a pod made from the Deployment's template; GET its log until "
                  "Tomcat's \"Server startup\" line (no request sent)")


@when(parsers.parse("GET / is sent to the new pod on port {port:d} {count:d} times"))
def _(lab, run_pods, answers, port, count):
    url = f"http://{list(run_pods.values())[-1]['address']}:{port}/"
    answers["the new pod"] = lab.http_get_many(url, count)
