"""Steps about root trust: ISRG Root X1 by fingerprint, and a Let's Encrypt chain per client."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from pytest_bdd import given, parsers, then

from labconform import trust


@pytest.fixture(scope="session")
def trust_probe(lab):
    """One work folder on the target for the run's trust checks (removed at the end)."""
    workdir = f"/tmp/{lab.run_name}-trust"
    lab.target.run("mkdir -p %s", workdir)
    try:
        yield trust.TrustProbe(lab.target, workdir, lab.params.trust_store_override)
    finally:
        lab.target.run("rm -rf %s", workdir)


@pytest.fixture(scope="session")
def jvm_listing(lab):
    """keytool's listing of the mytc image's cacerts, started in the background when the first trust
    claim runs: the container and the JVM start while the other clients are checked."""
    if lab.docker.image(lab.params.mytc_image) is None:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(trust.jvm_cacerts, lab.docker, lab.params.mytc_image)


@pytest.fixture(scope="session")
def client_anchors(lab, trust_probe, jvm_listing: Future | None):
    """Each client's roots, read once per run (the Outline's two steps share them)."""
    cache: dict[str, trust.Anchors] = {}

    def read(client: str) -> trust.Anchors:
        if client not in cache:
            jvm = (lambda: jvm_listing.result(timeout=120)) if jvm_listing is not None else None
            cache[client] = trust_probe.anchors(client, lab.target.facts.family, jvm)
        return cache[client]

    return read


@then("the host's trust store holds ISRG Root X1, identified by its SHA-256 fingerprint")
def _(lab, evidence, trust_probe, jvm_listing):
    a = trust_probe.host_store(lab.target.facts.family)
    evidence.check(a.has_isrg_root_x1, f"ISRG Root X1 in {a.source}", expected=trust.ISRG_ROOT_X1_SHA256,
                   found=f"{'present' if a.has_isrg_root_x1 else 'absent'} among {len(a.pems)} certificates",
                   how=a.how, **a.details)


@then(parsers.parse("the roots that {client} uses include ISRG Root X1"))
def _(evidence, client_anchors, client):
    a = client_anchors(client)
    if a.unavailable:
        evidence.not_applicable(f"{client} is not on this lab: {a.unavailable}")
    evidence.check(a.has_isrg_root_x1, f"ISRG Root X1 among the roots of {client}", expected=trust.ISRG_ROOT_X1_SHA256,
                   found=f"{'present' if a.has_isrg_root_x1 else 'absent'} among {len(a.pems)} roots from {a.source}",
                   how=a.how, **a.details)


@then(parsers.parse("Let's Encrypt's intermediate verifies against the roots of {client} through ISRG Root X1"))
def _(evidence, trust_probe, client_anchors, client):
    v = trust_probe.verify_with(client_anchors(client))
    evidence.check(v.because_of_x1, f"LE R11 ({trust.LE_INTERMEDIATE_SHA256[:11]}...) with {client}",
                   expected={"verifies": True, "chain root": trust.ISRG_ROOT_X1_SHA256,
                             "verifies against ISRG Root X1 alone": True,
                             "verifies against the store without ISRG Root X1": False},
                   found=v.summary(), how=v.how, output=v.output)


@given("the lab declares a Let's Encrypt site it can reach")
def _(lab, evidence):
    if not lab.params.tls_site:
        evidence.not_applicable("the lab declares no Internet access (lab parameter tls_site is empty): a live "
                                "handshake cannot be tried; the offline chain checks stand for it")


@then("a TLS handshake with that site verifies from the host")
def _(lab, evidence, trust_probe):
    site = lab.params.tls_site
    res = trust_probe.handshake(site)
    out = res.stdout + res.stderr
    if not res.ok and any(s in out for s in trust.NO_ROUTE):
        evidence.not_applicable(f"{site} cannot be reached from the lab now: {out.strip()[-200:]}", **res.evidence())
    evidence.check(res.ok and "Verification: OK" in out, f"TLS handshake with {site}:443", expected="verified",
                   found=out.strip()[-600:], how=res.command)
