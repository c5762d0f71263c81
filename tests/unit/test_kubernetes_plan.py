"""The Kubernetes provisioning plan: the document's Rocky path planned against recorded facts, a converged
recorded host that needs nothing, and every Kubernetes claim owned by a step (or said why not)."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest

from labconform.kube.kubelab import ADMIN_CONF
from labconform.params import load_params
from provision.kubernetes import app, cluster, host
from provision.kubernetes import steps as k8s
from provision.plan import Context, build_plan
from provision.state import RecordedState

ROCKY = Path(__file__).parents[1] / "data" / "rocky-8.4.json"
FEATURES = Path(__file__).parents[2] / "features"
# claims no provisioning step makes true, and why
NOT_PROVISIONED = {
    "k8s-prep-06": "no SELinux denials: observed, nothing to install",
    "k8s-clean-01": "the document's clean-up is the claim's own action",
    "k8s-clean-02": "the document's clean-up is the claim's own action",
    "k8s-init-06": "CoreDNS: kubeadm init runs with --skip-phases=addon/coredns (no registry serves its image); "
                   "waived in labs/*/waivers.yaml",
    "k8s-app-07": "the node's CPU and memory: provisioning rolls out one pod at a time where there is no room",
}
# firewalld needs systemd; no SELinux (k8s-prep-05, -08); waived (k8s-flannel-01, k8s-inst-06: no Kubernetes repository)
DEBIAN_NOT_APPLICABLE = {"k8s-prep-03", "k8s-prep-05", "k8s-prep-08", "k8s-flannel-01", "k8s-inst-06"}
# where systemd is not the init there is no unit to give a drop-in
NO_SYSTEMD_NOT_APPLICABLE = {"k8s-inst-04"}
PODS = {"hw-deploy-5dc46768bb-nkw5j": "10.244.0.8", "hw-deploy-5dc46768bb-zstlz": "10.244.0.9"}  # the document's
# hw-deploy as the API server stores the file (its dry run answers the same), and as it runs when done
STORED = {"kind": "Deployment", "metadata": {"name": "hw-deploy", "labels": {"app": "hw"}, "generation": 1},
          "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "hw"}},
                                               "spec": {"containers": [{"name": "hw-contain", "image": "mytc"}]}}}}
LIVE = {**STORED, "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}}


def plan_for(data: dict) -> list:
    state = RecordedState(data, "test")
    ctx = Context(None, state, load_params(None, state.facts.family), out=io.StringIO())
    return build_plan(ctx).run(check_only=True, out=io.StringIO())


def k8s_outcomes(outcomes: list) -> list:
    return [o for o in outcomes if any(c.startswith("k8s-") for c in o.step.claims)]


def kube_claim_ids() -> set[str]:
    ids: set[str] = set()
    for f in FEATURES.glob("8[0-9]_*.feature"):
        ids |= set(re.findall(r"@id:(k8s-[\w-]+)", f.read_text()))
    return ids


@pytest.fixture
def rocky() -> dict:
    return json.loads(ROCKY.read_text())


def test_rocky_plan_is_the_documents_commands_in_its_order(rocky):
    outs = k8s_outcomes(plan_for(rocky))
    assert [o.status for o in outs] == ["would-change"] * len(outs), [(o.step.name, o.detail) for o in outs]
    names = [o.step.name for o in outs]
    assert names.index("firewall: control-plane ports and the Docker subnet") < names.index("kubeadm init")
    assert names.index("kubeadm init") < names.index("master taint removed") < names.index("Flannel")
    assert names[-3:] == ["the Deployment manifest", "hw-deploy", "service hw (NodePort)"]
    commands = "\n".join(c for o in outs for c in o.step.commands)
    for line in (
        "firewall-cmd --zone=public --permanent --add-port={6443,2379,2380,10250,10251,10252}/tcp",
        "firewall-cmd --zone=public --permanent --add-rich-rule 'rule family=ipv4 source address=172.17.0.0/16 accept'",
        "swapoff -a",
        "dnf -y install kubeadm kubelet kubectl --disableexcludes=kubernetes",
        "chcon -Rt svirt_sandbox_file_t /etc/kubernetes/pki",
        "systemctl enable kubelet",
        "kubeadm init --pod-network-cidr=10.244.0.0/16",
        'echo "export KUBECONFIG=/etc/kubernetes/admin.conf" >> $HOME/.bash_profile',
        "kubectl taint nodes --all node-role.kubernetes.io/master-",
        f"kubectl apply -f {app.FLANNEL_URL}",
        "kubectl apply -f /app/cluster.yaml",
        "kubectl expose deployment hw-deploy --type=NodePort --name=hw",
    ):
        assert line in commands


def test_rocky_plan_reads_what_the_recorded_host_shows(rocky):
    by_name = by_step(rocky)
    assert "swap in use" in by_name["swap off"].detail and "rl-swap" in by_name["swap off"].detail
    assert "10251" in by_name["firewall: control-plane ports and the Docker subnet"].detail
    assert by_name["kubeadm, kubelet and kubectl"].detail == "missing: kubeadm kubelet kubectl"


def recorded_kubectl(data: dict) -> str:
    """The kubectl command the plan runs on the recorded Rocky host."""
    return cluster.Cluster(Context(None, RecordedState(data), load_params(None, "rhel"))).kubectl


def kubectl_answer(data: dict, get: str) -> dict:
    """The recorded answer (rc, stdout) to `kubectl get <get> -o json`, for a test to change."""
    return data["commands"][f"{recorded_kubectl(data)} get {get} -o json --request-timeout=10s"]


def by_step(data: dict) -> dict:
    """The Kubernetes outcomes of the plan for `data`, by step name."""
    return {o.step.name: o for o in k8s_outcomes(plan_for(data))}


def converged(rocky: dict) -> dict:
    """The recorded Rocky host after the document's Kubernetes steps."""
    data = copy.deepcopy(rocky)
    kc = recorded_kubectl(data)
    ports = "".join(f'  <port protocol="tcp" port="{p}"/>\n' for p in host.FIREWALL_PORTS)
    data["files"].update({
        "/etc/firewalld/zones/public.xml": f'<zone>\n{ports}  <rule family="ipv4">\n'
        f'    <source address="{host.DOCKER_SUBNET}"/>\n    <accept/>\n  </rule>\n</zone>\n',
        host.SYSCTL_CONF: "".join(f"{key} = {v}\n" for key, v in host.SYSCTLS.items()),
        "/proc/swaps": "Filename\tType\tSize\tUsed\tPriority\n",
        "/etc/fstab": data["files"]["/etc/fstab"].replace("/dev/mapper/rl-swap", "#/dev/mapper/rl-swap"),
        "/etc/yum.repos.d/kubernetes.repo": k8s.KUBERNETES_REPO_TEXT,
        ADMIN_CONF: "apiVersion: v1\nkind: Config\n",
        "/root/.bash_profile": data["files"]["/root/.bash_profile"] + f"export KUBECONFIG={ADMIN_CONF}\n",
        cluster.MANIFEST: app.CLUSTER_YAML,
    })
    data["packages"].update({p: "1.22.1-0" for p in ("kubeadm", "kubelet", "kubectl")})
    data["selinux"] = {"now": "Enforcing", "at boot": "enforcing", "container policy": "container-selinux 2.158.0"}
    data["services"]["kubelet"] = {"enabled": True, "active": True}
    node = {"metadata": {"name": "r84.example.com"}, "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    ok = lambda out: {"rc": 0, "stdout": out if isinstance(out, str) else json.dumps(out)}  # noqa: E731
    installed_zone = {c: data["commands"][c]["stdout"] for c in
                      ("firewall-cmd --permanent --zone=public --list-all", "firewall-cmd --zone=public --list-all")}
    tcp = " ".join(f"{p}/tcp" for p in host.FIREWALL_PORTS)
    data["commands"].update({
        "stat -c '%n %C' /var/lib/etcd /etc/kubernetes/pki /etc/cni/net.d": ok(
            "".join(f"{d} system_u:object_r:container_file_t:s0\n" for d in k8s.SELINUX_DIRS)),
        "firewall-cmd --get-zone-of-interface=docker0": ok("docker\n"),
        **{cmd: ok(zone.replace("  ports: \n", f"  ports: {tcp}\n").replace(
            "  rich rules: \n",
            f'  rich rules: \n\trule family="ipv4" source address="{host.DOCKER_SUBNET}" accept\n'))
           for cmd, zone in installed_zone.items()},
        f"{kc} get --raw=/healthz --request-timeout=5s": ok("ok"),
        f"{kc} get nodes -o json --request-timeout=10s": ok({"items": [node]}),
        f"{kc} get daemonset -n kube-flannel kube-flannel-ds -o json --request-timeout=10s": ok(
            {"status": {"numberReady": 1, "desiredNumberScheduled": 1}}),
        f"{kc} replace --dry-run=server -f {cluster.MANIFEST} -o json --request-timeout=10s": ok(STORED),
        f"{kc} get deployment hw-deploy -o json --request-timeout=10s": ok(LIVE),
        f"{kc} get service hw -o json --request-timeout=10s": ok(
            {"spec": {"type": "NodePort", "selector": {"app": "hw"}, "ports": [{"port": 8080, "nodePort": 31380}]}}),
        **{f"curl -s -m 5 http://127.0.0.1:31380/?n={n}": ok(f"Hello, I am {name}\n")
           for n, name in enumerate(PODS, 1)},
        f"{kc} get pods -l app=hw -o json --request-timeout=10s": ok({"items": [
            {"metadata": {"name": name}, "spec": STORED["spec"]["template"]["spec"], "status": {"podIP": ip}}
            for name, ip in PODS.items()]}),
        **{f"curl -s -m 5 http://{ip}:8080/": ok(f"Hello, I am {name}\n") for name, ip in PODS.items()},
    })
    return data


def test_a_converged_rocky_host_needs_no_kubernetes_step(rocky):
    outs = k8s_outcomes(plan_for(converged(rocky)))
    assert outs and all(o.status == "unchanged" for o in outs), [(o.step.name, o.detail) for o in outs if
                                                                  o.status != "unchanged"]


def hw_deploy_planned(rocky: dict, live: dict):
    """The plan's hw-deploy outcome on the converged host where the live Deployment is `live`."""
    data = converged(rocky)
    kubectl_answer(data, "deployment hw-deploy")["stdout"] = json.dumps(live)
    return by_step(data)["hw-deploy"]


def test_drift_in_the_cluster_is_seen_by_the_plan(rocky):
    live = copy.deepcopy(LIVE)
    live["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "HOSTNAME", "value": "not-mine"}]
    outcome = hw_deploy_planned(rocky, live)
    assert outcome.status == "would-change"
    assert outcome.detail.startswith(
        "hw-deploy differs from /app/cluster.yaml: .spec.template.spec.containers[0].env: file absent, cluster")


def test_a_rollout_that_never_finished_is_not_done_though_the_spec_matches_the_file(rocky):
    live = copy.deepcopy(LIVE)
    live["status"].update(replicas=3, updatedReplicas=1)
    detail = hw_deploy_planned(rocky, live).detail
    assert detail == ("hw-deploy: rollout under way: 1 of 2 pods run the current template; "
                      "1 pod(s) of an older template still run")


def test_a_pod_whose_image_was_set_by_hand_is_not_done(rocky):
    data = converged(rocky)
    answer = kubectl_answer(data, "pods -l app=hw")
    pods = json.loads(answer["stdout"])
    pods["items"][1]["spec"] = {"containers": [{"name": "hw-contain", "image": "tomcat"}]}
    answer["stdout"] = json.dumps(pods)
    detail = by_step(data)["hw-deploy"].detail
    assert detail == "hw-deploy: pods not as its template: hw-deploy-5dc46768bb-zstlz (hw-contain.image)"


def test_a_service_that_reaches_only_one_pod_is_not_done(rocky):
    data = converged(rocky)
    for n in range(1, 21):
        data["commands"][f"curl -s -m 5 http://127.0.0.1:31380/?n={n}"] = {
            "rc": 0, "stdout": "Hello, I am hw-deploy-5dc46768bb-nkw5j\n"}
    detail = by_step(data)["service hw (NodePort)"].detail
    assert detail == ("NodePort 31380: 20 requests reached ['hw-deploy-5dc46768bb-nkw5j'] of "
                      "['hw-deploy-5dc46768bb-nkw5j', 'hw-deploy-5dc46768bb-zstlz']")


def test_every_kubernetes_claim_is_made_true_by_a_step_or_said_why_not(rocky):
    ids = kube_claim_ids()
    rhel = {c for o in k8s_outcomes(plan_for(rocky)) for c in o.step.claims}
    debian_data = copy.deepcopy(rocky)
    debian_data["facts"].update(os_id="debian", os_like=[], version_id="12", init="process_api")
    debian = {c for o in k8s_outcomes(plan_for(debian_data)) for c in o.step.claims}
    assert not (rhel | debian) - ids, "steps name claims that do not exist"
    assert ids - rhel == set(NOT_PROVISIONED), ids - rhel
    assert ids - debian == set(NOT_PROVISIONED) | DEBIAN_NOT_APPLICABLE | NO_SYSTEMD_NOT_APPLICABLE, ids - debian
    # a Debian lab node, where systemd is the init: kubelet's unit and drop-in are provisioned too, and firewalld
    debian_data["facts"]["init"] = "systemd"
    node = {c for o in k8s_outcomes(plan_for(debian_data)) for c in o.step.claims}
    assert ids - node == set(NOT_PROVISIONED) | DEBIAN_NOT_APPLICABLE - {"k8s-prep-03"}, ids - node


def test_the_manifest_is_the_documents_deployment():
    doc = (Path(__file__).parents[2] / "features" / "86_deployment.feature").read_text()
    block = doc.split('"""')[1]
    import yaml

    assert yaml.safe_load(app.CLUSTER_YAML) == yaml.safe_load(block.replace("\n      ", "\n"))


def test_a_pod_that_does_not_answer_is_not_done_though_the_deployment_says_available(rocky):
    data = converged(rocky)
    data["commands"]["curl -s -m 5 http://10.244.0.9:8080/"] = {"rc": 7, "stdout": ""}
    by_name = by_step(data)
    assert by_name["hw-deploy"].status == "would-change"
    assert "hw-deploy-5dc46768bb-zstlz (curl 7)" in by_name["hw-deploy"].detail


def test_a_pod_with_an_address_that_is_not_one_reaches_no_command(rocky):
    data = converged(rocky)
    kubectl_answer(data, "pods -l app=hw")["stdout"] = json.dumps({"items": [
        {"metadata": {"name": "hw-deploy-x"}, "spec": STORED["spec"]["template"]["spec"],
         "status": {"podIP": "10.0.0.1; touch /tmp/owned"}}]})
    detail = by_step(data)["hw-deploy"].detail
    assert "hw-deploy-x (no address)" in detail and "1 of 2 pods" in detail
