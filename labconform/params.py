"""Lab parameters: the values a lab may set differently from the document (image names, limits)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from labconform.errors import UsageError

# the image the document pulls from Docker Hub
DOCUMENT_TOMCAT = "tomcat:10.0.10-jdk16-openjdk-buster"
# list-valued parameters of the host, link and registry claims (YAML lists become tuples)
TUPLE_PARAMS = ("lab_interfaces", "registry_mirrors", "ntp_servers")


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
    # NTP servers the lab's clock follows in place of the family's public pools (a lab node: its lab host);
    # empty: provisioning leaves time synchronisation as the host has it
    ntp_servers: tuple[str, ...] = ()

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
    where = f"--lab-params {path}: " if path else ""
    return LabParams(**{name: validate(name, value, where) for name, value in values.items()})


# --- validation: every value is checked as it is loaded, so none reaches a command unchecked -------

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"  # DNS label (no length rule: tests use 64 characters)
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"  # a name, an IPv4 address or [an IPv6 one]
_PORT = r"(?::[0-9]{1,5})?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
# a Docker image reference: [registry[:port]/]path[:tag][@sha256:digest]
_IMAGE = (rf"(?:{_HOST}{_PORT}/)?{_PATH_PART}(?:/{_PATH_PART})*"
          r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?")
# an absolute path without shell metacharacters, spaces or quotes
_ABS_PATH = r"/(?:[A-Za-z0-9._+,@=-]+/)*[A-Za-z0-9._+,@=-]*"

_PATH_SAID = "an absolute path of letters, digits and . _ + , @ = - only"
_IMAGE_SAID = "an image reference such as lab/tomcat:10-jdk17, mytc or k8s.gcr.io/etcd:3.4.13-0"

# what each string parameter must look like: (pattern, what is expected, as said to the user)
PATTERNS: dict[str, tuple[str, str]] = {
    "tomcat_image": (_IMAGE, _IMAGE_SAID),
    "tomcat_upstream": (_IMAGE, _IMAGE_SAID),
    "mytc_image": (_IMAGE, _IMAGE_SAID),
    "context_dir": (_ABS_PATH, _PATH_SAID),
    "deployment_manifest": (_ABS_PATH, _PATH_SAID),
    "trust_store_override": (f"(?:{_ABS_PATH})?", f"empty or {_PATH_SAID}"),
    "jvm_trust_store_override": (f"(?:{_ABS_PATH})?", f"empty or {_PATH_SAID}"),
    "tls_site": (f"(?:{_HOST}{_PORT})?", "empty or a host name, optionally with :port (letsencrypt.org:443)"),
    "registry_mirrors": (rf"https?://{_HOST}{_PORT}/?", "URLs such as https://mirror.gcr.io"),
    "lab_interfaces": (r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}", "network interface names such as eth0"),
    "ntp_servers": (_HOST, "host names or addresses such as 172.30.0.1 or ntp.example.org"),
    "link_duplex": (r"full|half", "full or half"),
}
_HINTS = get_type_hints(LabParams)


_TYPE_NAMES = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a string", "strings")}


def _scalar(value: Any, kind: type) -> Any:
    """`value` as `kind` (an int is a float, a bool is no number), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if kind is float and isinstance(value, (int, float)):
        return float(value)
    return value if isinstance(value, kind) else None


def validate(name: str, value: Any, where: str = "") -> Any:
    """The value of lab parameter `name` with the type its field declares, or a UsageError (one line)
    naming the parameter, the value and what is expected."""
    hint = _HINTS[name]
    is_tuple = getattr(hint, "__origin__", None) is tuple
    kind = hint.__args__[0] if is_tuple else hint
    expected = f"a list of {_TYPE_NAMES[kind][1]}" if is_tuple else _TYPE_NAMES[kind][0]
    items = value if is_tuple else [value]
    if is_tuple and not isinstance(value, (list, tuple)):
        items = [None]
    checked = [_scalar(v, kind) for v in items]
    if any(c is None for c in checked):
        raise UsageError(f"{where}lab parameter {name}: {value!r} is not {expected}")
    pattern = PATTERNS.get(name)
    if pattern is not None and not all(re.fullmatch(pattern[0], c) for c in checked):
        raise UsageError(f"{where}lab parameter {name}: {value!r} is not {pattern[1]}")
    return tuple(checked) if is_tuple else checked[0]
