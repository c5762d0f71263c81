"""The releases the document pins (Tomcat 10.0.10 on JDK 16, Kubernetes v1.22) and kubeadm's CoreDNS: what
Tomcat, Java and the API server report, parsed and judged; the lab parameters that pin them, refused with
the file's line when bad (exit status 4 before any claim); the labs' waivers for their deviations."""

from __future__ import annotations

import datetime as dt
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from labconform.docker import tomcat
from labconform.errors import UsageError
from labconform.kube import cluster
from labconform.params import LabParams, load_params, matches_release, release_numbers
from labconform.results import waivers
from labconform.run.collection import ids_in_features
from provision.__main__ import main as provision_main

REPO = Path(__file__).resolve().parents[2]
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"

# what the programs print, as they print it
JAVA_17_DEBIAN = """openjdk version "17.0.19" 2025-10-21
OpenJDK Runtime Environment (build 17.0.19+10-1-deb12u2-Debian)
OpenJDK 64-Bit Server VM (build 17.0.19+10-1-deb12u2-Debian, mixed mode, sharing)
"""
JAVA_16_OFFICIAL = """Picked up JAVA_TOOL_OPTIONS: -Xss1m
openjdk version "16.0.2" 2021-07-20
OpenJDK Runtime Environment (build 16.0.2+7-67)
"""
JAVA_8 = 'java version "1.8.0_292"\nJava(TM) SE Runtime Environment (build 1.8.0_292-b10)\n'
JAVA_21_GA = 'openjdk version "21" 2023-09-19\n'
STARTUP_DEBIAN = """\
27-Nov-2026 09:35:21.100 INFO [main] org.apache.catalina.startup.VersionLoggerListener.log Server version name:   Apache Tomcat/10.1.55 (Debian)
27-Nov-2026 09:35:21.104 INFO [main] org.apache.catalina.startup.VersionLoggerListener.log Server built:          Oct 1 2025 00:00:00 UTC
27-Nov-2026 09:35:21.104 INFO [main] org.apache.catalina.startup.VersionLoggerListener.log Server version number: 10.1.55.0
27-Nov-2026 09:35:21.105 INFO [main] org.apache.catalina.startup.VersionLoggerListener.log JVM Version:           17.0.19+10-1-deb12u2-Debian
"""  # noqa: E501 - log lines as Tomcat writes them
STARTUP_DOCUMENT = STARTUP_DEBIAN.replace("10.1.55 (Debian)", "10.0.10").replace("10.1.55.0", "10.0.10.0") \
    .replace("17.0.19+10-1-deb12u2-Debian", "16.0.2+7-67")


def catalina_jar(info: str | None, number: str = "") -> bytes:
    """A catalina.jar holding ServerInfo.properties as Tomcat's build writes it (None: no such entry)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("org/apache/catalina/startup/Catalina.class", b"\xca\xfe\xba\xbe")
        if info is not None:
            zf.writestr(tomcat.SERVER_INFO, "# Licensed to the Apache Software Foundation\n"
                        f"server.info={info}\nserver.number={number}\nserver.built=Aug 5 2021 19:56:14 UTC\n")
    return buf.getvalue()


# --- releases --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("found", "pinned", "ok"), [
    ("10.0.10.0", "10.0.10", True),
    ("10.0.10", "10.0.10", True),
    ("10.1.55.0", "10.0.10", False),
    ("10.0.1.0", "10.0.10", False),
    ("10.0.100.0", "10.0.10", False),
    ("10.1.55.0", "10.1", True),
    ("10.1.55.0", "10", True),
    ("9.0.50.0", "10", False),
    ("v1.22.1", "v1.22", True),
    ("v1.22.1", "v1.22.1", True),
    ("v1.22.0-rc.0", "v1.22", True),
    ("v1.20.2", "v1.22", False),
    ("v1.2.9", "v1.22", False),
    ("v1.220.0", "v1.22", False),
    ("v1.22", "v1.22.1", False),
    (None, "v1.22", False),
    ("", "10", False),
    ("no version", "10", False),
])
def test_a_release_matches_the_numbers_it_names(found, pinned, ok) -> None:
    assert matches_release(found, pinned) is ok


def test_a_suffix_is_not_part_of_the_release() -> None:
    assert release_numbers("v1.20.2-dirty") == (1, 20, 2)
    assert release_numbers("Apache Tomcat/10.1.55 (Debian)") is None  # the name, not the number: not read
    assert release_numbers("10.1.55 (Debian)") == (10, 1, 55)


# --- Java ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("output", "version", "major"), [
    (JAVA_17_DEBIAN, "17.0.19", 17),
    (JAVA_16_OFFICIAL, "16.0.2", 16),
    (JAVA_8, "1.8.0_292", 8),
    (JAVA_21_GA, "21", 21),
    ("OCI runtime exec failed: exec: \"java\": executable file not found in $PATH", None, None),
])
def test_java_version_and_its_major(output, version, major) -> None:
    assert tomcat.java_version(output) == version
    assert tomcat.java_major(version) == major


def test_the_jvm_judged_against_the_pinned_major() -> None:
    jvm = {"major": 17, "version": "17.0.19", "output": JAVA_17_DEBIAN, "how": "docker exec x java -version"}
    v = tomcat.judge_jvm(jvm, 16)
    assert v.ok is False and v.found == "Java 17 (17.0.19)" and v.expected == "Java 16"
    assert v.details == {"output": JAVA_17_DEBIAN, "parameter": {"jvm_major": 16}}
    assert tomcat.judge_jvm(jvm, 17).ok is True
    broken = tomcat.judge_jvm({"major": None, "version": None, "output": "no java here", "how": "h"}, 16)
    assert (broken.ok, broken.what, broken.expected, broken.found, broken.how) == (
        False, "the JVM's major release", "Java 16", "no java here", "h")


# --- Tomcat's ServerInfo and startup log ----------------------------------------------------------


def test_server_info_is_read_from_catalina_jar() -> None:
    info = tomcat.server_info(catalina_jar("Apache Tomcat/10.0.10", "10.0.10.0"))
    assert info == {"server.info": "Apache Tomcat/10.0.10", "server.number": "10.0.10.0",
                    "server.built": "Aug 5 2021 19:56:14 UTC"}
    assert tomcat.server_info(catalina_jar(None)) == {}
    assert tomcat.server_info(b"not a zip") == {}


def test_the_image_release_judged_against_the_pinned_one() -> None:
    seen = {"image": "lab/tomcat:10-jdk17", "jar": "/usr/local/tomcat/lib/catalina.jar",
            **tomcat.server_info(catalina_jar("Apache Tomcat/10.1.55 (Debian)", "10.1.55.0"))}
    assert tomcat.judge_release(seen, "10", "base").ok is True
    assert tomcat.judge_release(seen, "10.1", "base").details == {"server_info": seen}
    wrong = tomcat.judge_release(seen, "10.0.10", "base", pinned=True)
    assert wrong.ok is False and wrong.found == "10.1.55.0" and "10.0.10" in wrong.expected
    assert wrong.what == "Tomcat in the base image" and wrong.details["parameter"] == {"tomcat_version": "10.0.10"}
    # a Tomcat 9 is not the Tomcat 10 that tomcat-01 asks for; an image without catalina.jar is no Tomcat at all
    nine = {"image": "x", **tomcat.server_info(catalina_jar("Apache Tomcat/9.0.50", "9.0.50.0"))}
    assert tomcat.judge_release(nine, "10", "base").ok is False
    absent = {"image": "x", "jar": "/usr/local/tomcat/lib/catalina.jar absent"}
    v = tomcat.judge_release(absent, "10", "base")
    assert v.ok is False and v.found == absent


def test_the_startup_log_judged_against_the_pinned_releases() -> None:
    seen = tomcat.startup_release(STARTUP_DEBIAN)
    assert seen == {"server": "Apache Tomcat/10.1.55 (Debian)", "number": "10.1.55.0",
                    "jvm": "17.0.19+10-1-deb12u2-Debian", "jvm_major": 17}
    v = tomcat.judge_startup(seen, "10.0.10", 16, "bare")
    assert v.ok is False and v.found["Tomcat"] == "10.1.55.0" and v.found["Java"] == 17
    assert v.how.endswith("docker logs bare") and v.details == {"parameters": {"tomcat_version": "10.0.10",
                                                                               "jvm_major": 16}}
    assert tomcat.judge_startup(seen, "10.1", 17, "bare").ok is True
    assert tomcat.judge_startup(seen, "10.1", 16, "bare").ok is False  # the JVM alone differs
    assert tomcat.judge_startup(tomcat.startup_release(STARTUP_DOCUMENT), "10.0.10", 16, "bare").ok is True
    silent = tomcat.judge_startup(tomcat.startup_release("Server startup in [812] milliseconds"), "10.0.10", 16, "b")
    assert silent.ok is False and silent.found["Tomcat"] == "no 'Server version number' line"


class Archives:
    """A container's side of `docker cp`: each path answers a tar of one member and the engine's stat header."""

    def __init__(self, files: dict[str, bytes], links: dict[str, str]) -> None:
        self.files, self.links, self.asked = files, links, []

    def get_archive(self, path):
        self.asked.append(path)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(path.rsplit("/", 1)[1])
            if path in self.links:
                info.type, info.linkname = tarfile.SYMTYPE, "../../java/tomcat10-catalina.jar"
                tar.addfile(info)
            else:
                info.size = len(self.files[path])
                tar.addfile(info, io.BytesIO(self.files[path]))
        return iter([buf.getvalue()]), {"name": path, "linkTarget": self.links.get(path, "")}


def test_a_symlinked_catalina_jar_is_followed_to_the_file() -> None:
    """The offline image's lib/ is Debian's, whose jars are symlinks into /usr/share/java."""
    jar = catalina_jar("Apache Tomcat/10.1.55 (Debian)", "10.1.55.0")
    c = Archives({"/usr/share/java/tomcat10-catalina.jar": jar},
                 {"/usr/local/tomcat/lib/catalina.jar": "/usr/share/java/tomcat10-catalina.jar"})
    data, read_at = tomcat._read_followed(c, "/usr/local/tomcat/lib/catalina.jar")
    assert data == jar and read_at == "/usr/share/java/tomcat10-catalina.jar"
    assert c.asked == ["/usr/local/tomcat/lib/catalina.jar", "/usr/share/java/tomcat10-catalina.jar"]
    loop = Archives({}, {"/a": "/b", "/b": "/a"})
    assert tomcat._read_followed(loop, "/a") == (None, "/a") and len(loop.asked) == 8


# --- Kubernetes ------------------------------------------------------------------------------------


def test_the_kubernetes_release_on_the_api_server_and_every_kubelet() -> None:
    seen = {"api_server": "v1.20.2", "kubelets": {"node1": "v1.20.2"}, "version": {}}
    v = cluster.judge_release(seen, "v1.22")
    assert not v.ok and v.found == {"API server": "v1.20.2", "kubelet of node1": "v1.20.2"}
    assert v.details == {"parameter": {"kubernetes_version": "v1.22"}, "version": {}}
    assert cluster.judge_release(seen, "v1.20").ok is True
    skewed = {"api_server": "v1.22.1", "kubelets": {"node1": "v1.21.4"}, "version": {}}
    assert cluster.judge_release(skewed, "v1.22").ok is False
    assert cluster.judge_release({"api_server": None, "kubelets": {}, "version": {}}, "v1.22").ok is False


def coredns(replicas: int, available: int, condition: str) -> dict:
    return {"metadata": {"name": "coredns", "namespace": "kube-system"},
            "spec": {"replicas": replicas,
                     "template": {"spec": {"containers": [{"name": "coredns", "image": "k8s.gcr.io/coredns:1.7.0"}]}}},
            "status": {"replicas": replicas, "readyReplicas": available, "availableReplicas": available,
                       "conditions": [{"type": "Available", "status": condition}]}}


@pytest.mark.parametrize(("deployment", "ok"), [
    (coredns(2, 2, "True"), True),
    (coredns(2, 1, "True"), False),  # one of two: available by its condition, not every replica
    (coredns(2, 0, "False"), False),
    (coredns(0, 0, "True"), False),  # scaled to nothing: no DNS served
    (None, False),
])
def test_coredns_is_available_only_with_every_replica(deployment, ok) -> None:
    v = cluster.judge_coredns(deployment)
    assert v.ok is ok
    if deployment is None:
        assert v.found == "no Deployment kube-system/coredns"
    else:
        assert v.found["images"] == ["k8s.gcr.io/coredns:1.7.0"]


# --- the parameters that pin them ------------------------------------------------------------------


def test_the_defaults_are_the_documents_releases() -> None:
    p = LabParams()
    assert (p.tomcat_version, p.jvm_major, p.kubernetes_version) == ("10.0.10", 16, "v1.22")
    # the labs keep them and declare their deviations in their waiver files instead
    for lab in ("labs/node/params.yaml",):
        q = load_params(str(REPO / lab))
        assert (q.tomcat_version, q.jvm_major, q.kubernetes_version) == ("10.0.10", 16, "v1.22")


@pytest.mark.parametrize(("text", "line", "message"), [
    ('jvm_major: "17"\n', 1, "lab parameter jvm_major: '17' is not an integer"),
    ("jvm_major: 17.0\n", 1, "lab parameter jvm_major: 17.0 is not an integer"),
    ("jvm_major: true\n", 1, "lab parameter jvm_major: True is not an integer"),
    ("jvm_major: 0\n", 1, "lab parameter jvm_major: 0 is not a Java major release number such as 16 or 17"),
    ("# ours\ntomcat_version: 10.1\n", 2,
     'lab parameter tomcat_version: 10.1 is not a string (quote it: tomcat_version: "10.1")'),
    ('ntp_servers: [172.30.0.1]\ntomcat_version: "10.0.x"\n', 2,
     "lab parameter tomcat_version: '10.0.x' is not a Tomcat release such as 10.0.10 or 10.1"),
    ('tomcat_version: "tomcat-10"\n', 1, "is not a Tomcat release"),
    ('tomcat_version: ""\n', 1, "is not a Tomcat release"),
    ("kubernetes_version: 1.22\n", 1, 'is not a string (quote it: kubernetes_version: "1.22")'),
    ('kubernetes_version: "1.22"\n', 1, "lab parameter kubernetes_version: '1.22' is not a Kubernetes release"),
    ("kubernetes_version: latest\n", 1, "lab parameter kubernetes_version: 'latest' is not a Kubernetes release"),
    ('kubernetes_version: "v1.22.1.0"\n', 1, "is not a Kubernetes release such as v1.22 or v1.22.1"),
    ("kubernetes_version: [v1.22]\n", 1, "lab parameter kubernetes_version: ['v1.22'] is not a string"),
    ("\n\ntomcat_versoin: 10.0.10\n", 3, "unknown parameter(s) tomcat_versoin"),
])
def test_a_bad_release_parameter_is_one_line_naming_the_files_line(tmp_path, text, line, message) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(text)
    with pytest.raises(UsageError) as err:
        load_params(str(f))
    assert str(err.value).startswith(f"--lab-params {f}:{line}: ")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_good_release_parameters_load(tmp_path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text('tomcat_version: "10.1"\njvm_major: 17\nkubernetes_version: v1.20.2\n')
    p = load_params(str(f))
    assert (p.tomcat_version, p.jvm_major, p.kubernetes_version) == ("10.1", 17, "v1.20.2")


def test_provisioning_refuses_a_bad_release_before_it_plans(tmp_path, capsys) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("jvm_major: sixteen\n")
    assert provision_main(["--facts", str(ROCKY), "--lab-params", str(f)]) == 2
    assert f"{f}:1: lab parameter jvm_major: 'sixteen' is not an integer" in capsys.readouterr().err


# --- the labs' declared deviations -----------------------------------------------------------------

DEVIATIONS = {"tomcat-04", "tomcat-05", "k8s-inst-05", "k8s-init-06"}


@pytest.mark.parametrize("lab", ["debian-offline", "node"])
def test_each_lab_declares_its_release_deviations(lab) -> None:
    ws = waivers.load(str(REPO / "labs" / lab / "waivers.yaml"))
    waivers.check_known(ws, ids_in_features([REPO / "features"]))
    declared = {w.id: w for w in ws if w.id in DEVIATIONS}
    assert set(declared) == DEVIATIONS
    for w in declared.values():
        assert not w.expired(dt.date.today()) and len(w.justification) > 100
    assert "--skip-phases=addon/coredns" in declared["k8s-init-06"].justification
    # tomcat-01, the Tomcat 10 claim read from the same ServerInfo, stays unwaived
    assert waivers.find(ws, "tomcat-01") is None and waivers.find(ws, "tomcat-03") is None
