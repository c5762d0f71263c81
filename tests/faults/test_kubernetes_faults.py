"""Faults caused for real against the lab's cluster, then restored: a bad or unusable --kubeconfig, an API
server that does not answer (its static pod taken away), and a pod deleted while the NodePort claim runs.

Each case is a real `pytest features/...` run of the Kubernetes claims; the test reads its results.json.
Skipped where no cluster is up (run `python -m provision` first)."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from labconform.errors import WaitTimeout
from labconform.kube import conntrack
from labconform.kube.kubelab import ADMIN_CONF, KubeLab
from labconform.params import load_params
from labconform.poll import until
from labconform.results.document import load
from labconform.transport.target import Target
from provision.docker.engine import restart_supervised, stop_supervised
from provision.kubernetes.init import KUBELET_WRAPPER
from provision.plan import Context
from provision.state import LiveState
from tests.support.kubernetes_faults import (
    answering_cluster,
    assert_one_clear_error_per_api_claim,
    run_claims,
    settled_cluster,
    verdicts,
    wait_deployment_available,
)
from tests.support.midrun import start_run
from tests.support.ssh_server import sshd_server

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = Path("/etc/kubernetes/manifests")
APISERVER = MANIFESTS / "kube-apiserver.yaml"


pytestmark = pytest.mark.skipif(answering_cluster() is None, reason="no Kubernetes cluster answers on this host")


def wait_healthy(timeout: float = 180) -> None:
    until(answering_cluster, lambda k: k is not None, timeout=timeout, interval=1, what="the API server back")


def no_stale_node_port_entries(k: KubeLab) -> None:
    """Wait (bounded by the kernel's own timeout) until no connection entry sends the NodePort to a pod that is
    gone: a test that replaced a pod under load leaves some, and the next NodePort sample would wait them out
    (labconform.kube.conntrack)."""
    pods = {p.status.pod_ip for p in k.deployment_pods("hw-deploy") if p.status.pod_ip}
    settling = conntrack.await_stale_gone(k.target, k.node_address(), k.service("hw").spec.ports[0].node_port, pods)
    assert not settling.left, settling.evidence()


def free_source_port(address: str, port: int) -> str:
    """A source port below the kernel's ephemeral range (so no connection of the suite takes it meanwhile) that
    no connection entry to the NodePort holds yet: a real connection's entry lingers in TIME_WAIT for 120 s, and
    `conntrack -I` refuses a tuple that exists."""
    listed = subprocess.run(["conntrack", "-L", "-p", "tcp", "-s", address, "-d", address, "--dport", str(port)],
                            capture_output=True, text=True, timeout=30)
    taken = set(re.findall(r"sport=(\d+)", listed.stdout))
    return next(str(p) for p in range(23456, 23556) if str(p) not in taken)


@pytest.mark.usefixtures("lab_lease")
def test_an_api_server_taken_down_for_real_gives_errors_then_comes_back(tmp_path):
    aside = Path("/etc/kubernetes") / "kube-apiserver.yaml.labconform-fault"
    shutil.move(APISERVER, aside)
    try:
        # kubelet stops the static pod once its manifest is gone
        until(answering_cluster, lambda k: k is None, timeout=90, interval=1,
              what="the API server gone without its manifest")
        doc, _ = run_claims(tmp_path, timeout=60)
        assert_one_clear_error_per_api_claim(doc, "not answering")
    finally:
        shutil.move(aside, APISERVER)
        wait_healthy()


@pytest.mark.usefixtures("lab_lease")
def test_a_pod_deleted_while_the_nodeport_claim_runs_is_reported_not_waited_for(tmp_path, over_ssh):
    k = settled_cluster()
    victim = k.ready_pod_names("hw-deploy")[0]
    deleted: list[float] = []

    def delete_when_sampling() -> None:
        def sampling() -> bool:  # the claim's curl is running: its URL names the request range
            return subprocess.run(["pgrep", "-f", r"n=\[1-200\]"], capture_output=True).returncode == 0
        with contextlib.suppress(WaitTimeout):  # never sampled: nothing deleted, which the test then says
            until(sampling, timeout=60, interval=0.05, what="the NodePort claim sampling")
            subprocess.run(["/usr/local/bin/kubectl", f"--kubeconfig={ADMIN_CONF}", "delete", "pod", victim,
                            "--wait=false"], capture_output=True, timeout=30)
            deleted.append(time.monotonic())

    thread = threading.Thread(target=delete_when_sampling)
    with contextlib.ExitStack() as stack:
        lab: list[str] = []
        if over_ssh:  # the sample is taken on the lab host, through the run's SSH connection
            sshd = stack.enter_context(sshd_server())
            lab = ["--target", sshd.target(), *sshd.options()]
        thread.start()
        try:
            doc, _ = run_claims(tmp_path, "-k", "spread and evenly", *lab,
                                files=("features/87_nodeport.feature",), timeout=120)
        finally:
            thread.join()
    assert deleted, "the pod was never deleted: the claim did not sample"
    claim = next(c for c in doc["claims"] if c["id"] == "k8s-svc-02")
    assert claim["verdict"] in ("passed", "failed"), claim
    seen = {o["what"]: o for o in claim["evidence"]}
    answers = next(o for w, o in seen.items() if w.startswith("answers through"))
    assert answers["details"]["pods_before"] and "counts" in answers["details"]
    if claim["verdict"] == "failed":  # what it saw: unanswered requests, or the pods changing under it
        assert "unanswered" in claim["reason"] or "changed while sampling" in claim["reason"], claim["reason"]
    wait_deployment_available(k)
    no_stale_node_port_entries(k)  # the deleted pod's address: connections sent there while it went


def node_ready(k: KubeLab) -> bool:
    node = k.nodes()[0]
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


@pytest.mark.usefixtures("lab_lease")
def test_kubelet_stopped_mid_run_fails_its_claims_and_nothing_hangs(tmp_path, over_ssh):
    """kubelet goes away while the Docker claims run; the Kubernetes claims come after. The claims
    about kubelet fail saying what they saw; the pods, the API server and the Service keep serving
    (their containers do not need kubelet to run), and the run ends in bounded time."""
    target = Target("local")
    if target.facts.systemd_is_init:
        pytest.skip("this lab's kubelet runs under systemd: stop it with systemctl in a dedicated test")
    k = settled_cluster()
    no_stale_node_port_entries(k)  # the NodePort claim must come within the node controller's 40 s grace
    ctx = Context(target, LiveState(target), load_params(None))
    # the Kubernetes claims must come within the node controller's grace (40 s) after the stop: later, the node
    # is NotReady, its pods leave the Service's endpoints and the NodePort refuses (65's timed starts wait for a
    # quiet host and made the run too long for that)
    files = ("features/10_hello.feature", "features/60_tomcat_with_root_war.feature",
             "features/82_installing_k8s.feature", "features/84_k8s_init.feature",
             "features/86_deployment.feature", "features/87_nodeport.feature")
    reports = tmp_path / "reports"
    with contextlib.ExitStack() as stack:
        lab: list[str] = []
        if over_ssh:  # the cluster through the target's admin.conf and a tunnel in the run's connection
            sshd = stack.enter_context(sshd_server())
            lab = ["--target", sshd.target(), *sshd.options()]
        # k8s-app-08 makes a pod, which no kubelet starts: its 60 s wait would push the NodePort claims past
        # the grace (what it says with kubelet stopped is its own verdict, not this test's)
        proc, seen = start_run("lc-kubelet-stop", reports, *lab, "-m", 'not id(value="k8s-app-08")', files=files)
        try:
            stop_supervised(ctx, "kubelet")
            rest, _ = proc.communicate(timeout=150)  # the bound: the run ends within 150 s of the stop
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            restart_supervised(ctx, "kubelet", KUBELET_WRAPPER)
            until(lambda: node_ready(k), timeout=120, what="the node Ready again")
            wait_deployment_available(k)
    out = "".join(seen) + rest
    doc = load(reports / "lc-kubelet-stop")
    v = verdicts(doc)
    assert v["k8s-inst-02"][0] == "failed" and "'running': False" in v["k8s-inst-02"][1], v["k8s-inst-02"]
    assert v["k8s-inst-03"][0] == "failed" and "kubelet of node" in v["k8s-inst-03"][1], v["k8s-inst-03"]
    assert len(v["k8s-inst-03"][1].splitlines()) == 1 and "Traceback" not in v["k8s-inst-03"][1]
    # what does not need kubelet to be running still holds, and says so
    for cid in ("k8s-init-01", "k8s-init-02", "k8s-app-06", "k8s-svc-02"):
        assert v[cid][0] == "passed", (cid, v[cid])
    assert proc.returncode == 1, out[-3000:]
    assert doc["run"]["cleanup"]["removed"] and doc["run"]["cleanup"]["engine_error"] is None


@pytest.mark.usefixtures("lab_lease")
def test_a_connection_entry_to_a_gone_pod_is_waited_out_before_the_nodeport_sample():
    """A real SYN_SENT entry in the kernel that sends one source port of the NodePort to an address where no
    pod is (what a reboot leaves, kubernetes#101607): a connection from that port fails; the claim's sample
    waits until the kernel expires the entry, says so, and every request of the sample is answered."""
    k = settled_cluster()
    no_stale_node_port_entries(k)
    address, port = k.node_address(), k.service("hw").spec.ports[0].node_port
    pods = {p.status.pod_ip for p in k.deployment_pods("hw-deploy")}
    gone = next(f"10.244.0.{n}" for n in range(250, 200, -1) if f"10.244.0.{n}" not in pods)
    sport = free_source_port(address, port)
    entry = ["-p", "tcp", "-s", address, "-d", address, "--sport", sport, "--dport", str(port)]
    made = subprocess.run(["conntrack", "-I", *entry, "-r", gone, "-q", "10.244.0.1", "--reply-port-src", "8080",
                           "--reply-port-dst", sport, "--state", "SYN_SENT", "--timeout", "15"],
                          capture_output=True, text=True, timeout=30)
    said: list[str] = []
    try:
        assert made.returncode == 0, made.stderr
        blocked = subprocess.run(["curl", "-s", "-m", "5", "--local-port", sport, "-o", "/dev/null", "-w",
                                  "%{http_code}", f"http://{address}:{port}/"], capture_output=True, text=True,
                                 timeout=30)
        assert blocked.stdout != "200", "the entry did not send the connection away: the fault is not real"
        traffic = k.sample_node_port("hw", "hw-deploy", 40, say=said.append)
    finally:
        subprocess.run(["conntrack", "-D", *entry], capture_output=True, timeout=30)
    settling = traffic.settling
    assert f"{sport} -> {gone}" in settling["first stale entries"], settling
    assert settling["waited_s"] > 0 and "left after the wait" not in settling, settling
    assert said and "kubernetes#101607" in said[0], said
    assert not traffic.sample.failures and len(traffic.sample.answers) == 40, traffic.sample
