"""Judging a live TLS handshake with the lab's declared Let's Encrypt site, from the host (openssl) and from
the JVM in the mytc image: verified, failed, or not applicable when the site cannot be reached now. The
handshakes themselves are labconform.trust.clients's."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from labconform.judged import Judged
from labconform.trust import clients as trust


def from_host(probe: trust.TrustProbe, site: str) -> Judged:
    res = probe.handshake(site)
    out = res.stdout + res.stderr
    host, port = trust.site_address(site)
    judged = Judged(res.ok and "Verification: OK" in out, f"TLS handshake with {host}:{port}", "verified",
                    out.strip()[-600:], res.command)
    if not res.ok and any(s in out for s in trust.NO_ROUTE):
        judged.not_applicable = f"{site} cannot be reached from the lab now: {out.strip()[-200:]}"
        judged.details = res.evidence()
    return judged


def from_jvm(job: Future | None, site: str) -> Judged:
    if job is None:
        return Judged(False, f"JVM TLS handshake with {site}", "verified", "", "",
                      not_applicable="no mytc image on this lab to run the JVM in")
    res = job.result(timeout=120)
    details: dict[str, Any] = {"output": res.output, "trust_store": res.facts.get("store")}
    judged = Judged(res.status == 0 and res.facts.get("handshake.ok") == "true", f"JVM TLS handshake with {site}",
                    "verified with the JVM's default trust store (and the host name checked)",
                    res.facts.get("handshake.error") or res.output[-600:],
                    f"VerifyChain.java handshake (SSLSocket) in a container of the mytc image: {res.command}",
                    details=details)
    if reason := res.handshake_not_applicable(site):
        judged.not_applicable, judged.details = reason, {"how": res.command, "output": res.output}
    return judged
