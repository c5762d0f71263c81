"""Lab parameters: the values a lab may set differently from the document (image names, limits)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, get_type_hints

import yaml

from labconform import input_files
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
    # --- the releases the document pins (issue 11): its values by default; a lab that runs others sets them
    # here, or declares the deviation in its waiver file. A release matches its own dotted prefix: 10.0.10
    # matches Tomcat's 10.0.10.0, v1.22 matches v1.22.1 (matches_release)
    tomcat_version: str = "10.0.10"  # tomcat:10.0.10-jdk16-openjdk-buster
    jvm_major: int = 16  # the image's JDK 16
    kubernetes_version: str = "v1.22"  # the Kubernetes repository's release when the document was written

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


def key_lines(text: str) -> dict[Any, int]:
    """The line (from 1) of each top-level key of a YAML mapping; empty for anything else."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {yaml.safe_load(k.value) if isinstance(k, yaml.ScalarNode) else k.value: k.start_mark.line + 1
            for k, _ in root.value}


def load_params(path: str | None, family: str = "debian") -> LabParams:
    """The lab's parameters: the family's defaults, then the file's values, each validated. A bad value is a
    UsageError of one line naming the file, the line, the parameter, the value and what is expected."""
    values: dict[str, Any] = family_defaults(family)
    lines: dict[Any, int] = {}
    if path:
        data, text = input_files.read_yaml(path, "--lab-params")
        data = data or {}
        if not isinstance(data, dict):
            raise UsageError(f"--lab-params {path}: expected a mapping of parameter: value")
        lines = key_lines(text)
        known = {f.name for f in fields(LabParams)}
        unknown = sorted(set(data) - known, key=lambda k: (lines.get(k, 0), str(k)))
        if unknown:
            at = f":{lines[unknown[0]]}" if unknown[0] in lines else ""
            raise UsageError(f"--lab-params {path}{at}: unknown parameter(s) {', '.join(map(str, unknown))}")
        values.update(data)

    def where(name: str) -> str:
        if not path or name not in lines:
            return ""
        return f"--lab-params {path}:{lines[name]}: "

    return LabParams(**{name: validate(name, value, where(name)) for name, value in values.items()})


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
    "tomcat_version": (r"[0-9]{1,3}(?:\.[0-9]{1,4}){0,3}", "a Tomcat release such as 10.0.10 or 10.1"),
    "kubernetes_version": (r"v[0-9]{1,3}\.[0-9]{1,3}(?:\.[0-9]{1,3})?",
                           "a Kubernetes release such as v1.22 or v1.22.1"),
}
# the releases the document pins, as strings
RELEASES = ("tomcat_version", "kubernetes_version")
# integer parameters with bounds: (lowest, highest, what is expected, as said to the user)
RANGES: dict[str, tuple[int, int, str]] = {
    "jvm_major": (1, 999, "a Java major release number such as 16 or 17"),
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
        # YAML reads 10.1 as a number (and 10.10 as 10.1): a release must be quoted to keep its text
        quote = f' (quote it: {name}: "{value}")' if name in RELEASES and isinstance(value, (int, float)) else ""
        raise UsageError(f"{where}lab parameter {name}: {value!r} is not {expected}{quote}")
    pattern = PATTERNS.get(name)
    if pattern is not None and not all(re.fullmatch(pattern[0], c) for c in checked):
        raise UsageError(f"{where}lab parameter {name}: {value!r} is not {pattern[1]}")
    bounds = RANGES.get(name)
    if bounds is not None and not all(bounds[0] <= c <= bounds[1] for c in checked):
        raise UsageError(f"{where}lab parameter {name}: {value!r} is not {bounds[2]}")
    return tuple(checked) if is_tuple else checked[0]


# --- releases -----------------------------------------------------------------------------------

_NUMBERS = re.compile(r"v?([0-9]+(?:\.[0-9]+)*)")


def release_numbers(version: str) -> tuple[int, ...] | None:
    """The leading dotted numbers of a version as a program reports it ("v1.20.2" -> (1, 20, 2); "10.1.55.0"
    -> (10, 1, 55, 0); a suffix such as "-dirty" or " (Debian)" is not part of the release), or None."""
    m = _NUMBERS.match(version.strip())
    return tuple(int(n) for n in m.group(1).split(".")) if m else None


def matches_release(found: str | None, pinned: str) -> bool:
    """Whether a reported version is the pinned release: the pinned numbers are the reported ones' prefix
    (10.0.10 matches 10.0.10 and 10.0.10.0, not 10.0.1 nor 10.0.100; v1.22 matches v1.22.1, not v1.2)."""
    have, want = release_numbers(found or ""), release_numbers(pinned)
    return have is not None and want is not None and have[: len(want)] == want
