"""Steps about the Docker engine, its images and the containers a claim starts."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from labconform.docker import engine
from labconform.run import preparation
from steps import judged

RUNS = parsers.re(r'container "(?P<role>[^"]+)" runs the (?P<kind>.+?) image(?P<rm> with auto-removal)?')
CONTAINERS = preparation.declare("containers_ahead", RUNS)


@pytest.fixture(scope="session")
def containers_ahead(lab, ahead_steps) -> dict[str, Exception]:
    """Every container the selected claims start, started together when the first of them runs (the engine
    creates them side by side, and their Tomcats boot side by side instead of one after another); a container
    that would not start is left to its claim's own step, which tries again and says why (what it raised here
    is kept)."""
    wanted = {a["role"]: (a["kind"], bool(a["rm"])) for a in ahead_steps(CONTAINERS)}
    return lab.workloads_together(wanted)


@given(RUNS)
def _(lab, role, kind, rm):
    lab.workload(role, kind, auto_remove=bool(rm))


@given(parsers.parse('Tomcat in "{role}" has started'))
def _(lab, role):
    w = lab.docker.workloads[role]
    lab.docker.wait_started(w, lab.params.container_start_timeout_s)


@when(parsers.parse('"{role}" is stopped'))
def _(lab, role):
    lab.docker.stop(lab.docker.workloads[role])


judged(then, "the Docker daemon answers on its API", lambda lab: engine.judged_api(lab.docker))
judged(then, parsers.parse('Docker\'s cgroup driver is "{driver}"'),
       lambda lab, driver: engine.judged_cgroup_driver(lab.docker, driver))
judged(then, parsers.parse('the kernel release seen inside "{role}" is the host\'s kernel release'),
       lambda lab, role: engine.judged_kernel_inside(lab.docker, lab.docker.workloads[role], lab.target.facts.kernel))
judged(then, parsers.parse("the {kind} image is present on the host"),
       lambda lab, kind: engine.judged_image_present(lab.docker, kind, lab.image_ref(kind)))
judged(then, parsers.parse('the {kind} image sets "{name}" to "{value}"'),
       lambda lab, kind, name, value: engine.judged_image_env(lab.docker, lab.image_ref(kind), name, value))
judged(then, parsers.parse('no container "{role}" remains on the host'),
       lambda lab, role: engine.judged_gone(lab.docker, role))
judged(then, parsers.parse('"{path}" exists in "{role}"'),
       lambda lab, path, role: engine.judged_path_in(lab.docker, lab.docker.workloads[role], path))
judged(then, parsers.parse('the mytc image holds the build context\'s ROOT.war at "{path}"'),
       lambda lab, path: engine.judged_war(lab.target, lab.docker, lab.params.context_dir, lab.params.mytc_image, path))
judged(then, "the mytc image's layers are those of the base Tomcat image and one more, ROOT.war's",
       lambda lab: engine.judged_layered_on(lab.docker, lab.params.mytc_image, lab.params.tomcat_image))
