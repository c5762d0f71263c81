"""Judging root trust: ISRG Root X1 in the host's store and among a client's roots (identified by its SHA-256
fingerprint), and Let's Encrypt's intermediate verified through it. The reads are labconform.trust.clients's."""

from __future__ import annotations

from labconform.judged import Judged
from labconform.trust import certs
from labconform.trust import clients as trust


def judged_store(a: trust.Anchors) -> Judged:
    """ISRG Root X1 is in the host's trust store."""
    return Judged(a.has_isrg_root_x1, f"ISRG Root X1 in {a.source}", certs.ISRG_ROOT_X1_SHA256,
                  f"{'present' if a.has_isrg_root_x1 else 'absent'} among {len(a.pems)} certificates", a.how,
                  details=dict(a.details))


def judged_client(a: trust.Anchors, client: str) -> Judged:
    """ISRG Root X1 is among the roots a client uses; not applicable where the client is not on the lab."""
    if a.unavailable:
        return Judged(False, f"ISRG Root X1 among the roots of {client}", certs.ISRG_ROOT_X1_SHA256, "absent", a.how,
                      not_applicable=f"{client} is not on this lab: {a.unavailable}")
    return Judged(a.has_isrg_root_x1, f"ISRG Root X1 among the roots of {client}", certs.ISRG_ROOT_X1_SHA256,
                  f"{'present' if a.has_isrg_root_x1 else 'absent'} among {len(a.pems)} roots from {a.source}",
                  a.how, details=dict(a.details))


def judged_chain(v: trust.Verification, client: str) -> Judged:
    """Let's Encrypt's intermediate verifies against a client's roots, and it is ISRG Root X1 that makes it."""
    expected = {"verifies": True, "chain root": certs.ISRG_ROOT_X1_SHA256, "verifies against ISRG Root X1 alone": True,
                "verifies against the store without ISRG Root X1": False}
    return Judged(v.because_of_x1, f"LE R11 ({certs.LE_INTERMEDIATE_SHA256[:11]}...) with {client}", expected,
                  v.summary(), v.how, details={"output": v.output})


def site_declared(site: str) -> Judged:
    """A precondition: the lab declares a Let's Encrypt site it can reach (tls_site)."""
    return Judged(bool(site), "tls_site", "a site", site or "none", "lab parameters",
                  not_applicable="" if site else "the lab declares no Internet access (lab parameter tls_site is "
                  "empty): a live handshake cannot be tried; the offline chain checks stand for it")
