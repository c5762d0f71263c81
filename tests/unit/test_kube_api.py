"""labconform.kube.https_api: API objects read by attribute, quantities, and a kubeconfig made into a transport."""

from __future__ import annotations

import base64
import os
import stat
from decimal import Decimal

import pytest

from labconform.kube import kubelab as kube
from labconform.kube.https_api import ApiError, Obj, Transport, api_message, as_json, parse_quantity


def test_an_object_reads_as_the_official_client_named_its_fields() -> None:
    pod = Obj({"metadata": {"name": "hw-1", "labels": {"app": "hw"}, "deletionTimestamp": "2026-12-04T10:00:00Z"},
               "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1"}}}]},
               "status": {"podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}], "hostIP": "192.168.1.2"}})
    assert pod.metadata.name == "hw-1" and pod.status.pod_ip == "10.244.0.5" and pod.status.host_ip == "192.168.1.2"
    assert pod.status.pod_i_ps[0].ip == "10.244.0.5" and pod.metadata.deletion_timestamp == "2026-12-04T10:00:00Z"
    assert pod.metadata.labels == {"app": "hw"} and pod.spec.containers[0].resources.limits == {"cpu": "1"}
    assert pod.spec.node_name is None and pod.status.conditions is None
    assert pod.to_dict()["status"]["podIP"] == "10.244.0.5" and as_json([pod]) == [pod.to_dict()]
    with pytest.raises(AttributeError):
        pod.metadata.name = "other"


def test_a_selector_is_a_deployments_match_labels_or_a_services_labels() -> None:
    deploy = Obj({"spec": {"selector": {"matchLabels": {"b": "2", "a": "1"}}}})
    service = Obj({"spec": {"selector": {"app": "hw"}}})
    assert kube.selector_of(deploy) == "a=1,b=2" and kube.selector_of(service) == "app=hw"


@pytest.mark.parametrize("text, value", [
    ("500m", Decimal("0.5")), ("2", Decimal(2)), ("128Mi", Decimal(128 * 1024**2)), ("1Gi", Decimal(1024**3)),
    ("1.5G", Decimal(1_500_000_000)), ("100k", Decimal(100_000)), ("10n", Decimal("1E-8")), (3, Decimal(3)),
    ("1e3", Decimal(1000)), ("7Ki", Decimal(7168)),
])
def test_quantities_are_read_as_kubernetes_reads_them(text, value) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Mi", "1ki", "abc", "1Zi", "1mi"])
def test_what_is_not_a_quantity_is_a_value_error(text) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def kubeconfig(user: dict, cluster: dict | None = None) -> dict:
    cluster = cluster or {"server": "https://10.0.0.1:6443/",
                          "certificate-authority-data": base64.b64encode(b"CA PEM").decode()}
    return {"current-context": "admin@lab", "clusters": [{"name": "lab", "cluster": cluster}],
            "contexts": [{"name": "admin@lab", "context": {"cluster": "lab", "user": "admin"}}],
            "users": [{"name": "admin", "user": user}]}


def test_a_kubeconfig_gives_the_server_and_private_files_for_its_certificates() -> None:
    t = Transport(kubeconfig({"client-certificate-data": base64.b64encode(b"CERT").decode(),
                              "client-key-data": base64.b64encode(b"KEY").decode()}))
    kw = t.pool.connection_pool_kw
    assert t.server == "https://10.0.0.1:6443" and "Authorization" not in t.headers
    for field, content in (("ca_certs", b"CA PEM"), ("cert_file", b"CERT"), ("key_file", b"KEY")):
        with open(kw[field], "rb") as f:
            assert f.read() == content
        assert stat.S_IMODE(os.stat(kw[field]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(kw["key_file"])).st_mode) == 0o700


def test_a_token_is_sent_as_a_bearer_and_a_tls_server_name_is_checked() -> None:
    t = Transport(kubeconfig({"token": "abc"}, {"server": "https://127.0.0.1:40001", "tls-server-name": "kubernetes",
                                                "insecure-skip-tls-verify": False}))
    assert t.headers["Authorization"] == "Bearer abc" and t.pool.connection_pool_kw["server_hostname"] == "kubernetes"


@pytest.mark.parametrize("config, says", [
    ({"current-context": "nope", "clusters": [{"name": "lab", "cluster": {}}]}, "no context named 'nope'"),
    (kubeconfig({"exec": {"command": "aws"}}), "exec plugin"),
])
def test_an_unusable_kubeconfig_says_why(config, says) -> None:
    with pytest.raises(ValueError, match=says):
        Transport(config)


def test_an_error_status_says_the_servers_message_on_one_line() -> None:
    exc = ApiError(403, "Forbidden", b'{"kind":"Status","message":"pods is forbidden:\\n user x"}')
    assert api_message(exc, ": ") == ": pods is forbidden: user x" and str(exc) == "403 Forbidden"


class ListedLab(kube.KubeLab):
    """A KubeLab whose Deployment and pods are fixed JSON, not asked of an API server."""

    def __init__(self, pods: list[dict]) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.listed = [Obj(p) for p in pods]

    def deployment(self, name: str, namespace: str = "default") -> Obj:
        return Obj({"metadata": {"name": name}, "spec": {"selector": {"matchLabels": {"app": "hw"}}}})

    def pods(self, namespace: str, selector: str) -> list[Obj]:
        assert selector == "app=hw"
        return self.listed


def listed_pod(name: str, ready: str, deleting: bool) -> dict:
    meta = {"name": name, **({"deletionTimestamp": "2026-12-04T14:38:19Z"} if deleting else {})}
    return {"metadata": meta, "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def test_a_pod_being_deleted_counts_as_ready_while_its_ready_condition_holds_when_asked() -> None:
    lab = ListedLab([listed_pod("hw-1", "True", deleting=True), listed_pod("hw-2", "False", deleting=True),
                     listed_pod("hw-3", "True", deleting=False)])
    assert lab.ready_pod_names("hw-deploy") == ["hw-3"]  # the pods that serve the Service's next connection
    assert lab.ready_pod_names("hw-deploy", deleting=True) == ["hw-1", "hw-3"]  # scaled away, not yet stopped
