"""Root trust ("Dragged by the roots"): which roots each client of the lab trusts, and whether a
Let's Encrypt chain verifies against them because of ISRG Root X1 (identified by fingerprint)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shlex
import tarfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from labconform.docker_lab import DockerLab, archive_file
from labconform.target import Result, Target

DATA = Path(__file__).parent / "data"
# Let's Encrypt's RSA intermediate R11, issued by ISRG Root X1 (public data, valid 2024-03-13 to 2027-03-12)
LE_INTERMEDIATE = DATA / "lets-encrypt-r11.pem"
LE_INTERMEDIATE_SHA256 = ("59:1E:9C:E6:C8:63:D3:A0:79:E9:FA:BE:14:78:C7:33:"
                          "9A:26:B2:12:69:DD:E7:95:21:13:61:02:4A:E3:1A:44")
# its validity (`openssl x509 -dates`): past notAfter the chain is verified at a time inside it, said so
LE_INTERMEDIATE_NOT_BEFORE = datetime(2024, 3, 13, 0, 0, 0, tzinfo=UTC)
LE_INTERMEDIATE_NOT_AFTER = datetime(2027, 3, 12, 23, 59, 59, tzinfo=UTC)
ISRG_ROOT_X1_SHA256 = "96:BC:EC:06:26:49:76:F3:74:60:77:9A:CF:28:C5:A7:CF:E8:A3:C0:AA:E1:1A:8F:FC:EE:05:C0:BD:DF:08:C6"

# the bundle every client of the family reads unless told otherwise
HOST_BUNDLE = {
    "debian": "/etc/ssl/certs/ca-certificates.crt",
    "rhel": "/etc/pki/tls/certs/ca-bundle.crt",
}
# in the Debian-built Tomcat image, and in the official one (its JDK's cacerts)
JVM_CACERTS_CMD = "keytool -list -rfc -cacerts -storepass changeit"
# the JVM's own check (PKIX CertPathValidator, TLS handshake), run by the source launcher in a container
VERIFY_CHAIN = DATA / "VerifyChain.java"
# where the run's files go in such a container
JVM_DIR = "/tmp/labconform"
# a JVM that lives one second: C1 only and the serial GC halve the CPU the in-memory compile takes
# (measured 1.4-1.6 s user down to 0.8 s), CPU that the other claims of the run share
JVM_OPTS = "-XX:+IgnoreUnrecognizedVMOptions -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "

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
my ($cert, $file, $path, $at) = @ARGV;
my $ctx = Net::SSLeay::CTX_new() or die "no SSL context\n";
Net::SSLeay::CTX_load_verify_locations($ctx, $file || '', $path || '') or print "load=failed\n";
my $store = Net::SSLeay::CTX_get_cert_store($ctx);
if ($at) {  # a fixed verification time (R11 past its notAfter)
    my $param = Net::SSLeay::X509_VERIFY_PARAM_new();
    Net::SSLeay::X509_VERIFY_PARAM_set_time($param, $at);
    Net::SSLeay::X509_STORE_set1_param($store, $param);
    print "at=$at\n";
}
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


@dataclass
class JvmRun:
    """One program run in a one-off container of the lab's image: its command, status and output."""

    command: str
    status: int
    stdout: str
    stderr: str

    @property
    def facts(self) -> dict[str, str]:
        """The `key=value` lines VerifyChain.java prints (PEM blocks and other lines left out)."""
        return dict(line.split("=", 1) for line in self.output.splitlines() if re.match(r"^[\w.]+=", line))

    @property
    def output(self) -> str:
        """What the run printed, less the PEM blocks (the roots are kept as certificates, not text)."""
        return (PEM_RE.sub("", self.stdout).strip() + "\n" + self.stderr.strip()).strip()

    @property
    def no_compiler(self) -> bool:
        """The image's Java has no jdk.compiler module (a JRE-only image): no source launcher."""
        return "mode=keytool" in self.stdout or "mode=no-compiler" in self.stdout

    @property
    def fallback(self) -> str | None:
        """Why the JVM could not run the trust check itself, and what was done instead."""
        if self.no_compiler:
            return ("the image's Java has no jdk.compiler module (a JRE-only image), so the source launcher cannot "
                    "run VerifyChain.java; fallback: its trust store exported by keytool, verified by openssl on the "
                    "lab host")
        return None

    def handshake_not_applicable(self, site: str) -> str | None:
        """Why a JVM handshake could not be tried (never a pass): the site unreachable, or no compiler."""
        if self.facts.get("unreachable"):
            return f"{site} cannot be reached from a container of the mytc image: {self.facts['unreachable']}"
        if self.no_compiler:
            return ("the mytc image's Java has no jdk.compiler module (a JRE-only image): the JVM's handshake "
                    "program cannot run there; roots-03 makes the handshake from the host")
        return None


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        d = tarfile.TarInfo(Path(JVM_DIR).name)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
        tar.addfile(d)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{Path(JVM_DIR).name}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def run_in_image(docker_lab: DockerLab, image: str, role: str, script: str, files: dict[str, bytes],
                 timeout: float = 90) -> JvmRun:
    """`sh -c script` in a one-off container of `image` (no Tomcat is started), with `files` copied
    into JVM_DIR first (docker put_archive). The container carries the run's label and name and is
    removed however the run ends."""
    with docker_lab.one_off(image, role, ["sh", "-c", script], f"docker run {image} ({role})") as c:
        c.put_archive(str(Path(JVM_DIR).parent), _tar(files))
        c.start()
        status = c.wait(timeout=timeout).get("StatusCode", -1)
        out = c.logs(stdout=True, stderr=False).decode("utf-8", errors="replace")
        err = c.logs(stdout=False, stderr=True).decode("utf-8", errors="replace")
        return JvmRun(script, status, out, err)


def _jvm_files(store: bytes | None) -> tuple[dict[str, bytes], str]:
    files = {"VerifyChain.java": VERIFY_CHAIN.read_bytes()}
    if store is None:
        return files, JVM_OPTS
    files["truststore"] = store
    return files, f"{JVM_OPTS}-Djavax.net.ssl.trustStore={JVM_DIR}/truststore "


def jvm_check(docker_lab: DockerLab, image: str, *, store: bytes | None = None, at: datetime | None = None,
              timeout: float = 90) -> JvmRun:
    """The JVM verifies R11 itself (VerifyChain.java verify, see its header) with its default trust
    store, or with `store` (a JKS/PKCS12 trust store: -Djavax.net.ssl.trustStore), at `at` when
    given. Where the image has no jdk.compiler, keytool's listing of the same store instead."""
    files, opt = _jvm_files(store)
    files["r11.pem"] = LE_INTERMEDIATE.read_bytes()
    at_ms = f" {int(at.timestamp() * 1000)}" if at else ""
    listing = (f"keytool -list -rfc -keystore {JVM_DIR}/truststore -storepass changeit" if store is not None
               else JVM_CACERTS_CMD)
    script = (f"java {opt}{JVM_DIR}/VerifyChain.java verify {JVM_DIR}/r11.pem {ISRG_ROOT_X1_SHA256}{at_ms} && exit 0; "
              "java --describe-module jdk.compiler >/dev/null 2>&1 && exit 1; "
              f"echo mode=keytool; exec {listing}")
    run = run_in_image(docker_lab, image, "jvm-trust", script, files, timeout)
    if run.status != 0:
        raise RuntimeError(f"the JVM's trust check in {image} exited {run.status}: {run.output[-800:]}")
    return run


def jvm_handshake(docker_lab: DockerLab, image: str, site: str, *, store: bytes | None = None,
                  timeout: float = 60) -> JvmRun:
    """A TLS handshake by the JVM (VerifyChain.java handshake: SSLSocket, default trust store or
    `store`, HTTPS name check) with `site` ("host" or "host:port", 443 by default)."""
    host, port = site_address(site)
    files, opt = _jvm_files(store)
    script = (f"java {opt}{JVM_DIR}/VerifyChain.java handshake {shlex.quote(host)} {port} 10000; rc=$?; "
              "case $rc in 0|3|4) ;; *) java --describe-module jdk.compiler >/dev/null 2>&1 || "
              "echo mode=no-compiler ;; esac; exit $rc")
    return run_in_image(docker_lab, image, "jvm-handshake", script, files, timeout)


def site_address(site: str) -> tuple[str, int]:
    """The lab parameter tls_site: a host name, optionally with ":port" (443 by default)."""
    host, sep, port = site.rpartition(":")
    if sep and port.isdigit() and host and not host.endswith(":"):
        return host.strip("[]"), int(port)
    return site, 443


def jvm_trust_store_copy(docker_lab: DockerLab, image: str, *, without: str | None = ISRG_ROOT_X1_SHA256,
                         add: tuple[str, ...] = (), timeout: float = 60) -> tuple[bytes, dict[str, Any]]:
    """A copy of the JVM's cacerts made in a container of `image` with keytool: the root with
    fingerprint `without` deleted (its alias found by that fingerprint) and the PEM certificates
    `add` imported. Returns the store's bytes (for the lab parameter jvm_trust_store_override)."""
    store = f"{JVM_DIR}/truststore"
    info: dict[str, Any] = {"deleted": [], "added": len(add)}

    def sh(c: Any, *cmd: str) -> str:
        rc, out = c.exec_run(list(cmd))
        text = out.decode("utf-8", errors="replace")
        if rc != 0:
            raise RuntimeError(f"{' '.join(cmd)} in {image} exited {rc}: {text[-500:]}")
        return text

    sleeper = ["sleep", str(int(timeout))]
    with docker_lab.one_off(image, "jvm-store", sleeper, f"docker run {image} (trust store copy)") as c:
        c.put_archive(str(Path(JVM_DIR).parent), _tar({f"add-{i}.pem": p.encode() for i, p in enumerate(add)}))
        c.start()
        info["source"] = sh(c, "sh", "-c", 'readlink -f "$(dirname "$(readlink -f "$(command -v java)")")'
                            '/../lib/security/cacerts"').strip()
        sh(c, "cp", info["source"], store)
        kt = ["-keystore", store, "-storepass", "changeit"]
        if without:
            listing = sh(c, "keytool", "-list", "-v", *kt)
            for block in listing.split("Alias name: ")[1:]:
                alias = block.splitlines()[0].strip()
                if re.search(rf"SHA256:\s*{re.escape(without)}\b", block):
                    sh(c, "keytool", "-delete", "-alias", alias, *kt)
                    info["deleted"].append(alias)
            if not info["deleted"]:
                raise RuntimeError(f"no entry with SHA-256 {without} in {info['source']} of {image}")
        for i in range(len(add)):
            sh(c, "keytool", "-importcert", "-noprompt", "-alias", f"labconform-added-{i}",
               "-file", f"{JVM_DIR}/add-{i}.pem", *kt)
        return archive_file(c, store) or b"", info


# what openssl s_client says when the site cannot be reached at all (no network), as opposed to
# a site that answers with a chain the store does not verify
NO_ROUTE = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
            "Network is unreachable", "Connection refused", "Connection timed out", "No route to host",
            "connect:errno", "BIO_lookup")
