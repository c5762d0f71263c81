"""The mytc answer and image claims broken for real: images built here (removed whatever happens) and
given to a real run as the lab's mytc image.

- mytc-04: a ROOT.war whose page says contentType="text/html", and one whose page keeps a session
  (no session="false"): the greeting is right, the answer's Content-Type or its session cookie is not;
- mytc-07: an image with the same ROOT.war that is not built FROM the base image (FROM scratch).
Skipped where the lab's mytc image is absent (run `python -m provision` first)."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from labconform.http import app
from labconform.params import LabParams
from tests.support.images import (
    client,  # noqa: F401 - the fixture
    remove,
)
from tests.support.trust import run_claims

FEATURE = "features/60_tomcat_with_root_war.feature"
HTML_PAGE = app.INDEX_JSP.replace('contentType="text/plain"', 'contentType="text/html"')
SESSION_PAGE = app.INDEX_JSP.replace(' session="false"', "")


def _context(base: str, page: str) -> io.BytesIO:
    files = {"Dockerfile": f"FROM {base}\nCOPY ROOT.war {app.WAR_IN_IMAGE}\n".encode(),
             "ROOT.war": app.build_war({**app.WAR_ENTRIES, "index.jsp": page})}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


@pytest.fixture
def built(client: docker.DockerClient) -> Iterator:
    tags: list[str] = []

    def build(base: str, page: str) -> str:
        tag = f"lc-fault-mytc-{uuid.uuid4().hex[:8]}"
        tags.append(tag)
        client.images.build(fileobj=_context(base, page), custom_context=True, tag=tag, rm=True, forcerm=True)
        return tag

    try:
        yield build
    finally:
        remove(client, *tags)


def _claims(tmp_path: Path, image: str | None, which: str = "mytc-04 or mytc-07") -> dict[str, dict]:
    return run_claims(tmp_path, {"mytc_image": image} if image else {}, FEATURE, "-k", which)


def _judged(claim: dict) -> dict:
    """The claim's last judged observation (a failed claim's diagnostics come after it, unjudged)."""
    return next(o for o in reversed(claim["evidence"]) if o["ok"] is not None)


def _headers(claim: dict) -> dict:
    return next(o for o in claim["evidence"] if o["what"].startswith("answer headers"))


def test_an_html_page_fails_the_answer_claim_on_its_content_type(tmp_path: Path, built) -> None:
    # built as the document's Dockerfile builds mytc: FROM the base, one COPY of ROOT.war on top
    v = _claims(tmp_path, built(LabParams().tomcat_image, HTML_PAGE))
    assert v["mytc-04"]["verdict"] == "failed", v["mytc-04"]
    assert _headers(v["mytc-04"])["found"]["Content-Type"].startswith("text/html")
    assert v["mytc-07"]["verdict"] == "passed", v["mytc-07"]  # on the base, with the one layer of ROOT.war


def test_an_image_rebuilt_on_mytc_fails_the_layer_claim(tmp_path: Path, built) -> None:
    v = _claims(tmp_path, built(LabParams().mytc_image, app.INDEX_JSP), "mytc-07")  # mytc, then the same COPY
    found = _judged(v["mytc-07"])["found"]
    assert v["mytc-07"]["verdict"] == "failed" and found["layers added"] == 2, found


def test_a_page_that_keeps_a_session_fails_the_answer_claim_on_its_cookie(tmp_path: Path, built) -> None:
    v = _claims(tmp_path, built(LabParams().mytc_image, SESSION_PAGE))
    assert v["mytc-04"]["verdict"] == "failed", v["mytc-04"]
    found = _headers(v["mytc-04"])["found"]
    assert found["Content-Type"].startswith("text/plain") and "JSESSIONID" in found["session"], found


def test_an_image_not_built_from_the_base_fails_the_layer_claim(tmp_path: Path, built) -> None:
    v = _claims(tmp_path, built("scratch", app.INDEX_JSP), "mytc-07")  # it has no Tomcat to start
    claim = v["mytc-07"]
    assert claim["verdict"] == "failed", claim
    found = _judged(claim)["found"]
    assert found["built FROM the base"] is False and found["layers added"] == "not on the base", found


def test_the_labs_mytc_image_passes_both(tmp_path: Path, client) -> None:
    v = _claims(tmp_path, None)
    assert v["mytc-04"]["verdict"] == "passed", v["mytc-04"]
    found = _headers(v["mytc-04"])["found"]
    assert found["Content-Type"].startswith("text/plain") and found["session"] == "none set", found
    found = _judged(v["mytc-07"])["found"]
    assert v["mytc-07"]["verdict"] == "passed" and found["layers added"] >= 1 and found["size added bytes"] > 0
