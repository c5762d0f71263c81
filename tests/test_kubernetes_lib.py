"""labconform.kube and nodeport without a cluster: the split test, parsing a sample, drift, bad kubeconfigs."""

from __future__ import annotations

import math
import time

import pytest

from labconform import kube, nodeport
from labconform.observation import Judged
from labconform.target import Result, Target

pytestmark = pytest.mark.unit


def test_binomial_two_sided_is_symmetric_and_exact():
    assert nodeport.binomial_two_sided_p(100, 200) == pytest.approx(1.0)
    # for p = 1/2 the two-sided p-value is twice the lower tail
    tail = sum(math.comb(20, i) for i in range(0, 6)) / 2**20
    assert nodeport.binomial_two_sided_p(5, 20) == pytest.approx(2 * tail)
    assert nodeport.binomial_two_sided_p(15, 20) == pytest.approx(2 * tail)
    assert nodeport.binomial_two_sided_p(0, 200) < 1e-50


def split(counts: dict[str, int], before=("a", "b"), after=("a", "b")) -> Judged:
    s = nodeport.Sample("http://x/", sum(counts.values()), answers=[n for n, c in counts.items() for _ in range(c)])
    return nodeport.judge_split({"sample": s, "pods_before": list(before), "pods_after": list(after)}, 2, 0.001)


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


def test_subset_drift_ignores_server_defaults_and_reports_changed_fields():
    want = {"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "mytc"}]}}}}
    have = {"spec": {"replicas": 2, "strategy": {}, "template": {"spec": {"containers": [
        {"name": "c", "image": "mytc", "terminationMessagePath": "/dev/termination-log"}]}}}}
    assert kube.subset_drift(want, have) == []
    have["spec"]["replicas"] = 0
    assert kube.subset_drift(want, have) == [".spec.replicas: file 2, cluster 0"]


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
    for _ in range(3):  # every claim gets the same line; after the first, at once
        t0 = time.monotonic()
        with pytest.raises(kube.KubeUnavailable, match=says) as exc:
            k.nodes()
        messages.append(str(exc.value))
        assert time.monotonic() - t0 < (5 if len(messages) == 1 else 0.5)
    assert len(set(messages)) == 1 and "\n" not in messages[0]
