"""The judging functions of the HTTP answers, the Hello application's build context and the Tomcat containers
(issue 12): status, body, headers, timings, the startup samples, ports, memory, the compiled JSP. Each judged
from fixed data or a fake of its read, as the step records it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from labconform.docker import engine, tomcat
from labconform.http import app
from labconform.http import client as http
from labconform.judged import Judged

URL = "http://127.0.0.1:8081/"


def shape(j: Judged) -> tuple[Any, ...]:
    return j.ok, j.what, j.expected, j.found, j.how, j.not_applicable, j.details, j.kinds


def answer(status: int | None = 200, body: str = "Hello, I am abc\n", ms: float = 5.0, error: str = "",
           **headers: str) -> http.Response:
    return http.Response(URL, status, body, ms, error=error,
                         headers={k.replace("_", "-"): v for k, v in headers.items()})


REFUSED = answer(None, "", 0.4, error="Connection refused")

# --- status, body, headers ---------------------------------------------------------------------------------


def test_the_status_is_judged_and_no_answer_is_found_as_its_error() -> None:
    r = answer(200)
    assert shape(http.judge_status(r, 200, "lc-run-mytc1")) == (
        True, "HTTP status from lc-run-mytc1", 200, 200, f"GET {URL}", "", {"response": r.evidence()}, {})
    assert not http.judge_status(answer(404), 200, "c").ok
    refused = http.judge_status(REFUSED, 200, "c")
    assert (refused.ok, refused.found) == (False, "Connection refused")
    assert refused.details["response"]["error"] == "Connection refused"


def test_the_body_is_judged_stripped_against_one_answer_or_any_of_several() -> None:
    j = http.judge_body(answer(), "answer from c", "Hello, I am abc")
    assert shape(j)[:5] == (True, "answer from c", "Hello, I am abc", "Hello, I am abc", f"GET {URL}")
    assert not http.judge_body(answer(body="Hello, I am xyz"), "a", "Hello, I am abc").ok
    assert http.judge_body(REFUSED, "a", "Hello, I am abc").found == "Connection refused"
    assert not http.judge_body(REFUSED, "a", "Hello, I am abc").ok
    pods = {"Hello, I am p1", "Hello, I am p2"}
    assert http.judge_body(answer(body="Hello, I am p2"), "a", "Hello, I am <one of [p1, p2]>", pods).ok
    assert not http.judge_body(answer(body="Hello, I am p3"), "a", "Hello, I am <one of [p1, p2]>", pods).ok


def test_headers_need_the_media_type_and_no_cookie_whose_value_is_never_kept() -> None:
    plain = answer(content_type="text/plain;charset=ISO-8859-1")
    j = app.judge_headers(plain, "text/plain", "c")
    assert shape(j)[:5] == (True, "answer headers from c", {"Content-Type": "text/plain (any charset)",
                                                           "session": "none set"},
                            {"Content-Type": "text/plain;charset=ISO-8859-1", "session": "none set"},
                            f"GET {URL}: the page directive's contentType and session=\"false\"")
    assert not app.judge_headers(answer(content_type="text/html"), "text/plain", "c").ok
    cookie = app.judge_headers(answer(content_type="text/plain", set_cookie="JSESSIONID=s3cr3t; Path=/"),
                               "text/plain", "c")
    assert not cookie.ok and cookie.found["session"] == "Set-Cookie names JSESSIONID (values not kept)"
    assert "s3cr3t" not in str(cookie.found)
    refused = app.judge_headers(REFUSED, "text/plain", "c")
    assert not refused.ok and refused.found["Content-Type"] == "Connection refused"
    assert not app.judge_headers(answer(500, content_type="text/plain"), "text/plain", "c").ok


def test_two_greetings_must_name_two_hostnames() -> None:
    j = app.judge_greetings_differ("Hello, I am a", "Hello, I am b")
    assert shape(j) == (True, "greetings of the two containers", "two different hostnames",
                        ["Hello, I am a", "Hello, I am b"], "GET / on each", "", {}, {})
    assert not app.judge_greetings_differ("Hello, I am a", "Hello, I am a").ok
    assert not app.judge_greetings_differ("", "Hello, I am b").ok  # no answer is no greeting


# --- timings -----------------------------------------------------------------------------------------------


def test_the_first_answer_must_be_slower_than_the_median_of_the_later_ones() -> None:
    j = http.judge_first_slower([answer(ms=m) for m in (250.04, 9.0, 12.0, 10.0)])
    assert shape(j) == (True, "first request vs later ones", "first slower than the median of the rest",
                        {"first_ms": 250.0, "later": {"n": 3, "median": 10.0, "max": 12.0, "min": 9.0}},
                        "4 x GET / timed on the client", "", {"samples_ms": [250.0, 9.0, 12.0, 10.0]}, {})
    assert not http.judge_first_slower([answer(ms=m) for m in (10.0, 9.0, 12.0, 10.0)]).ok
    two = http.judge_first_slower([answer(ms=50.0), answer(ms=5.0)])  # one later answer is no median to beat
    assert not two.ok and two.found["later"]["n"] == 1
    one = http.judge_first_slower([answer(ms=50.0)])
    assert (one.ok, one.found) == (False, "1 answer(s): nothing to compare")
    assert http.judge_first_slower([]).found == "0 answer(s): nothing to compare"


def test_the_later_answers_must_all_be_200_with_their_median_under_the_limit() -> None:
    answers = [answer(ms=300.0), answer(ms=8.0), answer(ms=12.06), answer(ms=10.0)]
    j = http.judge_later_median(answers, 50)
    assert shape(j) == (True, "later requests", "all 200, median < 50 ms",
                        {"statuses": [200], "n": 3, "median": 10.0, "max": 12.06, "min": 8.0},
                        "GET / timed on the client", "", {"samples_ms": [8.0, 12.1, 10.0]}, {})
    assert not http.judge_later_median(answers, 10).ok
    failed = http.judge_later_median([*answers, REFUSED], 50)
    assert not failed.ok and failed.found["statuses"] == [200, None]
    only_first = http.judge_later_median(answers[:1], 50)
    assert (only_first.ok, only_first.found) == (False, {"statuses": [200], "n": 0})


# --- the Tomcat containers ---------------------------------------------------------------------------------


class FakeDocker:
    def __init__(self, log: str = "", execs: dict[tuple[str, ...], tuple[int, str]] | None = None,
                 mem: float = 120.0) -> None:
        self.log, self.execs, self.mem = log, execs or {}, mem

    def logs(self, w: Any) -> str:
        return self.log

    def exec(self, w: Any, *cmd: str) -> tuple[int, str]:
        return self.execs.get(cmd, (2, "ls: cannot access: No such file or directory\n"))

    def memory_mib(self, w: Any) -> dict[str, float]:
        return {"usage_mib": self.mem, "limit_mib": 7900.0}


BOX = SimpleNamespace(name="lc-run-mytc1", port=49153)


def test_the_jvm_arguments_are_read_from_the_log_and_must_include_the_one_asked() -> None:
    log = "INFO Command line argument: -Djava.security.egd=file:/dev/./urandom\nINFO Command line argument: -Xmx1g\n"
    j = tomcat.judged_jvm_arg(FakeDocker(log), BOX, "-Djava.security.egd=file:/dev/./urandom")
    assert shape(j) == (True, "JVM command line arguments", "includes -Djava.security.egd=file:/dev/./urandom",
                        ["-Djava.security.egd=file:/dev/./urandom", "-Xmx1g"],
                        "'Command line argument' lines of docker logs lc-run-mytc1", "", {}, {})
    assert not tomcat.judged_jvm_arg(FakeDocker(log), BOX, "-Xms1g").ok
    assert tomcat.judged_jvm_arg(FakeDocker(""), BOX, "-Xmx1g").found == []


def test_the_compiled_jsp_is_judged_present_or_absent() -> None:
    line = f"-rw-r----- 1 root 4096 {tomcat.COMPILED_JSP}"
    listed = FakeDocker(execs={("ls", "-l", tomcat.COMPILED_JSP): (0, line + "\n")})
    present = tomcat.judged_compiled_jsp(listed, BOX, present=True)
    assert shape(present)[:5] == (True, "compiled JSP in lc-run-mytc1", "present", line,
                                  f"docker exec lc-run-mytc1 ls -l {tomcat.COMPILED_JSP}")
    assert not tomcat.judged_compiled_jsp(listed, BOX, present=False).ok
    absent = tomcat.judged_compiled_jsp(FakeDocker(), BOX, present=False)
    assert (absent.ok, absent.expected, absent.found) == (True, "absent", "absent")
    assert not tomcat.judged_compiled_jsp(FakeDocker(), BOX, present=True).ok


def start(n: int, startup_ms: int, secure_ms: int | None = None, waited: float | None = 1.5) -> dict[str, Any]:
    return {"start": n, "server_startup_ms": startup_ms, "ready_after_s": waited, "ready_after_run_s": 2.0,
            "secure_random_ms": secure_ms}


# two starts, and their summaries: the user's wait, the wait from docker run, Tomcat's figure
TWO_STARTS = [start(1, 900), start(2, 1100)]
WAIT = {"n": 2, "median": 1.5, "max": 1.5, "min": 1.5}
RUN = {"n": 2, "median": 2.0, "max": 2.0, "min": 2.0}
FIGURE = {"n": 2, "median": 1000.0, "max": 1100, "min": 900}


def test_every_start_must_log_server_startup_under_the_limit_with_the_waits_beside_it() -> None:
    j = tomcat.judge_startups(TWO_STARTS, 2)
    assert shape(j)[:4] == (True, "Tomcat server startup", "every start < 2000 ms", {
        "server_startup_ms": FIGURE, "from the container's start to that line, s": WAIT, "from docker run, s": RUN})
    assert j.details == {"samples": TWO_STARTS} and j.how.startswith("'Server startup in' line of each start's log")
    assert not tomcat.judge_startups([*TWO_STARTS, start(3, 2000)], 2).ok  # the limit itself is not under it
    unseen = tomcat.judge_startups([start(1, 900, waited=None)], 2)
    assert unseen.ok and unseen.found["from the container's start to that line, s"] == [None]
    assert unseen.found["from docker run, s"] == "-"
    none = tomcat.judge_startups([], 2)
    assert (none.ok, none.found["server_startup_ms"]) == (False, "no starts")


def test_every_start_must_be_ready_under_the_limit_from_its_containers_start() -> None:
    j = tomcat.judge_ready_waits(TWO_STARTS, 2)
    assert shape(j)[:4] == (True, "Tomcat ready after its start", "every start < 2 s", {
        "from the container's start to that line, s": WAIT, "from docker run, s": RUN,
        "server_startup_ms, Tomcat's own (rand-04)": FIGURE})
    assert j.details == {"samples": TWO_STARTS} and "StartedAt" in j.how
    # a slow entrypoint: Tomcat's own figure is fast, the user's wait is not
    slow = [start(1, 900), {**start(2, 900), "ready_after_s": 7.9}]
    assert tomcat.judge_startups(slow, 2).ok and not tomcat.judge_ready_waits(slow, 2).ok
    assert not tomcat.judge_ready_waits([{**start(1, 900), "ready_after_s": 2.0}], 2).ok  # the limit is not under it
    unseen = tomcat.judge_ready_waits([start(1, 900, waited=None)], 2)  # no stamped line: cannot pass
    assert not unseen.ok and unseen.found["from the container's start to that line, s"] == [None]
    none = tomcat.judge_ready_waits([], 2)
    assert (none.ok, none.found["from the container's start to that line, s"]) == (False, "no starts")


def test_securerandom_is_judged_by_its_logged_time_or_the_logging_threshold() -> None:
    starts = [start(1, 900, None), start(2, 900, 350)]
    j = tomcat.judge_secure_random(starts, 1)
    assert shape(j)[:4] == (True, "SecureRandom creation", "every start < 1000 ms", {
        "logged_ms": [None, 350], "upper_bounds_ms": {"n": 2, "median": 225.0, "max": 350, "min": 100}})
    assert j.details == {"samples": starts} and "only above 100 ms" in j.how
    assert not tomcat.judge_secure_random([*starts, start(3, 900, 12000)], 1).ok
    assert tomcat.judge_secure_random([start(1, 900, None)], 1).ok  # not logged: at most the threshold
    none = tomcat.judge_secure_random([], 1)
    assert (none.ok, none.found) == (False, {"logged_ms": [], "upper_bounds_ms": "no starts"})


def test_two_containers_need_two_different_published_ports() -> None:
    other = SimpleNamespace(name="lc-run-mytc2", port=49154)
    j = engine.judged_ports(BOX, other, (8081, 8082))
    assert shape(j) == (True, "published host ports", "two different ports",
                        {"lc-run-mytc1": 49153, "lc-run-mytc2": 49154}, "docker port <container> 8080", "",
                        {"document_ports": [8081, 8082]}, {})
    assert engine.judged_ports(BOX, BOX, ()).ok is False
    assert engine.judged_ports(BOX, SimpleNamespace(name="x", port=None), ()).ok is False


def test_memory_must_be_under_the_limit() -> None:
    j = engine.judged_memory(FakeDocker(mem=120.0), BOX, 256)
    assert shape(j) == (True, "memory of lc-run-mytc1", "< 256 MiB", {"usage_mib": 120.0, "limit_mib": 7900.0},
                        "docker stats lc-run-mytc1 (usage less page cache, as docker stats shows it)", "", {}, {})
    assert not engine.judged_memory(FakeDocker(mem=256.0), BOX, 256).ok


# --- the Hello application's build context -----------------------------------------------------------------


class FakeTarget:
    """A lab host of which only files are read."""

    def __init__(self, **files: bytes) -> None:
        self.files = files

    def read_bytes(self, path: str) -> bytes | None:
        return self.files.get(path)

    def read_text(self, path: str) -> str | None:
        data = self.files.get(path)
        return data.decode() if data is not None else None


def test_root_war_is_judged_present_and_its_files_read_or_none_when_absent() -> None:
    present, files = app.read_war(FakeTarget(**{"/ctx/ROOT.war": app.build_war()}), "/ctx")
    assert shape(present) == (True, "/ctx/ROOT.war", "present", "present", "read /ctx/ROOT.war on the lab host",
                              "", {}, {})
    assert files == app.WAR_ENTRIES
    absent, none = app.read_war(FakeTarget(), "/ctx")
    assert (absent.ok, absent.found, none) == (False, "absent", {})


def test_the_war_entries_and_the_context_path_are_judged() -> None:
    entries = app.judge_war_entries(app.WAR_ENTRIES, ["index.jsp", " META-INF/context.xml"])
    assert shape(entries)[:5] == (True, "files in ROOT.war", ["META-INF/context.xml", "index.jsp"],
                                  ["META-INF/context.xml", "index.jsp"], "unzip -l ROOT.war")
    assert not app.judge_war_entries({**app.WAR_ENTRIES, "extra.txt": ""}, ["index.jsp", "META-INF/context.xml"]).ok
    ctx = app.judge_context_path(app.WAR_ENTRIES, "META-INF/context.xml")
    assert shape(ctx) == (True, "Context path in META-INF/context.xml", "", "", "parse META-INF/context.xml from "
                          "ROOT.war", "", {"content": app.CONTEXT_XML}, {})
    assert app.judge_context_path({"c.xml": '<Context path="/hello"/>'}, "c.xml").found == "/hello"
    assert app.judge_context_path({"c.xml": "<Server/>"}, "c.xml").ok is False  # not a Context: None, not ""
    missing = app.judge_context_path({}, "c.xml")
    assert (missing.ok, missing.found, missing.details) == (False, "c.xml absent", {"content": None})


def test_a_file_is_the_documents_text_but_for_trailing_white_space() -> None:
    j = app.judge_text("/ctx/Dockerfile", app.dockerfile("tomcat:10") + "  \n\n", app.dockerfile("tomcat:10"),
                       "cat /ctx/Dockerfile")
    assert shape(j)[:3] == (True, "/ctx/Dockerfile", app.dockerfile("tomcat:10"))
    assert not app.judge_text("f", app.dockerfile("tomcat:9"), app.dockerfile("tomcat:10"), "cat f").ok
    absent = app.judge_text("f", None, app.INDEX_JSP, "cat f")
    assert (absent.ok, absent.found, absent.how) == (False, "absent", "cat f")


def test_the_page_directive_is_judged_by_its_two_attributes() -> None:
    j = app.judge_page_directive(app.INDEX_JSP, "index.jsp", "text/plain", "false")
    assert shape(j)[:5] == (True, "page directive of index.jsp", {"contentType": "text/plain", "session": "false"},
                            {"contentType": "text/plain", "session": "false"}, "<%@page ...%> of the JSP")
    assert not app.judge_page_directive(app.INDEX_JSP, "index.jsp", "text/html", "false").ok
    absent = app.judge_page_directive(None, "index.jsp", "text/plain", "false")
    assert (absent.ok, absent.found) == (False, {"contentType": None, "session": None})


def test_root_war_must_be_made_of_the_files_under_root() -> None:
    root = {"/ctx/ROOT/index.jsp": app.INDEX_JSP.encode(), "/ctx/ROOT/META-INF/context.xml": app.CONTEXT_XML.encode()}
    j = app.judged_war_matches_root(FakeTarget(**root), dict(app.WAR_ENTRIES), "/ctx/ROOT")
    assert shape(j)[:5] == (True, "ROOT.war against /ctx/ROOT/", {"entries": ["META-INF/context.xml", "index.jsp"],
                                                                  "same as ROOT/": True},
                            {"entries": ["META-INF/context.xml", "index.jsp"],
                             "same as ROOT/": {"META-INF/context.xml": True, "index.jsp": True}},
                            "each entry of ROOT.war compared with the file under /ctx/ROOT/")
    changed = app.judged_war_matches_root(FakeTarget(**{**root, "/ctx/ROOT/index.jsp": b"<% %>"}),
                                          dict(app.WAR_ENTRIES), "/ctx/ROOT")
    assert not changed.ok and changed.found["same as ROOT/"]["index.jsp"] is False
    extra = app.judged_war_matches_root(FakeTarget(**root), {**app.WAR_ENTRIES, "x": ""}, "/ctx/ROOT")
    assert not extra.ok


def test_the_waits_to_server_startup_are_read_from_the_engines_stamps() -> None:
    stamped = ("2026-12-04T16:00:01.100000000Z 04-Dec-2026 INFO Starting Servlet engine\n"
               "2026-12-04T16:00:02.600000000Z 04-Dec-2026 INFO Server startup in [912] milliseconds\n")
    w = SimpleNamespace(container=SimpleNamespace(attrs={
        "Created": "2026-12-04T16:00:00.300000000Z", "State": {"StartedAt": "2026-12-04T16:00:00.900000000Z"}}))
    assert tomcat.ready_waits(w, stamped) == (1.7, 2.3)
    assert tomcat.ready_waits(w, stamped.splitlines(keepends=True)[0]) == (None, None)
    assert tomcat.startup_ms(tomcat.unstamped(stamped)) == 912
    assert tomcat.unstamped(stamped).startswith("04-Dec-2026 INFO Starting Servlet engine\n04-Dec-2026 INFO Server")
