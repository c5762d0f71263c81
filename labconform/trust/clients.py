"""Root trust ("Dragged by the roots"): which roots each client of the lab trusts, and whether a
Let's Encrypt chain verifies against them because of ISRG Root X1 (identified by fingerprint)."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from labconform.transport.target import Result, Target
from labconform.trust.certs import (
    ISRG_ROOT_X1_SHA256,
    LE_INTERMEDIATE,
    LE_INTERMEDIATE_NOT_AFTER,
    describe_time,
    fingerprint,
    pem_certificates,
    site_address,
    split_anchors,
    verification_time,
)
from labconform.trust.trust_scripts import PERL_CA, PERL_VERIFY, PY_REQUESTS, PY_SSL

if TYPE_CHECKING:
    from labconform.trust.jvm_trust import JvmRun

# the bundle every client of the family reads unless told otherwise
HOST_BUNDLE = {
    "debian": "/etc/ssl/certs/ca-certificates.crt",
    "rhel": "/etc/pki/tls/certs/ca-bundle.crt",
}

# the clients of the lab, in the order the Scenario Outline lists them
CLIENTS = ("OpenSSL", "Python ssl", "Python requests", "Perl IO::Socket::SSL", "Perl LWP::Protocol::https",
           "the JVM in the mytc image")


@dataclass
class Anchors:
    """What one client trusts: its certificates (PEM), where it read them, and how that was found."""

    client: str
    pems: list[str]
    source: str
    how: str
    unavailable: str | None = None  # why this client is not on the lab (not applicable)
    details: dict[str, Any] = field(default_factory=dict)
    # the client's own verification of the LE intermediate, where the client did it itself (the JVM)
    verified: Verification | None = None

    @property
    def fingerprints(self) -> list[str]:
        return [fingerprint(p) for p in self.pems]

    @property
    def has_isrg_root_x1(self) -> bool:
        return ISRG_ROOT_X1_SHA256 in self.fingerprints


@dataclass
class Verification:
    """The LE intermediate against one client's roots, three ways (see `verify_with`)."""

    client: str
    ok: bool
    chain_root: str | None  # fingerprint of the root the chain ended at, where the client tells it
    with_x1_only: bool
    without_x1: bool
    how: str
    output: str
    at: str = "the current time"  # when the chain was verified (see `verification_time`)

    def summary(self) -> dict[str, Any]:
        return {
            "verifies": self.ok,
            "chain root": self.chain_root or "not reported by this client",
            "verifies against ISRG Root X1 alone": self.with_x1_only,
            "verifies against the store without ISRG Root X1": self.without_x1,
            "verified at": self.at,
        }

    @property
    def because_of_x1(self) -> bool:
        """It verifies, and it is ISRG Root X1 that makes it verify (not DST Root CA X3 or any other)."""
        root_ok = self.chain_root in (None, ISRG_ROOT_X1_SHA256)
        return self.ok and root_ok and self.with_x1_only and not self.without_x1


class TrustProbe:
    """Reads each client's roots on the target and verifies the LE intermediate against them.

    `override` is a bundle on the target that the clients must use instead of the host's (the
    negative tests' copy without ISRG Root X1): OpenSSL, Python and Perl take it from the
    environment variables each of them honours.
    """

    def __init__(self, target: Target, workdir: str, override: str = "", now: datetime | None = None) -> None:
        self.target = target
        self.workdir = workdir
        self.override = override
        # `now` stands for the current time (tests give a later one): past R11's notAfter every
        # verification is made at a time inside its validity, and the evidence says so
        self.now = now or datetime.now(UTC)
        self.at = verification_time(self.now)
        self._ready = False
        self._flags: str | None = None
        self._split_results: dict[str, tuple[bool, bool]] = {}

    # --- the files the checks share ------------------------------------------------------------

    def _prepare(self) -> None:
        if not self._ready:
            self.target.write_bytes(self.intermediate_path, LE_INTERMEDIATE.read_bytes())
            self.target.run("mkdir -p %s", f"{self.workdir}/empty-capath")
            self._ready = True

    @property
    def intermediate_path(self) -> str:
        return f"{self.workdir}/lets-encrypt-r11.pem"

    def env(self) -> str:
        """Environment assignments that point every client at the override bundle (empty: none)."""
        if not self.override:
            return ""
        o, d = shlex.quote(self.override), shlex.quote(f"{self.workdir}/empty-capath")
        return (f"SSL_CERT_FILE={o} SSL_CERT_DIR={d} PERL_LWP_SSL_CA_FILE={o} HTTPS_CA_FILE={o} "
                f"REQUESTS_CA_BUNDLE={o} ")

    def host_bundle_path(self, family: str) -> str:
        return self.override or HOST_BUNDLE.get(family, HOST_BUNDLE["debian"])

    # --- what each client trusts ---------------------------------------------------------------

    def host_store(self, family: str) -> Anchors:
        path = self.host_bundle_path(family)
        text = self.target.read_text(path)
        if text is None:
            return Anchors("host", [], path, f"read {path}", details={"error": f"{path} absent"})
        return Anchors("host", pem_certificates(text), path, f"read {path} on the target, SHA-256 of each DER")

    def anchors(self, client: str, family: str, jvm: Any = None) -> Anchors:
        """The roots `client` trusts. `jvm` is a callable returning keytool's -rfc listing (the mytc image)."""
        self._prepare()
        if client == "OpenSSL":
            a = self.host_store(family)
            res = self.target.run(self.env() + "openssl version -d")
            a.client, a.how = client, f"{a.how}; OpenSSL's defaults: {res.stdout.strip()}"
            return a
        if client in ("Python ssl", "Python requests"):
            return self._python(client)
        if client.startswith("Perl"):
            return self._perl(client)
        if client == "the JVM in the mytc image":
            if jvm is None:
                return Anchors(client, [], "", "", unavailable="no mytc image to run the JVM of")
            return self.jvm_anchors(jvm())
        raise ValueError(f"unknown client {client!r}; one of {CLIENTS}")

    def jvm_anchors(self, run: JvmRun, client: str = "the JVM in the mytc image") -> Anchors:
        """The JVM's roots and its own verification of R11 (`jvm_check`); with a JRE-only image, the
        trust store keytool exported, left to openssl on the lab host (the details say so)."""
        if run.fallback:
            return Anchors(client, pem_certificates(run.stdout), "the JVM's trust store, exported by keytool",
                           f"{run.command} in a container of the image", details={"fallback": run.fallback})
        f = run.facts
        how = (f"VerifyChain.java ({f.get('java.version', '?')}) in a container of the image: "
               "TrustManagerFactory's default anchors (the JVM's default trust store), then PKIX CertPathValidator "
               "(revocation off) on R11 against them, against ISRG Root X1 alone and against them without it")
        if self.at:
            how += (f"; PKIXParameters.setDate({self.at:%Y-%m-%dT%H:%M:%SZ}): R11 expired on "
                    f"{LE_INTERMEDIATE_NOT_AFTER:%Y-%m-%d}")
        v = Verification(client, f.get("all.ok") == "true", (f.get("all.anchor") or "").split(" ")[0] or None,
                         f.get("root_only.ok") == "true", f.get("without_root.ok") == "true", how, run.output,
                         self.at_description)
        return Anchors(client, pem_certificates(run.stdout), f"the JVM's default trust store {f.get('store', '?')}",
                       "javax.net.ssl.TrustManagerFactory.init((KeyStore) null).getAcceptedIssuers() in a container "
                       "of the image", details={"store": f.get("store"), "java": f.get("java.version")}, verified=v)

    def _python(self, client: str) -> Anchors:
        script = PY_REQUESTS if client == "Python requests" else PY_SSL
        res = self.target.run(self.env() + "python3 -c %s", script, timeout=30)
        if not res.ok:
            if "ModuleNotFoundError" in res.stderr:
                return Anchors(client, [], "", res.command, unavailable=f"the host's python3 cannot import it: "
                               f"{res.stderr.strip().splitlines()[-1]}")
            if not self.target.command_exists("python3"):
                return Anchors(client, [], "", res.command, unavailable="no python3 on the host")
            return Anchors(client, [], "", res.command, details=res.evidence())
        data = json.loads(res.stdout)
        pems = data.pop("pem")
        if data.get("bundle"):  # requests reads a bundle file: read it as requests would
            pems = pem_certificates(self.target.read_text(data["bundle"]) or "")
        api = "requests.certs.where()" if client == "Python requests" else "ssl.create_default_context()"
        return Anchors(client, pem_certificates(pems) if isinstance(pems, str) else pems,
                       data.get("bundle") or f"cafile {data.get('cafile')}, capath {data.get('capath')}",
                       f"python3: {api}", details=data)

    def _perl(self, client: str) -> Anchors:
        which = "lwp" if "LWP" in client else "iossl"
        res = self.target.run(self.env() + "perl -e %s %s", PERL_CA, which, timeout=30)
        if not res.ok:
            return Anchors(client, [], "", res.command,
                           unavailable=f"perl cannot load the client: {(res.stderr.strip().splitlines() or ['?'])[0]}")
        ca = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
        pems: list[str] = []
        if ca.get("file"):
            pems += pem_certificates(self.target.read_text(ca["file"]) or "")
        if ca.get("path") and not pems:
            listing = self.target.run("cat %s/*.[0-9] 2>/dev/null", ca["path"])
            pems += pem_certificates(listing.stdout)
        api = "LWP::Protocol::https _extra_sock_opts" if which == "lwp" else "IO::Socket::SSL::default_ca()"
        return Anchors(client, pems, f"SSL_ca_file {ca.get('file') or '-'}, SSL_ca_path {ca.get('path') or '-'}",
                       f"perl: {api}", details=ca)

    # --- verification --------------------------------------------------------------------------

    def _bundle(self, name: str, pems: list[str]) -> str:
        path = f"{self.workdir}/{name}-{int(time.monotonic() * 1e6)}.pem"
        self.target.write_bytes(path, "".join(pems).encode())
        return path

    @property
    def _only_cafile(self) -> str:
        """Flags that keep `openssl verify` to the given file: OpenSSL 3 also has a default store."""
        if self._flags is None:
            v = self.target.run("openssl version").stdout.split()
            major = int(v[1].split(".")[0]) if len(v) > 1 and v[1][:1].isdigit() else 1
            self._flags = "-no-CApath -no-CAstore" if major >= 3 else "-no-CApath"
        return self._flags

    @property
    def at_description(self) -> str:
        return describe_time(self.at, self.now)

    @property
    def _attime(self) -> str:
        """openssl's flag for the verification time: none while R11 is valid."""
        return f"-attime {int(self.at.timestamp())} " if self.at else ""

    def _openssl_verify(self, cafile: str) -> Result:
        return self.target.run(f"openssl verify {self._attime}{self._only_cafile} -CAfile %s -show_chain %s",
                               cafile, self.intermediate_path)

    def verify_with(self, a: Anchors) -> Verification:
        """The LE intermediate against the client's roots; then against ISRG Root X1 alone (it must
        verify) and against the client's roots without ISRG Root X1 (it must not): so ISRG Root X1,
        found by fingerprint, is what makes it verify, not an expired DST Root CA X3 or any other."""
        self._prepare()
        if a.verified is not None:  # the client verified it itself (the JVM's CertPathValidator)
            return a.verified
        key = hashlib.sha256("".join(a.pems).encode()).hexdigest()
        if key not in self._split_results:  # clients that share one bundle share these two checks
            x1, others = split_anchors(a.pems)
            only = self._openssl_verify(self._bundle("x1-only", x1)).ok if x1 else False
            rest = self._openssl_verify(self._bundle("without-x1", others)).ok
            self._split_results[key] = (only, rest)
        only, rest = self._split_results[key]
        if a.client.startswith("Perl"):
            res = self.target.run(self.env() + "perl -e %s %s %s %s %s", PERL_VERIFY, self.intermediate_path,
                                  a.details.get("file", ""), a.details.get("path", ""),
                                  str(int(self.at.timestamp())) if self.at else "", timeout=30)
            chain = re.findall(r"^depth=(\d+) fp=(\S+)", res.stdout, re.M)
            ok = "ok=1" in res.stdout
            root = chain[-1][1] if ok and chain else None
            how = "Net::SSLeay X509_verify_cert with the client's CA file/path (the store IO::Socket::SSL builds)"
            out = res.stdout + res.stderr
        elif a.client == "OpenSSL":
            res = self.target.run(self.env() + f"openssl verify {self._attime}-show_chain %s", self.intermediate_path)
            ok, root = res.ok, None
            how = "openssl verify with OpenSSL's default CA file and directory"
            out = res.stdout + res.stderr
        else:
            # a client that reads one bundle file is verified against that file; others against their export
            path = a.details.get("bundle") or self._bundle(re.sub(r"\W+", "-", a.client), a.pems)
            res = self._openssl_verify(path)
            ok, root = res.ok, None
            how = f"openssl verify -CAfile <the {len(a.pems)} roots {a.client} trusts>"
            if a.details.get("fallback"):
                how = f"{a.details['fallback']}: {how}"
            out = res.stdout + res.stderr
        how += "; again against ISRG Root X1 alone and against the roots without it"
        if self.at:
            how += (f"; at {self.at:%Y-%m-%dT%H:%M:%SZ} (openssl -attime, X509_VERIFY_PARAM_set_time for Perl): "
                    f"R11 expired on {LE_INTERMEDIATE_NOT_AFTER:%Y-%m-%d}")
        return Verification(a.client, ok, root, only, rest, how, out.strip(), self.at_description)

    # --- a live handshake, when the lab has the network for it -----------------------------------

    def handshake(self, site: str) -> Result:
        host, port = site_address(site)
        return self.target.run(
            self.env() + "openssl s_client -connect %s -servername %s -verify_return_error -brief </dev/null",
            f"{host}:{port}", host, timeout=20,
        )


# what openssl s_client says when the site cannot be reached at all (no network), as opposed to
# a site that answers with a chain the store does not verify
NO_ROUTE = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
            "Network is unreachable", "Connection refused", "Connection timed out", "No route to host",
            "connect:errno", "BIO_lookup")
