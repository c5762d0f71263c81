"""A bad or unusable --kubeconfig (missing, not YAML, no such server): one clear error per Kubernetes
claim, in bounded time; nothing of the lab is broken (the cluster's own faults: tests/faults/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labconform.kube.kubelab import ADMIN_CONF
from tests.support.kubernetes_faults import (
    answering_cluster,
    assert_one_clear_error_per_api_claim,
    run_claims,
)

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.skipif(answering_cluster() is None, reason="no Kubernetes cluster answers on this host")


def admin_conf_with(tmp_path: Path, **cluster: str) -> Path:
    conf = yaml.safe_load(Path(ADMIN_CONF).read_text())
    conf["clusters"][0]["cluster"].update(cluster)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(conf))
    return path


@pytest.mark.parametrize("how, says", [
    ("missing", "cannot read it"),
    ("not-yaml", "not YAML"),
    ("refused-port", "not answering"),
    ("blackhole", "not answering"),
    ("bad-token", "refused the credentials"),
])
def test_a_bad_kubeconfig_gives_one_clear_error_per_claim_in_bounded_time(tmp_path, how, says):
    if how == "missing":
        path = tmp_path / "absent"
    elif how == "not-yaml":
        path = tmp_path / "kubeconfig"
        path.write_text("clusters: [unclosed\n")
    elif how == "refused-port":
        path = admin_conf_with(tmp_path, server="https://127.0.0.1:1")
    elif how == "blackhole":  # nothing answers there: the connect timeout bounds every call
        path = admin_conf_with(tmp_path, server="https://10.255.255.1:6443")
    else:
        conf = yaml.safe_load(Path(ADMIN_CONF).read_text())
        conf["users"][0]["user"] = {"token": "not-a-token"}
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(conf))
    doc, _ = run_claims(tmp_path, "--kubeconfig", str(path), timeout=60)  # bounded: a timeout, not an assert
    assert_one_clear_error_per_api_claim(doc, says)


