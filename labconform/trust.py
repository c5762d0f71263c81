"""Root trust ("Dragged by the roots"): which roots each client of the lab trusts, and whether a
Let's Encrypt chain verifies against them because of ISRG Root X1 (identified by fingerprint)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform.docker_lab import RUN_LABEL, DockerLab
from labconform.target import Result, Target

DATA = Path(__file__).parent / "data"
# Let's Encrypt's RSA intermediate R11, issued by ISRG Root X1 (public data, valid 2024-03-13 to 2027-03-12)
LE_INTERMEDIATE = DATA / "lets-encrypt-r11.pem"
LE_INTERMEDIATE_SHA256 = ("59:1E:9C:E6:C8:63:D3:A0:79:E9:FA:BE:14:78:C7:33:"
                          "9A:26:B2:12:69:DD:E7:95:21:13:61:02:4A:E3:1A:44")
ISRG_ROOT_X1_SHA256 = "96:BC:EC:06:26:49:76:F3:74:60:77:9A:CF:28:C5:A7:CF:E8:A3:C0:AA:E1:1A:8F:FC:EE:05:C0:BD:DF:08:C6"

# the bundle every client of the family reads unless told otherwise
HOST_BUNDLE = {
    "debian": "/etc/ssl/certs/ca-certificates.crt",
    "rhel": "/etc/pki/tls/certs/ca-bundle.crt",
}
# in the Debian-built Tomcat image, and in the official one (its JDK's cacerts)
JVM_CACERTS_CMD = "keytool -list -rfc -cacerts -storepass changeit"

# the clients of the lab, in the order the Scenario Outline lists them
CLIENTS = ("OpenSSL", "Python ssl", "Python requests", "Perl IO::Socket::SSL", "Perl LWP::Protocol::https",
           "the JVM in the mytc image")

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


@dataclass
class Anchors:
    """What one client trusts: its certificates (PEM), where it read them, and how that was found."""

    client: str
    pems: list[str]
    source: str
    how: str
    unavailable: str | None = None  # why this client is not on the lab (not applicable)
    details: dict[str, Any] = field(default_factory=dict)

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

    def summary(self) -> dict[str, Any]:
        return {
            "verifies": self.ok,
            "chain root": self.chain_root or "not reported by this client",
            "verifies against ISRG Root X1 alone": self.with_x1_only,
            "verifies against the store without ISRG Root X1": self.without_x1,
        }

    @property
    def because_of_x1(self) -> bool:
        """It verifies, and it is ISRG Root X1 that makes it verify (not DST Root CA X3 or any other)."""
        root_ok = self.chain_root in (None, ISRG_ROOT_X1_SHA256)
        return self.ok and root_ok and self.with_x1_only and not self.without_x1


def write_large(target: Target, path: str, data: bytes, chunk: int = 60_000) -> None:
    """Write a file of any size on the target, in pieces small enough for one command line each
    (a trust bundle is larger than the kernel lets a single argument be)."""
    encoded = base64.b64encode(data).decode()
    target.run(": > %s", path)
    for i in range(0, len(encoded), chunk):
        res = target.run("echo %s | base64 -d >> %s", encoded[i:i + chunk], path)
        if not res.ok:
            raise OSError(f"cannot write {path}: {res.stderr.strip()}")


class TrustProbe:
    """Reads each client's roots on the target and verifies the LE intermediate against them.

    `override` is a bundle on the target that the clients must use instead of the host's (the
    negative tests' copy without ISRG Root X1): OpenSSL, Python and Perl take it from the
    environment variables each of them honours.
    """

    def __init__(self, target: Target, workdir: str, override: str = "") -> None:
        self.target = target
        self.workdir = workdir
        self.override = override
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
                return Anchors(client, [], "", "", unavailable="no mytc image to read the JVM's cacerts from")
            listing = jvm()
            return Anchors(client, pem_certificates(listing), "cacerts of the mytc image's JVM",
                           f"{JVM_CACERTS_CMD} in a container of the mytc image")
        raise ValueError(f"unknown client {client!r}; one of {CLIENTS}")

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
        write_large(self.target, path, "".join(pems).encode())
        return path

    @property
    def _only_cafile(self) -> str:
        """Flags that keep `openssl verify` to the given file: OpenSSL 3 also has a default store."""
        if self._flags is None:
            v = self.target.run("openssl version").stdout.split()
            major = int(v[1].split(".")[0]) if len(v) > 1 and v[1][:1].isdigit() else 1
            self._flags = "-no-CApath -no-CAstore" if major >= 3 else "-no-CApath"
        return self._flags

    def _openssl_verify(self, cafile: str) -> Result:
        return self.target.run(f"openssl verify {self._only_cafile} -CAfile %s -show_chain %s",
                               cafile, self.intermediate_path)

    def verify_with(self, a: Anchors) -> Verification:
        """The LE intermediate against the client's roots; then against ISRG Root X1 alone (it must
        verify) and against the client's roots without ISRG Root X1 (it must not): so ISRG Root X1,
        found by fingerprint, is what makes it verify, not an expired DST Root CA X3 or any other."""
        self._prepare()
        key = hashlib.sha256("".join(a.pems).encode()).hexdigest()
        if key not in self._split_results:  # clients that share one bundle share these two checks
            x1, others = split_anchors(a.pems)
            only = self._openssl_verify(self._bundle("x1-only", x1)).ok if x1 else False
            rest = self._openssl_verify(self._bundle("without-x1", others)).ok
            self._split_results[key] = (only, rest)
        only, rest = self._split_results[key]
        if a.client.startswith("Perl"):
            res = self.target.run(self.env() + "perl -e %s %s %s %s", PERL_VERIFY, self.intermediate_path,
                                  a.details.get("file", ""), a.details.get("path", ""), timeout=30)
            chain = re.findall(r"^depth=(\d+) fp=(\S+)", res.stdout, re.M)
            ok = "ok=1" in res.stdout
            root = chain[-1][1] if ok and chain else None
            how = "Net::SSLeay X509_verify_cert with the client's CA file/path (the store IO::Socket::SSL builds)"
            out = res.stdout + res.stderr
        elif a.client == "OpenSSL":
            res = self.target.run(self.env() + "openssl verify -show_chain %s", self.intermediate_path)
            ok, root = res.ok, None
            how = "openssl verify with OpenSSL's default CA file and directory"
            out = res.stdout + res.stderr
        else:
            # a client that reads one bundle file is verified against that file; others against their export
            path = a.details.get("bundle") or self._bundle(re.sub(r"\W+", "-", a.client), a.pems)
            res = self._openssl_verify(path)
            ok, root = res.ok, None
            how = f"openssl verify -CAfile <the {len(a.pems)} roots {a.client} trusts>"
            out = res.stdout + res.stderr
        how += "; again against ISRG Root X1 alone and against the roots without it"
        return Verification(a.client, ok, root, only, rest, how, out.strip())

    # --- a live handshake, when the lab has the network for it -----------------------------------

    def handshake(self, site: str, port: int = 443) -> Result:
        return self.target.run(
            self.env() + "openssl s_client -connect %s -servername %s -verify_return_error -brief </dev/null",
            f"{site}:{port}", site, timeout=20,
        )


# every root Python's default context trusts (cafile loaded now, and capath read as OpenSSL would)
PY_SSL = r"""
import json, os, re, ssl
p = ssl.get_default_verify_paths()
ctx = ssl.create_default_context()
pems = [ssl.DER_cert_to_PEM_cert(c) for c in ctx.get_ca_certs(binary_form=True)]
if not pems and p.capath and os.path.isdir(p.capath):
    for f in sorted(os.listdir(p.capath)):
        if re.fullmatch(r"[0-9a-f]{8}\.\d+", f):
            pems.append(open(os.path.join(p.capath, f)).read())
print(json.dumps({"cafile": p.cafile, "capath": p.capath, "pem": "".join(pems)}))
"""

# the bundle requests verifies with: REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's
PY_REQUESTS = r"""
import json, os
import requests.certs
b = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or requests.certs.where()
print(json.dumps({"bundle": b, "pem": ""}))
"""

# the CA file and directory a client will verify with, as the client itself resolves them
PERL_CA = r"""
use strict; use warnings;
my $which = shift;
my %ca;
if ($which eq 'lwp') {
    require LWP::UserAgent; require LWP::Protocol::https;
    my $ua = LWP::UserAgent->new;
    my %o = LWP::Protocol::https->new('https', $ua)->_extra_sock_opts;
    %ca = (file => $o{SSL_ca_file}, path => $o{SSL_ca_path});
    unless ($ca{file} || $ca{path}) { require IO::Socket::SSL; my %d = IO::Socket::SSL::default_ca();
        %ca = (file => $d{SSL_ca_file}, path => $d{SSL_ca_path}); }
} else {
    require IO::Socket::SSL;
    my %d = IO::Socket::SSL::default_ca();
    %ca = (file => $d{SSL_ca_file}, path => $d{SSL_ca_path});
}
for (qw(file path)) { my $v = $ca{$_}; $v = join(':', @$v) if ref $v; print "$_=", ($v // ''), "\n"; }
"""

# X509_verify_cert through Net::SSLeay (IO::Socket::SSL's engine), printing the chain's fingerprints
PERL_VERIFY = r"""
use strict; use warnings;
use Net::SSLeay;
Net::SSLeay::load_error_strings(); Net::SSLeay::OpenSSL_add_all_algorithms();
my ($cert, $file, $path) = @ARGV;
my $ctx = Net::SSLeay::CTX_new() or die "no SSL context\n";
Net::SSLeay::CTX_load_verify_locations($ctx, $file || '', $path || '') or print "load=failed\n";
my $store = Net::SSLeay::CTX_get_cert_store($ctx);
my $bio = Net::SSLeay::BIO_new_file($cert, 'r') or die "cannot read $cert\n";
my $x = Net::SSLeay::PEM_read_bio_X509($bio);
my $sctx = Net::SSLeay::X509_STORE_CTX_new();
Net::SSLeay::X509_STORE_CTX_init($sctx, $store, $x);
my $ok = Net::SSLeay::X509_verify_cert($sctx);
print "ok=$ok error=", Net::SSLeay::X509_verify_cert_error_string(Net::SSLeay::X509_STORE_CTX_get_error($sctx)), "\n";
my $chain = Net::SSLeay::X509_STORE_CTX_get1_chain($sctx);
for my $i (0 .. ($chain ? Net::SSLeay::sk_X509_num($chain) - 1 : -1)) {
    my $c = Net::SSLeay::sk_X509_value($chain, $i);
    print "depth=$i fp=", Net::SSLeay::X509_get_fingerprint($c, 'sha256'), " ",
        Net::SSLeay::X509_NAME_oneline(Net::SSLeay::X509_get_subject_name($c)), "\n";
}
"""


def jvm_cacerts(docker_lab: DockerLab, image: str, timeout: float = 60) -> str:
    """keytool's PEM listing of the JVM's default trust store, from a one-off container of `image`
    (keytool only: no Tomcat is started). The container carries the run's label and is removed."""
    name = f"{docker_lab.run_name}-cacerts-{int(time.time() * 1000)}"
    with docker_lab.api(f"docker run {image} {JVM_CACERTS_CMD}"):
        c = docker_lab.client.containers.run(image, ["sh", "-c", JVM_CACERTS_CMD], name=name, detach=True,
                                             labels={RUN_LABEL: docker_lab.run_name})
        try:
            status = c.wait(timeout=timeout)
            out = c.logs(stdout=True, stderr=False).decode("utf-8", errors="replace")
            if status.get("StatusCode") != 0:
                raise RuntimeError(f"{JVM_CACERTS_CMD} in {image} exited {status.get('StatusCode')}: {out[-500:]}")
            return out
        finally:
            c.remove(force=True)

# what openssl s_client says when the site cannot be reached at all (no network), as opposed to
# a site that answers with a chain the store does not verify
NO_ROUTE = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
            "Network is unreachable", "Connection refused", "Connection timed out", "No route to host",
            "connect:errno", "BIO_lookup")
