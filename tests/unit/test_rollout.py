"""A Deployment's rollout from the API server's JSON: under way or finished, and room for its surge pods."""

from __future__ import annotations

import pytest

from labconform.kube import rollout


def hw(replicas: int = 2, strategy: dict | None = None) -> dict:
    spec = {"replicas": replicas, "template": {"spec": {"containers": [
        {"name": "hw-contain", "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}}}
    return {"metadata": {"generation": 2}, "spec": {**spec, **({"strategy": strategy} if strategy else {})},
            "status": {"observedGeneration": 2, "replicas": replicas, "updatedReplicas": replicas,
                       "availableReplicas": replicas}}


def pod(node: str, cpu: str, memory: str = "0", phase: str = "Running", init: str | None = None) -> dict:
    spec = {"nodeName": node, "containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    if init:
        spec["initContainers"] = [{"resources": {"requests": {"cpu": init}}}]
    return {"spec": spec, "status": {"phase": phase}}


NODE = {"metadata": {"name": "lab"}, "status": {"allocatable": {"cpu": "2", "memory": "8Gi"}}}
# the control plane on 2 cores: apiserver 250m, controller-manager 200m, scheduler 100m, etcd 100m
CONTROL_PLANE = [pod("lab", "250m"), pod("lab", "200m"), pod("lab", "100m"), pod("lab", "100m", "100Mi")]


def test_a_finished_rollout_has_nothing_under_way():
    assert rollout.in_progress(hw()) == []
    assert rollout.judge_finished("hw-deploy", hw()).ok


def test_a_stuck_rollout_says_what_is_unfinished():
    d = hw()
    d["status"].update(replicas=3, updatedReplicas=1)
    assert rollout.in_progress(d) == ["1 of 2 pods run the current template", "1 pod(s) of an older template still run"]
    d["metadata"]["generation"] = 3
    assert rollout.in_progress(d)[0] == "generation 3 not yet seen by the controller"
    absent = rollout.judge_finished("hw-deploy", None)
    assert not absent.ok and absent.found == ["no deployment hw-deploy"]


def test_a_limit_stands_in_for_a_request_and_an_init_container_may_need_more():
    assert rollout.pod_request(hw()["spec"]["template"]["spec"])["cpu"] == rollout.parse_quantity("500m")
    assert rollout.pod_request(pod("lab", "100m", init="300m")["spec"])["cpu"] == rollout.parse_quantity("300m")


@pytest.mark.parametrize("strategy, surge", [
    (None, 1),  # 25% of 2, rounded up
    ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}, 0),
    ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%"}}, 1),
    ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}, 2),
    ({"type": "Recreate"}, 0),
])
def test_surge_pods_follow_the_strategy(strategy, surge):
    assert rollout.surge_pods(hw(strategy=strategy)) == surge


def test_two_cores_with_the_control_plane_and_two_pods_leave_no_room_for_a_third():
    pods = CONTROL_PLANE + [pod("lab", "500m"), pod("lab", "500m"), pod("lab", "100m", "70Mi")]  # + CoreDNS
    j = rollout.judge_room("hw-deploy", rollout.room(hw(), [NODE], pods))
    assert not j.ok
    assert j.found["node lab"]["free"] == {"cpu": "250m", "memory": "8022Mi"}
    assert j.found["each needs"] == {"cpu": "500m", "memory": "256Mi"} and j.found["fit"] == 0


def test_pods_that_ended_or_sit_on_another_node_hold_nothing_here():
    pods = CONTROL_PLANE + [pod("lab", "500m"), pod("lab", "500m", phase="Succeeded"), pod("other", "1")]
    j = rollout.judge_room("hw-deploy", rollout.room(hw(), [NODE], pods))
    assert j.ok and j.found["fit"] == 1


def test_no_node_is_no_room():
    assert not rollout.judge_room("hw-deploy", rollout.room(hw(), [], [])).ok


def test_a_pod_as_its_template_says_is_not_off_it_though_its_requests_were_defaulted():
    d = hw()
    made = {"metadata": {"name": "hw-deploy-a"}, "spec": {"containers": [
        {"name": "hw-contain", "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                                             "requests": {"cpu": "500m", "memory": "256Mi"}},
         "volumeMounts": [{"name": "token"}]}]}}
    assert rollout.pods_off_template(d, [made]) == {}
    by_hand = {"metadata": {"name": "hw-deploy-b"}, "spec": {"containers": [
        {**made["spec"]["containers"][0], "image": "other"}]}}
    gone = {**by_hand, "metadata": {"name": "hw-deploy-c", "deletionTimestamp": "now"}}
    assert rollout.pods_off_template(d, [made, by_hand, gone]) == {"hw-deploy-b": "hw-contain.image"}
