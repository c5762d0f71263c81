"""Steps about Tomcat in its containers: HTTP answers, the startup log, JSP compilation, memory."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from labconform.docker import engine, tomcat
from labconform.http import app
from labconform.http import client as http
from labconform.run import preparation
from steps import judged

STARTED = parsers.parse("the mytc image is started {count:d} times, one after another")
STARTUPS = preparation.declare("startup_samples", STARTED)


@pytest.fixture
def answers() -> dict[str, list]:
    """HTTP answers a When step collected, per container, for the Then steps of the same claim."""
    return {}


@pytest.fixture
def starts() -> list:
    return []


@pytest.fixture(scope="session")
def startup_samples(lab, ahead_steps) -> list[dict] | Exception:
    """The mytc image's starts, measured once for every selected claim that reads them, as many as the
    most any of them asks, when the first of them runs (they are @alone: before the other containers)."""
    count = max(args["count"] for args in ahead_steps(STARTUPS))
    return preparation.outcome(lambda: tomcat.measure_starts(lab.docker, lab.params.mytc_image, count,
                                                       lab.params.container_start_timeout_s))


def get_root(lab, role):
    """GET / on the run's container for `role`: the workload and the response."""
    w = lab.docker.workloads[role]
    return w, lab.http_get(lab.url_for(w))


def send(lab, answers, role, count):
    """GET / `count` times, one after another, on the run's container for `role`; each answer kept in order."""
    w = lab.docker.workloads[role]
    answers.setdefault(role, []).extend(lab.http_get_many(lab.url_for(w), count))


@when(parsers.parse('GET / is sent to "{role}"'))
def _(lab, answers, role):
    send(lab, answers, role, 1)


@when(parsers.parse('GET / is sent to "{role}" {count:d} times'))
def _(lab, answers, role, count):
    send(lab, answers, role, count)


@when(STARTED)
def _(starts, startup_samples, count):
    starts.extend(preparation.value(startup_samples)[:count])


@then(parsers.parse('GET / on "{role}" answers with status {status:d}'))
def _(lab, evidence, role, status):
    w, r = get_root(lab, role)
    evidence.judged(http.judge_status(r, status, w.name))


@then(parsers.parse('GET / on "{role}" answers "{greeting}" and the container\'s own hostname'))
def _(lab, evidence, role, greeting):
    w, r = get_root(lab, role)
    evidence.judged(http.judge_body(r, f"answer from {w.name}", f"{greeting}{w.hostname}"))


@then(parsers.parse('the answer from "{role}" is "{media}" and sets no session cookie'))
def _(lab, evidence, role, media):
    w, r = get_root(lab, role)
    evidence.judged(app.judge_headers(r, media, w.name))


@then(parsers.parse('the startup log of "{role}" reports the lab\'s Tomcat release on the lab\'s Java release'))
def _(lab, evidence, role):
    w, p = lab.docker.workloads[role], lab.params
    evidence.judged(tomcat.judge_startup(tomcat.startup_release(lab.docker.logs(w)), p.tomcat_version, p.jvm_major,
                                         w.name))


@then(parsers.parse('Tomcat\'s own ServerInfo in the {kind} image names release "{release}"'))
def _(lab, evidence, kind, release):
    info = tomcat.image_server_info(lab.docker, lab.image_ref(kind))
    evidence.judged(tomcat.judge_release(info, release, kind))


@then(parsers.parse("Tomcat's own ServerInfo in the {kind} image names the lab's Tomcat release"))
def _(lab, evidence, kind):
    info = tomcat.image_server_info(lab.docker, lab.image_ref(kind))
    evidence.judged(tomcat.judge_release(info, lab.params.tomcat_version, kind, pinned=True))


judged(then, parsers.parse('"java -version" in "{role}" reports the lab\'s Java release'),
       lambda lab, role: tomcat.judge_jvm(tomcat.jvm_of(lab.docker, lab.docker.workloads[role]), lab.params.jvm_major))
judged(then, parsers.parse('the JVM in "{role}" was started with "{arg}"'),
       lambda lab, role, arg: tomcat.judged_jvm_arg(lab.docker, lab.docker.workloads[role], arg))
judged(given, parsers.parse('"{role}" holds no compiled index.jsp yet'),
       lambda lab, role: tomcat.judged_compiled_jsp(lab.docker, lab.docker.workloads[role], present=False))
judged(then, parsers.parse('"{role}" holds the compiled index.jsp'),
       lambda lab, role: tomcat.judged_compiled_jsp(lab.docker, lab.docker.workloads[role], present=True))
judged(then, parsers.parse('the first answer from "{role}" was slower than the median of the later ones'),
       lambda lab, answers, role: http.judge_first_slower(answers[role]))
judged(then, parsers.parse('the median of the later answers from "{role}" is under {limit:d} ms'),
       lambda lab, answers, role, limit: http.judge_later_median(answers[role], limit))
judged(then, parsers.parse("every start was ready in under {limit:d} seconds from its container's start"),
       lambda starts, limit: tomcat.judge_ready_waits(starts, limit))
judged(then, parsers.parse('every start logged "Server startup" in under {limit:d} seconds'),
       lambda starts, limit: tomcat.judge_startups(starts, limit))
judged(then, parsers.parse("every start created its SecureRandom in under {limit:d} seconds"),
       lambda starts, limit: tomcat.judge_secure_random(starts, limit))
judged(then, parsers.parse('"{a}" and "{b}" listen on different host ports'),
       lambda lab, a, b:
       engine.judged_ports(lab.docker.workloads[a], lab.docker.workloads[b], lab.params.document_ports))


@then(parsers.parse('the hostnames of "{a}" and "{b}" differ'))
def _(lab, evidence, a, b):
    ha, hb = (lab.http_get(lab.url_for(lab.docker.workloads[r])).body.strip() for r in (a, b))
    evidence.judged(app.judge_greetings_differ(ha, hb))


judged(then, parsers.parse('"{role}" uses under {limit:d} MiB of memory'),
       lambda lab, role, limit: engine.judged_memory(lab.docker, lab.docker.workloads[role], limit))
