"""Root trust: the shipped LE intermediate is the real one, and a trust store without ISRG Root X1
really makes the claims fail (a copy of this host's store, used by the real clients)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from labconform import trust
from labconform.docker_lab import DockerLab
from labconform.target import Target

TOP = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def target() -> Target:
    return Target("local")


@pytest.fixture(scope="module")
def host_bundle(target: Target) -> str:
    text = target.read_text(trust.HOST_BUNDLE[target.facts.family])
    assert text, "the host has no trust bundle to copy"
    return text


def run_claims(tmp_path: Path, params: dict, *args: str) -> dict[str, dict]:
    """A real run of the claims with these lab parameters: verdicts by claim id."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    pfile = tmp_path / "params.yaml"
    pfile.write_text(yaml.safe_dump(params))
    name = f"lc-test-trust-{uuid.uuid4().hex[:6]}"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--lab-params", str(pfile),
         "--reports-dir", str(tmp_path / "reports"), "--run-name", name, *args],
        cwd=TOP, capture_output=True, text=True, timeout=300,
    )
    results = tmp_path / "reports" / name / "results.json"
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return {c["id"]: c for c in json.loads(results.read_text())["claims"]}


def test_the_shipped_intermediate_is_lets_encrypt_r11() -> None:
    pem = trust.LE_INTERMEDIATE.read_text()
    assert trust.fingerprint(pem) == trust.LE_INTERMEDIATE_SHA256
    assert len(trust.pem_certificates(pem)) == 1


def test_without_root_drops_exactly_isrg_root_x1(host_bundle: str) -> None:
    pems = trust.pem_certificates(host_bundle)
    kept = trust.pem_certificates(trust.without_root(host_bundle))
    assert len(kept) == len(pems) - 1
    assert trust.ISRG_ROOT_X1_SHA256 in [trust.fingerprint(p) for p in pems]
    assert trust.ISRG_ROOT_X1_SHA256 not in [trust.fingerprint(p) for p in kept]


def test_a_store_without_isrg_root_x1_fails_the_claims(tmp_path: Path, target: Target, host_bundle: str) -> None:
    """The copy is what OpenSSL, Python and Perl really use (through their environment variables):
    the store claim and every client's verification must fail, and only for that reason."""
    copy = tmp_path / "no-isrg-x1.pem"
    copy.write_text(trust.without_root(host_bundle))
    verdicts = run_claims(tmp_path, {"trust_store_override": str(copy)},
                          "features/90_dragged_by_the_roots.feature", "-k", "not mytc")
    assert verdicts["roots-01"]["verdict"] == "failed"
    for client in ("OpenSSL", "Python ssl", "Python requests", "Perl IO::Socket::SSL", "Perl LWP::Protocol::https"):
        claim = verdicts[f"roots-02[{client}]"]
        assert claim["verdict"] == "failed", (client, claim["reason"])
        assert "ISRG Root X1" in claim["reason"]


def test_the_same_run_passes_with_the_hosts_own_store(tmp_path: Path) -> None:
    """The control: nothing but the store differs between this run and the one above."""
    verdicts = run_claims(tmp_path, {}, "features/90_dragged_by_the_roots.feature", "-k", "not mytc")
    assert verdicts["roots-01"]["verdict"] == "passed"
    assert verdicts["roots-02[Perl IO::Socket::SSL]"]["verdict"] == "passed"
    assert verdicts["roots-02[OpenSSL]"]["verdict"] == "passed"


def test_the_jvm_cacerts_without_isrg_root_x1_do_not_verify(target: Target, tmp_path: Path) -> None:
    """The JVM's roots, read from the mytc image by keytool, then the same roots less ISRG Root X1."""
    run = f"lc-test-jvm-{uuid.uuid4().hex[:6]}"
    dl = DockerLab(target, run)
    if dl.image("mytc") is None:
        pytest.skip("no mytc image on this host")
    probe = trust.TrustProbe(target, str(tmp_path))
    try:
        listing = trust.jvm_cacerts(dl, "mytc")
        full = trust.Anchors("the JVM in the mytc image", trust.pem_certificates(listing), "cacerts", "keytool")
        assert full.has_isrg_root_x1
        assert probe.verify_with(full).because_of_x1
        x1, others = trust.split_anchors(full.pems)
        broken = trust.Anchors(full.client, others, "cacerts less ISRG Root X1", "keytool")
        v = probe.verify_with(broken)
        assert not broken.has_isrg_root_x1 and not v.ok and not v.because_of_x1
    finally:
        assert dl.cleanup() == []  # jvm_cacerts removed its container itself
