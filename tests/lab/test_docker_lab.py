"""The Docker library against the real engine: the run's containers, and only those, come and go."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker
import pytest

from labconform.docker.containers import RUN_LABEL, reaper_script, scratch_dir
from labconform.http import app
from labconform.lab import Lab
from labconform.poll import until
from labconform.results.document import new_run_name
from labconform.transport.target import Target


@pytest.fixture
def lab():
    lab = Lab(Target("local"), new_run_name())
    yield lab
    lab.docker.cleanup()


def test_a_workload_is_named_labelled_and_published_on_a_free_port(lab):
    w = lab.workload("probe", "mytc")
    attrs = w.container.attrs
    assert w.name == f"{lab.run_name}-probe"
    assert attrs["Config"]["Labels"][RUN_LABEL] == lab.run_name
    assert w.port and w.port not in lab.params.document_ports
    ready = lab.docker.wait_started(w, 60)
    assert ready["tomcat_startup_ms"] > 0
    r = lab.http_get(lab.url_for(w))
    assert r.status == 200 and r.body.strip() == f"{app.GREETING}{w.hostname}"


def test_workloads_asked_together_all_start_and_the_one_that_cannot_says_why(lab):
    failed = lab.workloads_together({"one": ("mytc", False), "two": ("base Tomcat", True), "odd": ("no such", False)})
    assert list(failed) == ["odd"] and "unknown image kind" in str(failed["odd"])
    assert sorted(lab.docker.workloads) == ["one", "two"]
    running = docker.from_env().containers.list(filters={"label": f"{RUN_LABEL}={lab.run_name}"})
    assert sorted(c.name for c in running) == [f"{lab.run_name}-one", f"{lab.run_name}-two"]
    assert lab.docker.workloads["two"].container.attrs["HostConfig"]["AutoRemove"] is True


def test_cleanup_removes_the_runs_containers_and_nothing_else(lab):
    client = docker.from_env()
    other = client.containers.create(
        lab.params.tomcat_image, command=["true"], name=f"{lab.run_name}-not-ours", labels={RUN_LABEL: "someone-else"}
    )
    try:
        a = lab.workload("a", "base Tomcat")
        b = lab.workload("b", "base Tomcat", auto_remove=True)
        removed = lab.docker.cleanup()
        assert sorted(removed) == sorted([a.name, b.name])
        assert not lab.docker.exists(a.name) and not lab.docker.exists(b.name)
        assert lab.docker.exists(other.name)
    finally:
        other.remove(force=True)


def test_a_file_is_read_from_an_image_without_starting_it(lab):
    war = lab.docker.image_file(lab.params.mytc_image, app.WAR_IN_IMAGE)
    assert war == lab.target.read_bytes(f"{lab.params.context_dir}/ROOT.war")
    assert lab.docker.image_file(lab.params.mytc_image, "/no/such/file") is None
    leftovers = docker.from_env().containers.list(all=True, filters={"label": f"{RUN_LABEL}={lab.run_name}"})
    assert leftovers == []


def test_images_asked_side_by_side_answer_each_for_itself(lab):
    refs = [lab.params.mytc_image, "labconform/no-such-image:0", lab.params.tomcat_image]
    found = lab.docker.images(refs)
    assert list(found) == refs and found["labconform/no-such-image:0"] is None
    assert found[lab.params.mytc_image]["Id"] == docker.from_env().images.get(lab.params.mytc_image).id
    assert found[lab.params.tomcat_image]["Id"] != found[lab.params.mytc_image]["Id"]


def test_a_container_that_dies_fails_the_wait_with_its_log(lab):
    w = lab.docker.start("dies", lab.params.tomcat_image, env={"JAVA_OPTS": "-Xmx1k"})
    with pytest.raises(AssertionError, match="exited before Tomcat started"):
        lab.docker.wait_started(w, 60)


def test_a_self_removing_container_already_gone_fails_the_wait(lab):
    """Docker may remove it before the wait asks for its log: that too is a failed claim, never an error."""
    w = lab.docker.start("dies-rm", lab.params.tomcat_image, auto_remove=True, env={"JAVA_OPTS": "-Xmx1k"})
    assert lab.docker.wait_gone(w.name, 30)
    with pytest.raises(AssertionError, match="was gone before Tomcat started"):
        lab.docker.wait_started(w, 60)


def test_the_wait_for_tomcat_ends_at_its_bound_with_what_the_log_said(lab):
    w = lab.docker.start("slow", lab.params.tomcat_image)
    with pytest.raises(AssertionError, match=r"Tomcat startup in .*slow: not reached within 0.3 s"):
        lab.docker.wait_started(w, 0.3)
    ready = lab.docker.wait_started(w, 60)  # the same container, followed again: the line it then writes
    assert ready["tomcat_startup_ms"] > 0 and lab.docker.status(w) == "running"


def test_the_reaper_removes_the_runs_scratch_folder_and_containers_when_its_input_ends(lab):
    """The lab host's own clean-up, as a run that died would leave it: stdin closed, nothing else."""
    client = docker.from_env()
    scratch = Path(scratch_dir(lab.run_name))
    (scratch / "trust").mkdir(parents=True)
    mine = client.containers.create(lab.params.tomcat_image, command=["true"], name=f"{lab.run_name}-reaped",
                                    labels={RUN_LABEL: lab.run_name})
    other = client.containers.create(lab.params.tomcat_image, command=["true"], name=f"{lab.run_name}-x-other",
                                     labels={RUN_LABEL: lab.run_name + "-x"})
    try:
        reaper = subprocess.Popen(["sh", "-c", reaper_script(lab.run_name)], stdin=subprocess.PIPE,
                                  start_new_session=True)
        assert lab.docker.exists(mine.name) and scratch.exists()  # nothing happens while the run lives
        reaper.stdin.close()
        reaper.wait(timeout=10)
        until(lambda: lab.docker.exists(mine.name), lambda there: not there, timeout=20, what="reaped")
        assert not scratch.exists()
        assert lab.docker.exists(other.name)  # another run's container, though its name starts alike
    finally:
        other.remove(force=True)
        if lab.docker.exists(mine.name):
            mine.remove(force=True)


