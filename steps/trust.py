"""Steps about root trust: ISRG Root X1 by fingerprint, and a Let's Encrypt chain per client."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from pytest_bdd import given, parsers, then

from labconform.errors import ClaimFailed
from labconform.run import preparation
from labconform.trust import clients as trust
from labconform.trust import handshakes, jvm_trust, roots
from steps import judged, precondition

HOST_STORE = "the host's trust store holds ISRG Root X1, identified by its SHA-256 fingerprint"
CLIENT_ROOTS = parsers.parse("the roots that {client} uses include ISRG Root X1")
CHAIN = parsers.parse("Let's Encrypt's intermediate verifies against the roots of {client} through ISRG Root X1")
FROM_HOST = "a TLS handshake with that site verifies from the host"
FROM_JVM = "a TLS handshake with that site verifies from the JVM in the mytc image"
# the JVM's containers start with the first trust claim, and run while the other clients are checked
preparation.declare("jvm_jobs", HOST_STORE, CLIENT_ROOTS, CHAIN, FROM_HOST, FROM_JVM)


@pytest.fixture(scope="session")
def trust_probe(lab):
    """One work folder on the target for the run's trust checks, in the run's scratch folder (removed at
    the end, and by the lab host's reaper if the run dies)."""
    workdir = f"{lab.scratch}/trust"
    lab.target.run("mkdir -p %s", workdir)
    try:
        yield trust.TrustProbe(lab.target, workdir, lab.params.trust_store_override)
    finally:
        lab.target.run("rm -rf %s", workdir)


@pytest.fixture(scope="session")
def jvm_jobs(lab, trust_probe) -> Iterator[dict[str, Future]]:
    """The JVM's own checks in containers of the mytc image, started in the background when the first
    trust claim runs (labconform.run.preparation),
    so that the containers and JVMs start while the other clients are checked:
    "check" (R11 against its trust store), and "handshake" with tls_site where the lab declares one."""
    try:
        if lab.docker.image(lab.params.mytc_image) is None:
            yield {}
            return
    except ClaimFailed as exc:  # Docker not answering: the JVM's claims fail with it, not the others
        lost: Future = Future()
        lost.set_exception(exc)
        yield {"check": lost, "handshake": lost}
        return
    override = lab.params.jvm_trust_store_override
    store = lab.target.read_bytes(override) if override else None
    if override and store is None:
        raise FileNotFoundError(f"lab parameter jvm_trust_store_override: no file {override} on the target")
    image = lab.params.mytc_image
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {"check": pool.submit(jvm_trust.jvm_check, lab.docker, image, store=store, at=trust_probe.at)}
        if lab.params.tls_site:
            jobs["handshake"] = pool.submit(jvm_trust.jvm_handshake, lab.docker, image, lab.params.tls_site,
                                            store=store)
        yield jobs


@pytest.fixture(scope="session")
def client_anchors(lab, trust_probe, jvm_jobs: dict[str, Future]):
    """Each client's roots, read once per run (the Outline's two steps share them)."""
    cache: dict[str, trust.Anchors] = {}

    def read(client: str) -> trust.Anchors:
        if client not in cache:
            job = jvm_jobs.get("check")
            jvm = (lambda: job.result(timeout=120)) if job is not None else None
            cache[client] = trust_probe.anchors(client, lab.target.facts.family, jvm)
        return cache[client]

    return read


judged(then, HOST_STORE, lambda lab, trust_probe: roots.judged_store(trust_probe.host_store(lab.target.facts.family)))
judged(then, CLIENT_ROOTS, lambda client_anchors, client: roots.judged_client(client_anchors(client), client))
judged(then, CHAIN,
       lambda trust_probe, client_anchors, client:
       roots.judged_chain(trust_probe.verify_with(client_anchors(client)), client))
precondition(given, "the lab declares a Let's Encrypt site it can reach",
             lambda lab: roots.site_declared(lab.params.tls_site))
judged(then, FROM_HOST, lambda lab, trust_probe: handshakes.from_host(trust_probe, lab.params.tls_site))
judged(then, FROM_JVM, lambda lab, jvm_jobs: handshakes.from_jvm(jvm_jobs.get("handshake"), lab.params.tls_site))
