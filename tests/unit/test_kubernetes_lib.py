"""labconform.kube.kubelab and nodeport without a cluster: the split test, parsing a sample, drift, bad kubeconfigs."""

from __future__ import annotations

import math

import pytest

from labconform.host import firewall
from labconform.judged import Judged
from labconform.kube import kube_host, nodeport
from labconform.kube import kubelab as kube
from labconform.transport.target import Result, Target


def test_binomial_two_sided_is_symmetric_and_exact():
    assert nodeport.binomial_two_sided_p(100, 200) == pytest.approx(1.0)
    # for p = 1/2 the two-sided p-value is twice the lower tail
    tail = sum(math.comb(20, i) for i in range(0, 6)) / 2**20
    assert nodeport.binomial_two_sided_p(5, 20) == pytest.approx(2 * tail)
    assert nodeport.binomial_two_sided_p(15, 20) == pytest.approx(2 * tail)
    assert nodeport.binomial_two_sided_p(0, 200) < 1e-50


def split(counts: dict[str, int], before=("a", "b"), after=("a", "b")) -> Judged:
    s = nodeport.Sample("http://x/", sum(counts.values()), answers=[n for n, c in counts.items() for _ in range(c)])
    return nodeport.judge_split(nodeport.NodePortTraffic(s, list(before), list(after), {}), 2, 0.001)


def test_judge_split_passes_an_even_split_and_fails_one_sided_ones():
    even = split({"a": 104, "b": 96})
    assert even.ok and even.details == {"counts": {"a": 104, "b": 96}} and even.kinds == {"counts": "balance"}
    lopsided = split({"a": 150, "b": 50})
    assert not lopsided.ok and lopsided.found["p_value"] < 0.001
    assert "1 pod(s) answered" in split({"a": 200}).found


def test_judge_split_refuses_a_sample_taken_while_the_pods_changed():
    v = split({"a": 100, "b": 100}, after=("a", "c"))
    assert not v.ok and "changed while sampling" in v.found


class FakeTarget(Target):
    def __init__(self, stdout: str, rc: int = 0) -> None:
        super().__init__("local")
        self.out, self.rc, self.commands = stdout, rc, []

    def run(self, command, *args, timeout=60):  # noqa: ANN001
        self.commands.append((command % args, timeout))
        return Result(command, self.rc, self.out, "")


def test_sample_service_reads_each_answer_and_each_failure():
    m = nodeport._MARK
    out = (f"Hello, I am hw-deploy-1\n{m} 200 0 0.004\nHello, I am hw-deploy-2\n{m} 200 0 0.003\n"
           f"\n{m} 000 7 0.001\n")
    t = FakeTarget(out)
    s = nodeport.sample_service(t, "http://10.0.0.1:30000/", 3)
    assert s.counts() == {"hw-deploy-1": 1, "hw-deploy-2": 1}
    assert len(s.failures) == 1 and "curl exit 7" in s.failures[0]
    command, timeout = t.commands[0]
    assert "Connection: close" in command and "?n=[1-3]" in command and timeout == 3 * 3 + 10


def test_sample_service_counts_requests_that_never_completed():
    s = nodeport.sample_service(FakeTarget(f"Hello, I am p\n{nodeport._MARK} 200 0 0.1\n", rc=124), "http://x/", 5)
    assert s.answers == ["p"] and "4 request(s) never completed" in s.failures[-1]


@pytest.mark.parametrize("content, says", [
    (None, "cannot read it"),
    ("key: [unclosed\n", "not YAML"),
    ("just: a mapping\n", "not a kubeconfig"),
    ("apiVersion: v1\nclusters:\n- name: c\n  cluster: {}\n", "unusable"),
])
def test_a_bad_kubeconfig_is_one_clear_error_remembered_for_the_run(tmp_path, content, says):
    path = tmp_path / "kubeconfig"
    if content is not None:
        path.write_text(content)
    k = kube.KubeLab(Target("local"), str(path))
    messages = []
    for _ in range(3):  # every claim gets the same line: the first failure's, the kubeconfig not read again
        with pytest.raises(kube.KubeUnavailable, match=says) as exc:
            k.nodes()
        messages.append(str(exc.value))
        # read again, the file would now give another error
        path.write_text("just: a mapping\n" if says == "not YAML" else "key: [unclosed\n")
    assert len(set(messages)) == 1 and "\n" not in messages[0]


class HostTarget(Target):
    """A host of files and canned command outputs: {command prefix: (rc, stdout)}."""

    def __init__(self, files: dict[str, str], outputs: dict[str, tuple[int, str]] | None = None) -> None:
        super().__init__("local")
        self.files, self.outputs = files, outputs or {}

    def read_text(self, path):  # noqa: ANN001
        return self.files.get(path)

    def run(self, command, *args, timeout=60):  # noqa: ANN001
        line = command % args if args else command
        rc, out = next((v for k, v in self.outputs.items() if line.startswith(k)), (1, ""))
        return Result(line, rc, out, "")


def test_host_judgements_say_what_the_steps_recorded():
    t = HostTarget({"/proc/sys/net/ipv4/ip_forward": "1\n", "/proc/swaps": "Filename Type\n/dev/sda2 partition\n",
                    "/etc/fstab": "# /dev/sdb none swap sw\n/dev/sda2 none swap sw 0 0\n",
                    "/etc/sysctl.d/k8s.conf": "net.ipv4.ip_forward = 1\n", "/etc/sysctl.conf": "# nothing\n"},
                   {"for d in": (0, "/etc/sysctl.d/k8s.conf\n/usr/lib/sysctl.d/k8s.conf\n"),
                    "ss -Hltnp": (0, 'LISTEN 0 4096 *:6443 *:* users:(("kube-apiserver",pid=7,fd=3))\n')})
    j = kube_host.judged_sysctl(t, "net.ipv4.ip_forward", "1")
    assert (j.ok, j.what, j.expected, j.found) == (True, "net.ipv4.ip_forward", "1", "1")
    assert kube_host.judged_sysctl(t, "net.bridge.bridge-nf-call-iptables", "1").found.endswith("absent")
    boot = kube_host.judged_sysctl_at_boot(t, "net.ipv4.ip_forward", "1")
    assert boot.ok and boot.found == {"value": "1", "file": "/etc/sysctl.d/k8s.conf"}
    assert not kube_host.judged_sysctl_at_boot(t, "vm.swappiness", "0").ok
    swap, fstab = kube_host.judged_no_active_swap(t), kube_host.judged_no_fstab_swap(t)
    assert (swap.ok, swap.expected, swap.found) == (False, [], ["/dev/sda2"])
    assert (fstab.ok, fstab.found) == (False, ["/dev/sda2 none swap sw 0 0"])
    listener = kube_host.judged_listener(t, 6443, "kube-apiserver")
    assert listener.ok and listener.found == ["kube-apiserver"] and "6443" in listener.details["output"]


def test_selinux_and_the_tools_judged_and_selinux_absent_not_applicable():
    t = HostTarget({}, {"stat -c": (0, "system_u:object_r:container_file_t:s0\n"), "command -v": (0, "/usr/bin/x\n"),
                        "kubeadm version": (0, "v1.20.2\n"), "kubelet": (0, "Kubernetes v1.20.2\n"),
                        "kubectl": (0, "Client Version: v1.20.1\n")})
    assert kube_host.selinux_mode(t).not_applicable == "no SELinux in this kernel (/sys/fs/selinux absent)"
    typed = kube_host.judged_selinux_type(t, "/var/lib/etcd", "svirt_sandbox_file_t")
    assert typed.ok and typed.expected == "container_file_t or svirt_sandbox_file_t"
    assert kube_host.judged_selinux_denials(t).found == "no audit log"
    tools = kube_host.judged_tool_versions(t)
    assert not tools.ok and tools.found["kubectl"] == "v1.20.1" and tools.details["paths"]["kubelet"] == "/usr/bin/x"


def test_the_public_zone_judged_in_both_modes_and_firewalld_absent_not_applicable():
    zone = "public (active)\n  target: default\n  sources: 172.17.0.0/16\n  ports: 6443/tcp 10250/tcp\n"
    runtime = zone.replace(" 10250/tcp", "")
    t = HostTarget({}, {"firewall-cmd --permanent": (0, zone), "firewall-cmd --zone": (0, runtime)})
    ports = firewall.judged_ports_open(t, ["6443/tcp", "10250/tcp"])
    assert (ports.ok, ports.what, ports.found) == (False, "ports missing from the public zone", ["10250/tcp runtime"])
    assert set(ports.details["zone"]) == {"permanent", "runtime"}
    accepted = firewall.judged_source_accepted(t, "172.17.0.0/16")
    assert accepted.ok and accepted.details == {"rules": {"permanent": [], "runtime": []}}
    absent = firewall.firewalld_in_charge(t)
    assert absent.not_applicable == ("firewalld is not in charge of this host's firewall "
                                     "(command -v firewall-cmd: absent)")
