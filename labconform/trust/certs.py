"""Certificates as the trust claims name them: PEM blocks and SHA-256 fingerprints, Let's Encrypt's
intermediate R11 and ISRG Root X1, and the time at which R11 is verified."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"
# Let's Encrypt's RSA intermediate R11, issued by ISRG Root X1 (public data, valid 2024-03-13 to 2027-03-12)
LE_INTERMEDIATE = DATA / "lets-encrypt-r11.pem"
LE_INTERMEDIATE_SHA256 = ("59:1E:9C:E6:C8:63:D3:A0:79:E9:FA:BE:14:78:C7:33:"
                          "9A:26:B2:12:69:DD:E7:95:21:13:61:02:4A:E3:1A:44")
# its validity (`openssl x509 -dates`): past notAfter the chain is verified at a time inside it, said so
LE_INTERMEDIATE_NOT_BEFORE = datetime(2024, 3, 13, 0, 0, 0, tzinfo=UTC)
LE_INTERMEDIATE_NOT_AFTER = datetime(2027, 3, 12, 23, 59, 59, tzinfo=UTC)
ISRG_ROOT_X1_SHA256 = "96:BC:EC:06:26:49:76:F3:74:60:77:9A:CF:28:C5:A7:CF:E8:A3:C0:AA:E1:1A:8F:FC:EE:05:C0:BD:DF:08:C6"

PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s+(.*?)\s+-----END CERTIFICATE-----", re.S)


def pem_certificates(text: str) -> list[str]:
    """Every certificate of a PEM bundle, each as its own PEM block."""
    return [f"-----BEGIN CERTIFICATE-----\n{m.group(1).strip()}\n-----END CERTIFICATE-----\n"
            for m in PEM_RE.finditer(text or "")]


def fingerprint(pem: str) -> str:
    """SHA-256 of the certificate's DER bytes, as OpenSSL and keytool print it."""
    m = PEM_RE.search(pem)
    if m is None:
        raise ValueError("not a PEM certificate")
    der = base64.b64decode("".join(m.group(1).split()))
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def split_anchors(pems: list[str], fp: str = ISRG_ROOT_X1_SHA256) -> tuple[list[str], list[str]]:
    """(the certificates with fingerprint `fp`, all the others)."""
    with_fp = [p for p in pems if fingerprint(p) == fp]
    return with_fp, [p for p in pems if fingerprint(p) != fp]


def without_root(bundle_text: str, fp: str = ISRG_ROOT_X1_SHA256) -> str:
    """A copy of a bundle with one root left out: the trust store the negative tests build."""
    return "".join(split_anchors(pem_certificates(bundle_text), fp)[1])


def verification_time(now: datetime) -> datetime | None:
    """When to verify the LE intermediate: None (the current time) while it is valid; once past its
    notAfter, a time inside its validity, so that the chain's path to ISRG Root X1 is still what is
    checked (an expired intermediate would fail every client alike and prove nothing about the roots)."""
    if LE_INTERMEDIATE_NOT_BEFORE <= now <= LE_INTERMEDIATE_NOT_AFTER:
        return None
    return LE_INTERMEDIATE_NOT_AFTER - timedelta(days=30)


def describe_time(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "the current time"
    return (f"{at:%Y-%m-%dT%H:%M:%SZ}, inside R11's validity ({LE_INTERMEDIATE_NOT_BEFORE:%Y-%m-%d} to "
            f"{LE_INTERMEDIATE_NOT_AFTER:%Y-%m-%d}): at {now:%Y-%m-%d} the intermediate has expired, so the "
            "chain's trust path is checked at a time it was valid, not its validity now")


def site_address(site: str) -> tuple[str, int]:
    """The lab parameter tls_site: a host name, optionally with ":port" (443 by default)."""
    host, sep, port = site.rpartition(":")
    if sep and port.isdigit() and host and not host.endswith(":"):
        return host.strip("[]"), int(port)
    return site, 443
