"""Steps about Tomcat in its containers: HTTP answers, the startup log, JSP compilation, memory."""

from __future__ import annotations

import statistics

import pytest
from pytest_bdd import given, parsers, then, when

from labconform import app, tomcat
from labconform.evidence import summary

COMPILED_JSP = "/usr/local/tomcat/work/Catalina/localhost/ROOT/org/apache/jsp/index_jsp.class"


@pytest.fixture
def answers() -> dict[str, list]:
    """HTTP answers a When step collected, per container, for the Then steps of the same claim."""
    return {}


@pytest.fixture
def starts() -> list:
    return []


def get_root(lab, role):
    """GET / on the run's container for `role`: the workload and the response."""
    w = lab.docker.workloads[role]
    return w, lab.http_get(lab.url_for(w))


@when(parsers.parse('GET / is sent to "{role}"'))
def _(lab, answers, role):
    w = lab.docker.workloads[role]
    answers.setdefault(role, []).append(lab.http_get(lab.url_for(w)))


@when(parsers.parse('GET / is sent to "{role}" {count:d} times'))
def _(lab, answers, role, count):
    w = lab.docker.workloads[role]
    answers.setdefault(role, []).extend(lab.http_get(lab.url_for(w)) for _ in range(count))


@when(parsers.parse("the mytc image is started {count:d} times, one after another"))
def _(lab, starts, count):
    starts.extend(lab.startup_samples(count))


@then(parsers.parse('GET / on "{role}" answers with status {status:d}'))
def _(lab, evidence, role, status):
    w, r = get_root(lab, role)
    evidence.equal(
        f"HTTP status from {w.name}",
        expected=status,
        found=r.status or r.error,
        how=f"GET {r.url}",
        response=r.evidence(),
    )


@then(parsers.parse('GET / on "{role}" answers "{greeting}" and the container\'s own hostname'))
def _(lab, evidence, role, greeting):
    w, r = get_root(lab, role)
    evidence.equal(
        f"answer from {w.name}",
        expected=f"{greeting}{w.hostname}",
        found=r.body.strip() or r.error,
        how=f"GET {r.url}",
        response=r.evidence(),
    )


@then(parsers.parse('the answer from "{role}" is "{media}" and sets no session cookie'))
def _(lab, evidence, role, media):
    w, r = get_root(lab, role)
    names = app.cookie_names(r.header("set-cookie"))
    found = {"Content-Type": r.header("content-type") or r.error or "none",
             "session": f"Set-Cookie names {', '.join(names)} (values not kept)" if names else "none set"}
    evidence.check(r.status == 200 and app.media_type(r.header("content-type")) == media and not r.header("set-cookie"),
                   f"answer headers from {w.name}", expected={"Content-Type": f"{media} (any charset)",
                                                              "session": "none set"},
                   found=found, how=f"GET {r.url}: the page directive's contentType and session=\"false\"",
                   response=r.evidence())


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


@then(parsers.parse('"java -version" in "{role}" reports the lab\'s Java release'))
def _(lab, evidence, role):
    evidence.judged(tomcat.judge_jvm(tomcat.jvm_of(lab.docker, lab.docker.workloads[role]), lab.params.jvm_major))


@then(parsers.parse('the JVM in "{role}" was started with "{arg}"'))
def _(lab, evidence, role, arg):
    args = tomcat.jvm_args(lab.docker.logs(lab.docker.workloads[role]))
    evidence.check(
        arg in args,
        "JVM command line arguments",
        expected=f"includes {arg}",
        found=args,
        how=f"'Command line argument' lines of docker logs {lab.docker.workloads[role].name}",
    )


@given(parsers.parse('"{role}" holds no compiled index.jsp yet'))
def _(lab, evidence, role):
    _compiled_jsp(lab, evidence, role, present=False)


@then(parsers.parse('"{role}" holds the compiled index.jsp'))
def _(lab, evidence, role):
    _compiled_jsp(lab, evidence, role, present=True)


def _compiled_jsp(lab, evidence, role, present):
    w = lab.docker.workloads[role]
    rc, out = lab.docker.exec(w, "ls", "-l", COMPILED_JSP)
    evidence.check(
        (rc == 0) == present,
        f"compiled JSP in {w.name}",
        expected="present" if present else "absent",
        found=out.strip() if rc == 0 else "absent",
        how=f"docker exec {w.name} ls -l {COMPILED_JSP}",
    )


@then(parsers.parse('the first answer from "{role}" was slower than the median of the later ones'))
def _(lab, evidence, answers, role):
    ms = [r.elapsed_ms for r in answers[role]]
    evidence.check(
        len(ms) > 2 and ms[0] > statistics.median(ms[1:]),
        "first request vs later ones",
        expected="first slower than the median of the rest",
        found={"first_ms": round(ms[0], 1), "later": summary(ms[1:])},
        how=f"{len(ms)} x GET / timed on the client",
        samples_ms=[round(m, 1) for m in ms],
    )


@then(parsers.parse('the median of the later answers from "{role}" is under {limit:d} ms'))
def _(lab, evidence, answers, role, limit):
    later = [r.elapsed_ms for r in answers[role][1:]]
    bodies_ok = all(r.status == 200 for r in answers[role])
    evidence.check(
        bodies_ok and statistics.median(later) < limit,
        "later requests",
        expected=f"all 200, median < {limit} ms",
        found={"statuses": sorted({r.status for r in answers[role]}, key=str), **summary(later)},
        how="GET / timed on the client",
        samples_ms=[round(m, 1) for m in later],
    )


@then(parsers.parse('every start logged "Server startup" in under {limit:d} seconds'))
def _(evidence, starts, limit):
    ms, waits = [s["server_startup_ms"] for s in starts], [s["ready_after_s"] for s in starts]
    evidence.check(
        max(ms) < limit * 1000,
        "Tomcat server startup",
        expected=f"every start < {limit * 1000} ms",
        found={"server_startup_ms": summary(ms), "from the container's start to that line, s, not judged": summary(
            waits) if None not in waits else waits, "from docker run, s, not judged": summary(
            [s["ready_after_run_s"] for s in starts]) if None not in waits else "-"},
        how="'Server startup in' line of each start's log (the figure the document reads), each start alone on a "
            "quiet host; beside it the user's waits by the engine's clock (docker logs --timestamps)",
        samples=starts,
    )


@then(parsers.parse("every start created its SecureRandom in under {limit:d} seconds"))
def _(evidence, starts, limit):
    logged = [s["secure_random_ms"] for s in starts]
    # not logged means it took at most the logging threshold
    ms = [v if v is not None else tomcat.SECURE_RANDOM_LOG_THRESHOLD_MS for v in logged]
    evidence.check(
        max(ms) < limit * 1000,
        "SecureRandom creation",
        expected=f"every start < {limit * 1000} ms",
        found={"logged_ms": logged, "upper_bounds_ms": summary(ms)},
        how=f"'Creation of SecureRandom' warnings; Tomcat logs one only above "
        f"{tomcat.SECURE_RANDOM_LOG_THRESHOLD_MS} ms, so a start without one took at most that",
        samples=starts,
    )


@then(parsers.parse('"{a}" and "{b}" listen on different host ports'))
def _(lab, evidence, a, b):
    wa, wb = lab.docker.workloads[a], lab.docker.workloads[b]
    evidence.check(
        wa.port and wb.port and wa.port != wb.port,
        "published host ports",
        expected="two different ports",
        found={wa.name: wa.port, wb.name: wb.port},
        how="docker port <container> 8080",
        document_ports=list(lab.params.document_ports),
    )


@then(parsers.parse('the hostnames of "{a}" and "{b}" differ'))
def _(lab, evidence, a, b):
    ha, hb = (lab.http_get(lab.url_for(lab.docker.workloads[r])).body.strip() for r in (a, b))
    evidence.check(
        ha != hb and ha.startswith(app.GREETING),
        "greetings of the two containers",
        expected="two different hostnames",
        found=[ha, hb],
        how="GET / on each",
    )


@then(parsers.parse('"{role}" uses under {limit:d} MiB of memory'))
def _(lab, evidence, role, limit):
    w = lab.docker.workloads[role]
    mem = lab.docker.memory_mib(w)
    evidence.check(
        mem["usage_mib"] < limit,
        f"memory of {w.name}",
        expected=f"< {limit} MiB",
        found=mem,
        how=f"docker stats {w.name} (usage less page cache, as docker stats shows it)",
    )
