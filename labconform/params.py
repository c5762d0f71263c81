"""Lab parameters: the values a lab may set differently from the document (image names, limits)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from labconform.errors import UsageError

# the image the document pulls from Docker Hub
DOCUMENT_TOMCAT = "tomcat:10.0.10-jdk16-openjdk-buster"
# list-valued parameters of the host, link and registry claims (YAML lists become tuples)
TUPLE_PARAMS = ("lab_interfaces", "registry_mirrors")


@dataclass(frozen=True)
class LabParams:
    # the Tomcat 10 base image the lab runs; offline labs build it under this name
    tomcat_image: str = "lab/tomcat:10-jdk17"
    # what provisioning tries to pull first, when a registry answers
    tomcat_upstream: str = DOCUMENT_TOMCAT
    mytc_image: str = "mytc"
    context_dir: str = "/app/contexts/mytc"
    # the document's ports; claims use free ports and show these in the evidence
    document_ports: tuple[int, ...] = (18080, 28080)
    startup_limit_s: float = 5.0
    startup_samples: int = 3
    container_memory_limit_mib: int = 256
    # how long a container may take from start to "Server startup" before the claim gives up
    container_start_timeout_s: float = 60.0
    # --- the host, its link, its trust and its registries (issue 4) ---
    # what the driver of a lab interface should report, where it reports it ("Glitch": gigabit, full duplex)
    link_speed_mbps: int = 1000
    link_duplex: str = "full"
    # interfaces that carry the lab's traffic; empty: the default route's, docker0 and the cluster's bridge
    lab_interfaces: tuple[str, ...] = ()
    # host to container over the Docker bridge: a bounded transfer and the floor it must stay above
    bridge_transfer_mib: int = 256
    bridge_throughput_floor_mbps: float = 1000.0
    # a Let's Encrypt-certified site for a live handshake; empty: the lab declares no Internet access
    tls_site: str = ""
    # a trust bundle on the host that OpenSSL, Python and Perl use instead of the host's (negative tests)
    trust_store_override: str = ""
    # a Java trust store (JKS/PKCS12) on the host that the JVM in the mytc image uses instead of its
    # cacerts (copied into the container, -Djavax.net.ssl.trustStore; negative tests)
    jvm_trust_store_override: str = ""
    # Docker registry mirrors the lab declares ("Eggs and baskets"); empty: none declared
    registry_mirrors: tuple[str, ...] = ()
    # the Deployment manifest of the document, read when there is no cluster to ask
    deployment_manifest: str = "/app/cluster.yaml"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["document_ports"] = list(self.document_ports)
        for name in TUPLE_PARAMS:
            d[name] = list(d[name])
        return d


def family_defaults(family: str) -> dict[str, Any]:
    """The document's own values on its family; this project's offline build elsewhere."""
    if family == "rhel":
        return {"tomcat_image": DOCUMENT_TOMCAT}
    return {}


def load_params(path: str | None, family: str = "debian") -> LabParams:
    values: dict[str, Any] = family_defaults(family)
    if path:
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except FileNotFoundError:
            raise UsageError(f"--lab-params {path}: no such file") from None
        except yaml.YAMLError as exc:
            raise UsageError(f"--lab-params {path}: not valid YAML ({exc})") from None
        if not isinstance(data, dict):
            raise UsageError(f"--lab-params {path}: expected a mapping of parameter: value")
        known = {f.name for f in fields(LabParams)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"--lab-params {path}: unknown parameter(s) {', '.join(unknown)}")
        values.update(data)
    if "document_ports" in values:
        values["document_ports"] = tuple(values["document_ports"])
    for name in TUPLE_PARAMS:
        if name in values:
            values[name] = tuple(values[name])
    return LabParams(**values)
