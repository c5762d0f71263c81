"""The pinned-release claims run for real against this lab (tomcat-01, tomcat-04, tomcat-05, k8s-inst-05,
k8s-init-06): with the document's values they fail here, naming what the lab runs, and the lab's waiver
file turns them waived; with the lab's own releases as parameters they pass. tomcat-01 is broken for real
by base images imported here (a Tomcat 9 catalina.jar; no catalina.jar at all), CoreDNS made available for
real by a Deployment kube-system/coredns of the cluster's own pause image; all removed whatever happens.
Skipped where the lab lacks the part (run `python -m provision` first)."""

from __future__ import annotations

import io
import tarfile
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from labconform.docker import tomcat
from labconform.kube import cluster
from labconform.kube.kubelab import KubeLab
from labconform.params import LabParams
from tests.support.local_docker import client_with
from tests.support.release_claims import (
    WAIVERS,
    kube,  # noqa: F401 - the fixture
)
from tests.support.trust import run_claims

REPO = Path(__file__).resolve().parents[2]
TOMCAT = "features/50_tomcat_from_dockerhub.feature"


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    c, image = client_with(LabParams().tomcat_image, "no base Tomcat image on this host")
    if "org.labconform.built-from" not in (image.labels or {}):
        pytest.skip("the base image is not this project's offline build (Tomcat 10.1 on Java 17)")
    return c


def test_tomcat_releases_fail_with_the_documents_values_and_are_waived(tmp_path: Path, client) -> None:
    which = "tomcat-01 or tomcat-02 or tomcat-04 or tomcat-05"
    v = run_claims(tmp_path / "document", {}, TOMCAT, "-k", which, "--waivers", WAIVERS)
    assert v["tomcat-01"]["verdict"] == "passed" and v["tomcat-02"]["verdict"] == "passed", v["tomcat-01"]
    assert v["tomcat-04"]["verdict"] == "waived", v["tomcat-04"]
    assert "'Tomcat': '10.1." in v["tomcat-04"]["reason"] and "'Java': 17" in v["tomcat-04"]["reason"]
    assert v["tomcat-05"]["verdict"] == "waived", v["tomcat-05"]
    assert "found '10.1." in v["tomcat-05"]["reason"] and "10.0.10" in v["tomcat-05"]["reason"]
    # tomcat-05 stops at its first failed step; the Java half is judged once the Tomcat release matches
    own = run_claims(tmp_path / "tomcat-10.1", {"tomcat_version": "10.1"}, TOMCAT, "-k", "tomcat-05")
    assert own["tomcat-05"]["verdict"] == "failed" and "Java 17" in own["tomcat-05"]["reason"], own["tomcat-05"]
    # the lab's own releases as its parameters: the same claims pass, and say what they read
    lab = run_claims(tmp_path / "lab", {"tomcat_version": "10.1", "jvm_major": 17}, TOMCAT, "-k", which)
    assert {i: c["verdict"] for i, c in lab.items()} == dict.fromkeys(
        ("tomcat-01", "tomcat-02", "tomcat-04", "tomcat-05"), "passed"), lab
    jvm = next(o for o in lab["tomcat-05"]["evidence"] if o["what"] == "the JVM's major release")
    assert jvm["found"].startswith("Java 17 (17.") and "-version" in jvm["how"]
    jar = next(o for o in lab["tomcat-05"]["evidence"] if o["what"].startswith("Tomcat in"))
    # the offline image's lib/ is Debian's, whose catalina.jar is a symlink: read where it points
    assert jar["details"]["server_info"]["read_at"] != jar["details"]["server_info"]["jar"]


def _image_tar(jar: bytes | None) -> bytes:
    """A root file system laid out like the offline image (lib/ and catalina.jar symlinks), with this jar."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name: str, data: bytes | None = None, link: str | None = None) -> None:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            elif data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for d in ("usr", "usr/local", "usr/local/tomcat", "usr/share", "usr/share/java", "usr/share/tomcat",
                  "usr/share/tomcat/lib"):
            add(d)
        add("usr/local/tomcat/lib", link="/usr/share/tomcat/lib")
        if jar is not None:
            add("usr/share/java/tomcat-catalina.jar", jar)
            add("usr/share/tomcat/lib/catalina.jar", link="../../java/tomcat-catalina.jar")
    return buf.getvalue()


def _jar(number: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(tomcat.SERVER_INFO, f"server.info=Apache Tomcat/{number.rsplit('.', 1)[0]}\n"
                    f"server.number={number}\nserver.built=Jun 1 2021 00:00:00 UTC\n")
    return buf.getvalue()


@pytest.fixture
def imported(client: docker.DockerClient) -> Iterator:
    refs: list[str] = []

    def make(jar: bytes | None) -> str:
        repo = f"lc-fault-tomcat-{uuid.uuid4().hex[:8]}"
        client.api.import_image_from_data(_image_tar(jar), repository=repo, tag="latest",
                                          changes=["ENV CATALINA_HOME=/usr/local/tomcat"])
        refs.append(f"{repo}:latest")
        return refs[-1]

    try:
        yield make
    finally:
        for ref in refs:
            try:
                client.images.remove(ref, force=True)
            except docker.errors.ImageNotFound:
                pass


def test_a_base_image_that_is_not_tomcat_10_fails_tomcat_01_alone(tmp_path: Path, imported, client) -> None:
    nine, none, ten = imported(_jar("9.0.50.0")), imported(None), imported(_jar("10.1.99.0"))
    for image, says in ((nine, "found '9.0.50.0'"), (none, "catalina.jar absent")):
        v = run_claims(tmp_path / image.split(":")[0], {"tomcat_image": image}, TOMCAT, "-k", "tomcat-01 or tomcat-02")
        assert v["tomcat-01"]["verdict"] == "failed" and says in v["tomcat-01"]["reason"], v["tomcat-01"]
        assert v["tomcat-02"]["verdict"] == "passed", v["tomcat-02"]  # CATALINA_HOME is still right
    # the same layout with a Tomcat 10 jar passes: the symlinks are followed to the jar
    v = run_claims(tmp_path / "ten", {"tomcat_image": ten}, TOMCAT, "-k", "tomcat-01")
    assert v["tomcat-01"]["verdict"] == "passed", v["tomcat-01"]
    assert not [c for c in client.containers.list(all=True) if c.image.tags and c.image.tags[0] in (nine, none, ten)]


# --- Kubernetes --------------------------------------------------------------------------------------


def test_the_kubernetes_release_is_the_pinned_one_or_waived(tmp_path: Path, kube: KubeLab) -> None:
    running = cluster.release(kube)["api_server"]
    if running.startswith("v1.22"):
        pytest.skip(f"this cluster runs the document's release ({running})")
    v = run_claims(tmp_path / "document", {}, "features/82_installing_k8s.feature", "-k", "k8s-inst-05")
    assert v["k8s-inst-05"]["verdict"] == "failed" and running in v["k8s-inst-05"]["reason"], v["k8s-inst-05"]
    assert "v1.22" in v["k8s-inst-05"]["reason"]
    w = run_claims(tmp_path / "waived", {}, "features/82_installing_k8s.feature", "-k", "k8s-inst-05",
                   "--waivers", WAIVERS)
    assert w["k8s-inst-05"]["verdict"] == "waived", w["k8s-inst-05"]
    minor = ".".join(running.split(".")[:2])
    own = run_claims(tmp_path / "own", {"kubernetes_version": minor}, "features/82_installing_k8s.feature",
                     "-k", "k8s-inst-05")
    assert own["k8s-inst-05"]["verdict"] == "passed", own["k8s-inst-05"]


