"""Drift as `kubectl diff` sees it: the server's dry run of the file against the live object, both ways."""

from __future__ import annotations

import copy

import pytest

from labconform.kube import drift

# a Deployment as the API server stores it: defaults filled in, server annotations, status
STORED = {
    "kind": "Deployment",
    "metadata": {"name": "hw-deploy", "labels": {"app": "hw"}, "resourceVersion": "7", "generation": 3,
                 "annotations": {"deployment.kubernetes.io/revision": "3",
                                 "kubectl.kubernetes.io/last-applied-configuration": "{...}"}},
    "spec": {"replicas": 2, "strategy": {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
             "template": {"metadata": {"labels": {"app": "hw"}, "creationTimestamp": None},
                          "spec": {"containers": [{"name": "hw-contain", "image": "mytc",
                                                   "terminationMessagePath": "/dev/termination-log"}]}}},
    "status": {"availableReplicas": 2},
}


def test_the_same_object_with_other_status_and_server_annotations_has_no_drift():
    live = copy.deepcopy(STORED)
    live["status"] = {"availableReplicas": 1}
    live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "9"
    live["metadata"]["resourceVersion"] = "99"
    assert drift.drift(STORED, live) == []


def test_a_field_the_file_never_names_is_drift():
    live = copy.deepcopy(STORED)
    live["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "HOSTNAME", "value": "someone-else"}]
    assert drift.drift(STORED, live) == [
        ".spec.template.spec.containers[0].env: file absent, cluster [{'name': 'HOSTNAME', 'value': 'someone-else'}]"]


def test_a_scaled_deployment_is_drift_and_a_missing_one_is_absent():
    live = copy.deepcopy(STORED)
    live["spec"]["replicas"] = 1
    assert drift.drift(STORED, live) == [".spec.replicas: file 2, cluster 1"]
    assert drift.drift({}, None) == ["absent from the cluster"]


def test_a_rollout_restart_is_not_drift_but_another_template_annotation_is():
    live = copy.deepcopy(STORED)
    live["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "2026-12-02"}
    assert drift.drift(STORED, live) == []
    live["spec"]["template"]["metadata"]["annotations"]["team"] = "x"
    assert drift.drift(STORED, live) == [".spec.template.metadata.annotations: file absent, cluster {'team': 'x'}"]


def test_a_service_keeps_what_the_server_allocated_when_the_file_leaves_it_out():
    live = {"kind": "Service", "spec": {"clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"],
                                        "ports": [{"port": 8080, "nodePort": 31380}]}}
    manifest = {"kind": "Service", "metadata": {"name": "hw"}, "spec": {"ports": [{"port": 8080}]}}
    body = drift.dry_run_body(manifest, live)
    assert body["spec"] == {"clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"],
                            "ports": [{"port": 8080, "nodePort": 31380}]}
    assert manifest["spec"] == {"ports": [{"port": 8080}]}, "the file's own object is left as it was"


def test_a_kind_with_no_dry_run_is_refused_by_name():
    with pytest.raises(ValueError, match="no dry run for kind 'ConfigMap'"):
        drift.dry_run_body({"kind": "ConfigMap"}, None)


def test_the_judgement_fails_on_any_drift_and_on_an_empty_file():
    assert drift.judge("/app/cluster.yaml", {"Deployment/hw-deploy": []}).ok
    assert not drift.judge("/app/cluster.yaml", {"Deployment/hw-deploy": [".spec.replicas: file 2, cluster 1"]}).ok
    empty = drift.judge("/app/cluster.yaml", {})
    assert not empty.ok and empty.found == "no object in /app/cluster.yaml"
