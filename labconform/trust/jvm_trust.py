"""The JVM's trust, asked in one-off containers of the lab's image: its own verification of R11
(VerifyChain.java), its TLS handshake, and a copy of its trust store with a root taken out."""

from __future__ import annotations

import io
import re
import shlex
import tarfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from labconform.docker.container_io import archive_file, container_logs
from labconform.docker.containers import DockerLab
from labconform.trust.certs import DATA, ISRG_ROOT_X1_SHA256, LE_INTERMEDIATE, PEM_RE, site_address

# in the Debian-built Tomcat image, and in the official one (its JDK's cacerts)
JVM_CACERTS_CMD = "keytool -list -rfc -cacerts -storepass changeit"
# the JVM's own check (PKIX CertPathValidator, TLS handshake), run by the source launcher in a container
VERIFY_CHAIN = DATA / "VerifyChain.java"
# where the run's files go in such a container
JVM_DIR = "/tmp/labconform"
# a JVM that lives one second: C1 only and the serial GC halve the CPU the in-memory compile takes
# (measured 1.4-1.6 s user down to 0.8 s), CPU that the other claims of the run share
JVM_OPTS = "-XX:+IgnoreUnrecognizedVMOptions -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "


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
        out = container_logs(c, stdout=True, stderr=False).decode("utf-8", errors="replace")
        err = container_logs(c, stdout=False, stderr=True).decode("utf-8", errors="replace")
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


