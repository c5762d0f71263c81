"""labconform.kube.objects: the partial object of a doc-string, the matcher (subset maps, order-free lists,
comparisons, YAML types), the kind table and the evidence, with an API that answers from a dict."""

from __future__ import annotations

import json

import pytest

from labconform.kube import objects
from labconform.kube.objects import ObjectClaimError, differences, judge, kind_of, partial_of, ref_of

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hw-deploy", "namespace": "default",
                                                                         "labels": {"app": "hw"}},
          "spec": {"replicas": 2, "template": {"spec": {"containers": [
              {"name": "side", "image": "busybox"}, {"name": "hw-contain", "image": "mytc", "ports": [
                  {"containerPort": 8080, "protocol": "TCP"}]}]}}},
          "status": {"readyReplicas": 2, "observedGeneration": 3}}


class FakeKube:
    """KubeLab's send() over {path: object}: the object's JSON, None for a path it does not hold."""

    def __init__(self, objects_by_path: dict, then: dict | None = None, after: int = 0) -> None:
        self.objects, self.then, self.after, self.calls = objects_by_path, then, after, []

    def send(self, method: str, path: str, what: str | None = None):
        self.calls.append((method, path))
        held = self.then if self.then is not None and len(self.calls) > self.after else self.objects
        return None if path not in held else (200, json.dumps(held[path]))


def texts(want, have) -> list[str]:
    return [d.text() for d in differences(want, have)]


# --- the matcher ------------------------------------------------------------------------------------


def test_a_mapping_is_a_subset_recursively() -> None:
    assert texts({"spec": {"replicas": 2}, "metadata": {"labels": {"app": "hw"}}}, DEPLOY) == []
    assert texts({"spec": {"replicas": 1}}, DEPLOY) == ["spec.replicas: expected 1, found 2"]
    assert texts({"spec": {"paused": True}}, DEPLOY) == ["spec.paused: expected true, found absent"]


def test_a_list_holds_each_expected_element_in_a_distinct_element_in_any_order() -> None:
    containers = {"spec": {"template": {"spec": {"containers": [{"name": "hw-contain"}, {"name": "side"}]}}}}
    assert texts(containers, DEPLOY) == []
    twice = {"spec": {"template": {"spec": {"containers": [{"image": "mytc"}, {"name": "hw-contain"}]}}}}
    said = texts(twice, DEPLOY)
    assert len(said) == 1 and "once more" in said[0] and said[0].startswith("spec.template.spec.containers[]")
    assert texts([1, 2], [2, 3, 1]) == [] and texts([1, 1], [1, 2]) != []


def test_a_list_element_that_is_not_held_names_what_differs_in_the_closest_live_one() -> None:
    wrong = {"spec": {"template": {"spec": {"containers": [{"name": "hw-contain", "image": "tomcat"}]}}}}
    assert texts(wrong, DEPLOY) == ["spec.template.spec.containers[1].image: expected 'tomcat', found 'mytc'"]
    said = texts({"args": ["-v"]}, {"args": ["-q"]})
    assert said == ["args[]: expected an element '-v', found none among 1: [\"-q\"]"]


def test_scalars_compare_with_their_yaml_types() -> None:
    assert texts({"spec": {"replicas": "2"}}, DEPLOY) == ["spec.replicas: expected '2' (a string), found 2 (a number)"]
    assert texts({"a": 1}, {"a": True}) == ["a: expected 1 (a number), found true (a boolean)"]
    assert texts({"a": 2.0}, {"a": 2}) == []
    assert texts({"a": None}, {}) == [] and texts({"a": None}, {"a": 1}) == ["a: expected null, found 1"]
    assert texts({"a": {"b": 1}}, {"a": "x"}) == ["a: expected a mapping, found 'x' (a string)"]


@pytest.mark.parametrize(("expression", "value", "holds"), [
    ("(>= 2)", 2, True), ("(>= 2)", 1, False), ("(> 1)", 2, True), ("(> 1)", 1, False), ("(<= 3)", 3, True),
    ("(< 4)", 4, False), ("(!= 0)", 0, False), ("(!= 0)", 5, True), ("( >= 1.5 )", 2, True), ("(>= 2)", "2", False),
    ("(>= 1)", True, False)])
def test_a_comparison_on_a_number(expression: str, value, holds: bool) -> None:
    assert (texts({"n": expression}, {"n": value}) == []) is holds


def test_a_comparison_on_what_is_not_a_number_says_so() -> None:
    assert texts({"n": "(>= 2)"}, {"n": "2"}) == ["n: expected a number (>= 2), found '2' (a string)"]
    assert texts({"n": "(>= 2)"}, {"n": 1}) == ["n: expected a number (>= 2), found 1"]
    assert texts({"n": "(>= 2)"}, {}) == ["n: expected a number (>= 2), found absent"]


def test_a_key_that_is_not_a_name_is_quoted_in_the_path() -> None:
    said = texts({"metadata": {"labels": {"app.kubernetes.io/name": "hw"}}}, DEPLOY)
    assert said == ['metadata.labels["app.kubernetes.io/name"]: expected \'hw\', found absent']


# --- the evidence -------------------------------------------------------------------------------------


def test_the_evidence_names_the_request_and_the_first_differences_bounded() -> None:
    ref = ref_of("deployment/hw-deploy", "default")
    ok = judge(ref, {"spec": {"replicas": 2}, "status": {"readyReplicas": "(>= 1)"}}, DEPLOY)
    assert ok.ok and ok.how == "GET /apis/apps/v1/namespaces/default/deployments/hw-deploy"
    assert ok.found == {"spec": {"replicas": 2}, "status": {"readyReplicas": 2}}
    assert ok.what == "the Kubernetes object deployment/hw-deploy in namespace default"
    many = {f"k{i}": i for i in range(30)}
    j = judge(ref, many, {"x": "y" * 1000})
    assert not j.ok and j.expected == many and len(j.found) == objects.MAX_SHOWN + 1
    assert j.found[0] == "k0: expected 0, found absent" and j.found[-1] == "... and 20 more difference(s)"
    assert j.details["differences"] == 30
    long = judge(ref, {"x": "z"}, {"x": "y" * 1000})
    assert len(long.found[0]) < 2 * objects.MAX_VALUE


def test_an_object_that_does_not_exist_is_a_failure_with_the_status() -> None:
    j = objects.judged_object(FakeKube({}), "deployment/gone", "default", "spec: {replicas: 2}")
    assert not j.ok and j.found == "no such object (HTTP 404 Not Found)"


def test_a_secrets_values_never_reach_the_evidence() -> None:
    live = {"kind": "Secret", "type": "Opaque", "data": {"user": "YWRtaW4=", "password": "aHVudGVyMg=="}}
    ref = ref_of("secret/db", "default")
    j = judge(ref, {"type": "Opaque", "data": {"user": "YWRtaW4=", "password": "d3Jvbmc=", "token": "eA=="}}, live)
    shown = json.dumps([j.expected, j.found, j.details])
    assert not j.ok and not any(v in shown for v in ("YWRtaW4=", "aHVudGVyMg==", "d3Jvbmc=", "eA=="))
    assert j.details["data keys matched"] == ["user"]
    assert j.found == ["data.password: differs (the values are not shown)",
                       "data.token: expected a value, found absent"]
    ok = judge(ref, {"data": {"user": "YWRtaW4="}}, live)
    assert ok.ok and "YWRtaW4=" not in json.dumps([ok.expected, ok.found])


def test_within_a_bound_the_object_is_asked_again_until_it_holds(monkeypatch) -> None:
    monkeypatch.setattr(objects, "POLL_INTERVAL_S", 0.01)
    path = "/apis/apps/v1/namespaces/default/deployments/hw-deploy"
    kube = FakeKube({path: {"status": {"readyReplicas": 1}}}, then={path: DEPLOY}, after=2)
    j = objects.judged_object(kube, "deployment/hw-deploy", "default", "status:\n  readyReplicas: 2\n", "5")
    assert j.ok and j.details["attempts"] == 3 and j.details["within_s"] == 5 and "waited_s" in j.details
    never = objects.judged_object(FakeKube({path: DEPLOY}), "deploy/hw-deploy", "default", "spec: {replicas: 3}", 0.05)
    assert not never.ok and never.details["attempts"] >= 2 and never.found == ["spec.replicas: expected 3, found 2"]


# --- the kinds and the doc-string --------------------------------------------------------------------------


def test_the_kind_table_maps_the_common_kinds_to_their_api_paths() -> None:
    assert len(objects.KINDS) == 22
    assert ref_of("deployment/hw", "default").path == "/apis/apps/v1/namespaces/default/deployments/hw"
    assert ref_of("svc/hw", "default").path == "/api/v1/namespaces/default/services/hw"
    assert ref_of("node/vm").path == "/api/v1/nodes/vm"
    assert ref_of("Namespace/default").path == "/api/v1/namespaces/default"
    assert ref_of("clusterrolebinding/x").path == "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x"
    assert ref_of("ingresses/web", "team-a").path == "/apis/networking.k8s.io/v1/namespaces/team-a/ingresses/web"
    with pytest.raises(ObjectClaimError, match="a Kubernetes name"):  # never put into the path, quoted or not
        ref_of("ingresses/web", "a b")
    assert kind_of("cronjob").prefix == "/apis/batch/v1" and kind_of("sc").name == "storageclass"


def test_an_unknown_kind_or_a_wrong_scope_is_an_error_that_says_what_is_known() -> None:
    with pytest.raises(ObjectClaimError, match=r"x.feature:4: unknown kind 'widget'; the known kinds: clusterrole, "):
        ref_of("widget/a", "default", "x.feature:4")
    with pytest.raises(ObjectClaimError, match="lives in a namespace"):
        ref_of("deployment/hw")
    with pytest.raises(ObjectClaimError, match="cluster-scoped"):
        ref_of("node/vm", "default")
    with pytest.raises(ObjectClaimError, match="not KIND/NAME"):
        ref_of("hw-deploy", "default")


@pytest.mark.parametrize(("text", "says"), [
    ("spec:\n  replicas: 2\n   template: x\n", "not YAML: mapping values are not allowed here, at line 3 of the doc"),
    ("spec: [1, 2\n", "not YAML: "), ("- a\n- b\n", "not a YAML mapping of the object's fields (it is a list)"),
    ("just text", "(it is a string)"), ("", "(it is null)"), ("{}", "(it is an empty one)"),
    (None, "the step has no doc-string")])
def test_a_doc_string_that_is_not_a_yaml_mapping_is_an_error_naming_the_step(text, says: str) -> None:
    with pytest.raises(ObjectClaimError) as e:
        partial_of(text, "features/x.feature:12")
    assert str(e.value).startswith("features/x.feature:12: ") and says in str(e.value), str(e.value)


@pytest.mark.parametrize("text", ["pod/..", "pod/a%2Fb", "pod/A", "pod/-x"])
def test_a_name_that_is_not_a_kubernetes_name_never_reaches_the_api_path(text: str) -> None:
    with pytest.raises(objects.ObjectClaimError, match="a Kubernetes name"):
        objects.ref_of(text, "default")
    with pytest.raises(objects.ObjectClaimError, match="a Kubernetes name"):
        objects.ref_of("pod/hw", "../kube-system")
