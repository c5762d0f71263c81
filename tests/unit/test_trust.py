"""Root trust: the shipped LE intermediate is the real one, and a trust store without ISRG Root X1
really makes the claims fail (a copy of this host's store, used by the real clients)."""

from __future__ import annotations

from datetime import UTC, datetime

from labconform.transport.target import Target
from labconform.trust import certs
from tests.support.trust import (
    AFTER_EXPIRY,
    target,  # noqa: F401 - the fixture
)


def test_the_shipped_intermediate_is_lets_encrypt_r11() -> None:
    pem = certs.LE_INTERMEDIATE.read_text()
    assert certs.fingerprint(pem) == certs.LE_INTERMEDIATE_SHA256
    assert len(certs.pem_certificates(pem)) == 1


# --- expiry: R11 is valid until 2027-03-12; after that every check is made inside its validity ----


def test_the_intermediates_validity_is_what_the_code_assumes(target: Target) -> None:
    res = target.run("openssl x509 -noout -dates -in %s", str(certs.LE_INTERMEDIATE))
    assert "notBefore=Mar 13 00:00:00 2024 GMT" in res.stdout
    assert "notAfter=Mar 12 23:59:59 2027 GMT" in res.stdout
    assert certs.verification_time(datetime(2026, 11, 26, tzinfo=UTC)) is None
    at = certs.verification_time(AFTER_EXPIRY)
    assert at is not None and certs.LE_INTERMEDIATE_NOT_BEFORE < at < certs.LE_INTERMEDIATE_NOT_AFTER
    assert "expired" in certs.describe_time(at, AFTER_EXPIRY)


# --- the JVM in the mytc image, for real ---------------------------------------------------------


# --- a live handshake without the Internet: a TLS server on this machine's docker0 address ------


