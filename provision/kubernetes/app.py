"""The document's workload on a cluster that answers: master taint removed, Flannel (Rocky), node Ready, the
Deployment's manifest, hw-deploy with each pod answering, and the hw NodePort Service."""

from __future__ import annotations

from typing import Any

from provision.core import Step, file_step
from provision.kubernetes.cluster import DEPLOYMENT, MANIFEST, SERVICE, Cluster, node_ready, wait_until
from provision.kubernetes.deploy import deployment_step

MASTER_TAINT = "node-role.kubernetes.io/master"
FLANNEL_URL = "https://raw.githubusercontent.com/coreos/flannel/master/Documentation/kube-flannel.yml"

# the document's Deployment, byte for byte as its heredoc writes it
CLUSTER_YAML = """\
# Pods with Hello World in each
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hw-deploy
  labels:
    app: hw
spec:
  replicas: 2
  selector:
    matchLabels:
      app: hw
  template:
    metadata:
      labels:
        app: hw
    spec:
      containers:
        - name: hw-contain
          image: mytc
          imagePullPolicy: IfNotPresent
          ports:
          - containerPort: 8080
          resources:
            limits:
              memory: "256Mi"
              cpu: "500m"
"""


def cluster_steps(ctx: Any, k: Cluster) -> list[Step]:
    """From an answering API server to hw reachable: taint, node Ready, the manifest, hw-deploy, hw."""
    flannel = [flannel_step(ctx, k)] if ctx.state.facts.family == "rhel" else []
    manifest = file_step(ctx, "the Deployment manifest", ("k8s-app-01",), MANIFEST, CLUSTER_YAML,
                         f"{MANIFEST} holds the document's Deployment", (f"cat <<EOT > {MANIFEST} ... EOT",))
    return [taint_step(ctx, k), *flannel, ready_step(ctx, k), manifest, deployment_step(ctx, k),
            service_step(ctx, k)]


def taint_step(ctx: Any, k: Cluster) -> Step:
    def check() -> tuple[bool, str]:
        nodes = k.nodes()
        tainted = [n["metadata"]["name"] for n in nodes
                   if any(t.get("key") == MASTER_TAINT for t in n.get("spec", {}).get("taints") or [])]
        ok = bool(nodes) and not tainted
        return ok, "no node tainted master" if ok else f"tainted: {tainted or 'no nodes seen'}"

    cmd = f"kubectl taint nodes --all {MASTER_TAINT}-"
    return Step("master taint removed", ("k8s-init-04",), check, lambda: ctx.sh(cmd.replace("kubectl", k.kubectl, 1)),
                (cmd,))


def flannel_step(ctx: Any, k: Cluster) -> Step:
    """The document's Flannel (the RHEL family: the offline lab's bridge CNI is a declared deviation)."""

    def check() -> tuple[bool, str]:
        ds = k.get("daemonset -n kube-flannel kube-flannel-ds")
        ok = bool(ds) and ds["status"].get("numberReady", 0) == ds["status"].get("desiredNumberScheduled", -1)
        return ok, "kube-flannel-ds ready" if ok else "kube-flannel-ds absent or not ready"

    cmd = f"kubectl apply -f {FLANNEL_URL}"
    return Step("Flannel", ("k8s-flannel-01",), check, lambda: ctx.sh(cmd.replace("kubectl", k.kubectl, 1)), (cmd,))


def ready_step(ctx: Any, k: Cluster) -> Step:
    def check() -> tuple[bool, str]:
        nodes = k.nodes()
        ok = bool(nodes) and all(node_ready(n) for n in nodes)
        return ok, f"{len(nodes)} node(s) Ready" if ok else "node not Ready yet"

    return Step("node Ready", ("k8s-net-01",), check, lambda: wait_until(ctx, lambda: check()[0], 180, "node Ready"),
                ("kubectl get nodes  (repeat until Ready)",))


def service_step(ctx: Any, k: Cluster) -> Step:
    """`kubectl expose deployment hw-deploy --type=NodePort --name=hw`, done when the NodePort answers."""

    def check() -> tuple[bool, str]:
        svc = k.get(f"service {SERVICE}")
        if svc is None:
            return False, f"service {SERVICE} absent"
        spec = svc["spec"]
        if spec.get("type") != "NodePort" or spec.get("selector") != {"app": "hw"}:
            return False, f"service {SERVICE} is {spec.get('type')} selecting {spec.get('selector')}"
        return k.node_port_answers()

    expose = f"kubectl expose deployment {DEPLOYMENT} --type=NodePort --name={SERVICE}"

    def apply() -> None:
        svc = k.get(f"service {SERVICE}")
        if svc is None or svc["spec"].get("type") != "NodePort" or svc["spec"].get("selector") != {"app": "hw"}:
            if svc is not None:
                ctx.sh(f"{k.kubectl} delete service {SERVICE}")
            ctx.sh(expose.replace("kubectl", k.kubectl, 1))
        wait_until(ctx, lambda: k.node_port_answers()[0], 120, f"service {SERVICE} answering on its NodePort")

    return Step(f"service {SERVICE} (NodePort)", ("k8s-svc-01", "k8s-svc-02", "k8s-svc-03"), check, apply, (expose,))
