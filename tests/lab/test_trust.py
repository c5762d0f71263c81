"""Root trust: the shipped LE intermediate is the real one, and a trust store without ISRG Root X1
really makes the claims fail (a copy of this host's store, used by the real clients)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labconform.docker.containers import RUN_LABEL, DockerLab
from labconform.poll import until
from labconform.transport.target import Target
from labconform.trust import certs, jvm_trust
from labconform.trust import clients as trust
from tests.support.trust import (
    AFTER_EXPIRY,
    run_claims,
    target,  # noqa: F401 - the fixture
)

TOP = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def host_bundle(target: Target) -> str:
    text = target.read_text(trust.HOST_BUNDLE[target.facts.family])
    assert text, "the host has no trust bundle to copy"
    return text


def test_without_root_drops_exactly_isrg_root_x1(host_bundle: str) -> None:
    pems = certs.pem_certificates(host_bundle)
    kept = certs.pem_certificates(certs.without_root(host_bundle))
    assert len(kept) == len(pems) - 1
    assert certs.ISRG_ROOT_X1_SHA256 in [certs.fingerprint(p) for p in pems]
    assert certs.ISRG_ROOT_X1_SHA256 not in [certs.fingerprint(p) for p in kept]


def test_a_store_without_isrg_root_x1_fails_the_claims(tmp_path: Path, target: Target, host_bundle: str) -> None:
    """The copy is what OpenSSL, Python and Perl really use (through their environment variables):
    the store claim and every client's verification must fail, and only for that reason."""
    copy = tmp_path / "no-isrg-x1.pem"
    copy.write_text(certs.without_root(host_bundle))
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


# --- expiry: R11 is valid until 2027-03-12; after that every check is made inside its validity ----


def test_past_its_notafter_openssl_and_perl_verify_inside_its_validity_and_say_so(
        target: Target, tmp_path: Path, host_bundle: str) -> None:
    """openssl at a "now" after 2027-03-12 refuses R11 as expired; the probe given that "now"
    verifies at a time inside R11's validity (openssl -attime, Perl's X509_VERIFY_PARAM) and the
    evidence says so."""
    expired = target.run("openssl verify -attime %s -CAfile %s %s", str(int(AFTER_EXPIRY.timestamp())),
                         trust.HOST_BUNDLE[target.facts.family], str(certs.LE_INTERMEDIATE))
    assert not expired.ok and "expired" in expired.stdout + expired.stderr
    probe = trust.TrustProbe(target, str(tmp_path), now=AFTER_EXPIRY)
    for client in ("OpenSSL", "Perl IO::Socket::SSL", "Python ssl"):
        v = probe.verify_with(probe.anchors(client, target.facts.family))
        assert v.because_of_x1, (client, v.output)
        assert "expired" in v.summary()["verified at"] and "-attime" in v.how, v.how
    # and the real time stays the default while R11 is valid
    assert trust.TrustProbe(target, str(tmp_path)).at is None


# --- the JVM in the mytc image, for real ---------------------------------------------------------

@pytest.fixture(scope="module")
def docker_lab(target: Target) -> Iterator[DockerLab]:
    dl = DockerLab(target, f"lc-test-jvm-{uuid.uuid4().hex[:6]}")
    # another run's fault test may have stopped Docker for up to 2 minutes: wait, bounded, for it to answer
    until(dl.ping, timeout=300, interval=2, what=f"the Docker engine on {target.name} answering")
    if dl.image("mytc") is None:
        pytest.skip("no mytc image on this host")
    try:
        yield dl
    finally:
        assert dl.cleanup() == []  # every helper removed its container itself


@pytest.fixture(scope="module")
def jvm_stores(docker_lab: DockerLab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the mytc image's cacerts made in a container of it with keytool: as shipped (the
    control), and without ISRG Root X1 (its alias found by fingerprint, then keytool -delete)."""
    folder = tmp_path_factory.mktemp("jvm-stores")
    stores = {}
    for name, without in (("control", None), ("no-isrg-x1", certs.ISRG_ROOT_X1_SHA256)):
        data, info = jvm_trust.jvm_trust_store_copy(docker_lab, "mytc", without=without)
        assert bool(info["deleted"]) == bool(without), info
        stores[name] = folder / f"{name}.jks"
        stores[name].write_bytes(data)
    return stores


def test_the_jvm_itself_refuses_r11_without_isrg_root_x1(docker_lab: DockerLab, jvm_stores: dict[str, Path],
                                                          target: Target, tmp_path: Path) -> None:
    probe = trust.TrustProbe(target, str(tmp_path))
    good = probe.jvm_anchors(jvm_trust.jvm_check(docker_lab, "mytc", store=jvm_stores["control"].read_bytes()))
    assert good.has_isrg_root_x1 and good.verified is not None and good.verified.because_of_x1, good.verified
    assert good.verified.chain_root == certs.ISRG_ROOT_X1_SHA256
    bad = probe.jvm_anchors(jvm_trust.jvm_check(docker_lab, "mytc", store=jvm_stores["no-isrg-x1"].read_bytes()))
    assert bad.verified is not None and not bad.has_isrg_root_x1
    assert len(bad.pems) == len(good.pems) - 1
    assert not bad.verified.ok and not bad.verified.with_x1_only and not bad.verified.without_x1
    assert "NO_TRUST_ANCHOR" in bad.verified.output


def test_the_jvm_verifies_inside_r11s_validity_once_it_has_expired(docker_lab: DockerLab, target: Target,
                                                                     tmp_path: Path) -> None:
    """The JVM at a "now" after 2027-03-12 refuses R11 as expired; given the probe's time inside its
    validity it verifies, and the evidence says at what time and why."""
    expired = jvm_trust.jvm_check(docker_lab, "mytc", at=AFTER_EXPIRY)
    assert expired.facts["all.ok"] == "false" and "EXPIRED" in expired.facts["all.error"], expired.output
    probe = trust.TrustProbe(target, str(tmp_path), now=AFTER_EXPIRY)
    a = probe.jvm_anchors(jvm_trust.jvm_check(docker_lab, "mytc", at=probe.at))
    assert a.verified is not None and a.verified.because_of_x1, a.verified
    assert "expired" in a.verified.at and "PKIXParameters.setDate" in a.verified.how


def test_a_jvm_store_without_isrg_root_x1_fails_roots_02(tmp_path: Path, jvm_stores: dict[str, Path]) -> None:
    """A real run: the JVM row of roots-02 fails, naming ISRG Root X1, with the store less that root;
    the same run with the untouched copy (the control) passes."""
    bad = run_claims(tmp_path / "bad", {"jvm_trust_store_override": str(jvm_stores["no-isrg-x1"])},
                     "features/90_dragged_by_the_roots.feature", "-k", "mytc")
    claim = bad["roots-02[the JVM in the mytc image]"]
    assert claim["verdict"] == "failed" and "ISRG Root X1" in claim["reason"], claim
    good = run_claims(tmp_path / "good", {"jvm_trust_store_override": str(jvm_stores["control"])},
                      "features/90_dragged_by_the_roots.feature", "-k", "mytc")
    claim = good["roots-02[the JVM in the mytc image]"]
    assert claim["verdict"] == "passed", claim["reason"]
    assert "PKIX CertPathValidator" in json.dumps(claim["evidence"])


# --- a live handshake without the Internet: a TLS server on this machine's docker0 address ------

@pytest.fixture(scope="module")
def local_tls_site(target: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`openssl s_server` on docker0's address (reachable from the run's containers, nowhere else),
    with a certificate for that address from a CA made here; bounded (timeout) and killed after."""
    addr = target.run("ip -4 -o addr show docker0").stdout.split()
    if len(addr) < 4:
        pytest.skip("no docker0 address on this host")
    ip = addr[3].split("/")[0]
    d = tmp_path_factory.mktemp("tls-site")
    steps = [
        f"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=labconform-test-CA -keyout {d}/ca.key "
        f"-out {d}/ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign",
        f"openssl req -newkey rsa:2048 -nodes -subj /CN={ip} -keyout {d}/site.key -out {d}/site.csr",
        f"printf 'subjectAltName=IP:{ip}\nextendedKeyUsage=serverAuth\n' > {d}/ext.cnf",
        f"openssl x509 -req -in {d}/site.csr -CA {d}/ca.pem -CAkey {d}/ca.key -CAcreateserial -days 2 "
        f"-extfile {d}/ext.cnf -out {d}/site.pem",
    ]
    for cmd in steps:
        subprocess.run(cmd, shell=True, check=True, capture_output=True)
    with socket.socket() as s:  # a free port on that address
        s.bind((ip, 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["timeout", "300", "openssl", "s_server", "-accept", f"{ip}:{port}", "-www",
                               "-cert", f"{d}/site.pem", "-key", f"{d}/site.key"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex((ip, port)) == 0
        until(listening, timeout=10, interval=0.1, what=f"openssl s_server listening on {ip}:{port}")
        yield {"site": f"{ip}:{port}", "ca": (d / "ca.pem").read_text(), "dir": d}
    finally:  # the whole group: killing `timeout` alone left openssl s_server running (CI found one)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def test_the_jvm_handshake_passes_with_the_sites_ca_and_fails_without(
        tmp_path: Path, docker_lab: DockerLab, jvm_stores: dict[str, Path], host_bundle: str,
        local_tls_site: dict[str, Any]) -> None:
    """roots-03 (the host) and roots-04 (the JVM in a mytc container) against the local site: with the
    test CA in their trust stores they pass; with the stores as shipped they fail (never n/a)."""
    data, info = jvm_trust.jvm_trust_store_copy(docker_lab, "mytc", without=None, add=(local_tls_site["ca"],))
    with_ca = tmp_path / "with-ca.jks"
    with_ca.write_bytes(data)
    bundle = tmp_path / "bundle-with-ca.pem"
    bundle.write_text(host_bundle + local_tls_site["ca"])
    ok = run_claims(tmp_path / "ok", {"tls_site": local_tls_site["site"], "jvm_trust_store_override": str(with_ca),
                                      "trust_store_override": str(bundle)},
                    "features/90_dragged_by_the_roots.feature", "-k", "roots-03 or roots-04")
    assert ok["roots-04"]["verdict"] == "passed", ok["roots-04"]["reason"]
    assert ok["roots-03"]["verdict"] == "passed", ok["roots-03"]["reason"]
    assert "handshake.ok=true" in json.dumps(ok["roots-04"]["evidence"])
    bad = run_claims(tmp_path / "bad", {"tls_site": local_tls_site["site"],
                                        "jvm_trust_store_override": str(jvm_stores["control"])},
                     "features/90_dragged_by_the_roots.feature", "-k", "roots-03 or roots-04")
    assert bad["roots-04"]["verdict"] == "failed", bad["roots-04"]
    assert "PKIX" in bad["roots-04"]["reason"] or "certification path" in bad["roots-04"]["reason"]
    assert bad["roots-03"]["verdict"] == "failed", bad["roots-03"]


def test_an_unresolvable_site_is_not_applicable_never_a_pass(tmp_path: Path, docker_lab: DockerLab) -> None:
    """A 64-character label cannot be put in a DNS query, so the resolver fails on this machine and
    no query leaves it: the host and the JVM both find the site unreachable."""
    site = "a" * 64 + ".invalid"
    v = run_claims(tmp_path, {"tls_site": site}, "features/90_dragged_by_the_roots.feature",
                   "-k", "roots-03 or roots-04")
    for claim in ("roots-03", "roots-04"):
        assert v[claim]["verdict"] == "not_applicable", v[claim]
        assert "cannot be reached" in v[claim]["reason"]
    assert "UnknownHostException" in v["roots-04"]["reason"]


def test_a_jre_only_image_falls_back_to_keytool_and_openssl_and_says_so(
        tmp_path: Path, docker_lab: DockerLab, jvm_stores: dict[str, Path]) -> None:
    """An image whose java has no jdk.compiler (here mytc with the module graph limited, as a jlinked
    JRE would have it): the source launcher cannot run, so keytool exports the store and openssl on
    the host verifies; the evidence names the fallback. The store less ISRG Root X1 still fails."""
    image = f"lc-test-jre-{uuid.uuid4().hex[:6]}"
    c = docker_lab.client.containers.create("mytc", ["true"], name=f"{docker_lab.run_name}-jre",
                                            labels={RUN_LABEL: docker_lab.run_name})
    try:
        c.commit(repository=image, tag="latest",
                 changes=["ENV JDK_JAVA_OPTIONS=--limit-modules=java.base,java.logging,java.naming,jdk.crypto.ec"])
    finally:
        c.remove(force=True)
    try:
        run = run_claims(tmp_path / "good", {"mytc_image": image, "tls_site": "a" * 64 + ".invalid"},
                         "features/90_dragged_by_the_roots.feature", "-k", "mytc")
        good = run["roots-02[the JVM in the mytc image]"]
        assert good["verdict"] == "passed", good["reason"]
        assert "no jdk.compiler module" in json.dumps(good["evidence"]) and "keytool" in json.dumps(good["evidence"])
        # and the JVM's handshake cannot run there: not applicable, saying why, never a pass
        assert run["roots-04"]["verdict"] == "not_applicable", run["roots-04"]
        assert "jdk.compiler" in run["roots-04"]["reason"]
        params = {"mytc_image": image, "jvm_trust_store_override": str(jvm_stores["no-isrg-x1"])}
        bad = run_claims(tmp_path / "bad", params, "features/90_dragged_by_the_roots.feature", "-k", "mytc")
        claim = bad["roots-02[the JVM in the mytc image]"]
        assert claim["verdict"] == "failed" and "ISRG Root X1" in claim["reason"], claim
    finally:
        docker_lab.client.images.remove(image, force=True)
