"""What Tomcat says about itself: its startup log, its ServerInfo and its JVM's version, read as data."""

from __future__ import annotations

import io
import re
import tarfile
import time
import zipfile
from datetime import datetime
from typing import Any

import docker.errors

from labconform.docker import jvms
from labconform.docker.containers import DockerLab, Workload
from labconform.evidence import summary
from labconform.http.app import CATALINA_HOME
from labconform.judged import Judged
from labconform.params import matches_release

SERVER_VERSION = re.compile(r"Server version name:\s*(.+)")
SERVER_NUMBER = re.compile(r"Server version number:\s*(\S+)")
JVM_VERSION = re.compile(r"JVM Version:\s*(.+)")
# the first line of `java -version`: openjdk version "17.0.19" 2025-10-21 (java version "1.8.0_292" before 9)
JAVA_VERSION = re.compile(r'version "([^"]+)"')
# what org.apache.catalina.util.ServerInfo reads: Tomcat's own name and number, written when it was built
SERVER_INFO = "org/apache/catalina/util/ServerInfo.properties"
JVM_ARG = re.compile(r"Command line argument:\s*(\S+)")
STARTUP = re.compile(r"Server startup in \[?([\d,]+)\]? ?milliseconds")
# SessionIdGeneratorBase.createSecureRandom warns with the time taken only above 100 ms
SECURE_RANDOM = re.compile(r"Creation of SecureRandom instance .*? took \[([\d,]+)\] milliseconds")
SECURE_RANDOM_LOG_THRESHOLD_MS = 100


def _ms(text: str) -> int:
    return int(text.replace(",", ""))


def first(pattern: re.Pattern[str], log: str) -> str | None:
    m = pattern.search(log)
    return m.group(1).strip() if m else None


def jvm_args(log: str) -> list[str]:
    return JVM_ARG.findall(log)


def startup_ms(log: str) -> int | None:
    v = first(STARTUP, log)
    return _ms(v) if v else None


def secure_random_ms(log: str) -> int | None:
    """The logged creation time, or None when Tomcat did not log it (it took 100 ms or less)."""
    v = first(SECURE_RANDOM, log)
    return _ms(v) if v else None


def ready_waits(w: Workload, stamped: str) -> tuple[float | None, float | None]:
    """What a user waits, in seconds, to Tomcat's "Server startup" line: from the container's start (judged:
    an entrypoint's delay before the JVM counts, Docker's own work to create the container does not), and
    from its creation (`docker run`, shown beside it). All stamps are the engine's clock: the line's in
    `stamped` (`docker logs --timestamps`), the container's Created and StartedAt as its start read them back;
    no polling interval or client clock counts."""
    line = next((ln for ln in stamped.splitlines() if STARTUP.search(ln)), None)
    if line is None:
        return None, None
    created, started = w.container.attrs["Created"], w.container.attrs["State"]["StartedAt"]
    ready = datetime.fromisoformat(line.split(" ", 1)[0])
    return (round((ready - datetime.fromisoformat(started)).total_seconds(), 3),
            round((ready - datetime.fromisoformat(created)).total_seconds(), 3))


def unstamped(stamped: str) -> str:
    """A `docker logs --timestamps` text without the engine's stamp before each line."""
    return "\n".join(ln.split(" ", 1)[-1] if " " in ln else "" for ln in stamped.split("\n"))


def measure_starts(docker: DockerLab, image: str, count: int, timeout: float) -> list[dict[str, Any]]:
    """Start `image` `count` times, one after another, each alone: it starts once no other JVM on the lab
    host is starting and the host's CPU is not saturated (labconform.docker.jvms), and a start beside which another
    JVM started is taken again (at most DISCARDS times, then the claims cannot be evaluated).

    Each sample: the time from `docker run` to Tomcat's "Server startup" line by the engine's clock (what a
    user waits), Tomcat's own "Server startup in" figure (the JVM's part of it), the same wait as this run
    saw it (polling the log), and the SecureRandom creation time when Tomcat logged one.
    """
    samples: list[dict[str, Any]] = []
    discarded: list[dict[str, Any]] = []
    while len(samples) < count:
        waited_for = jvms.await_quiet(docker.target)
        sample, beside = _one_start(docker, image, len(samples) + len(discarded) + 1, timeout)
        sample["waited for before it"] = waited_for
        if not beside:
            samples.append({**sample, "discarded before it": discarded[-DISCARDS:] if discarded else "none"})
            continue
        discarded.append({**sample, "JVMs started beside it": beside})
        if len(discarded) > DISCARDS:
            raise RuntimeError(f"{len(discarded)} Tomcat starts had another JVM start beside them; the last: "
                               f"{beside}: a start is not timed beside another JVM's")
    return samples


DISCARDS = 3


def _one_start(docker: DockerLab, image: str, n: int, timeout: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One start of `image`, and the other JVMs that started on the host while it did."""
    w = docker.start(f"startup-{n}", image)
    try:
        ready = docker.wait_started(w, timeout)
        stamped = docker.logs(w, timestamps=True)
        log = unstamped(stamped)
        own = w.container.attrs["State"]["Pid"]  # catalina.sh execs the JVM: the container's first process
        beside = jvms.young_jvms(docker.target, ready["seen_after_s"] + 1, frozenset({own}))
        return {
            "start": n,
            "container": w.name,
            **dict(zip(("ready_after_s", "ready_after_run_s"), ready_waits(w, stamped), strict=True)),
            "server_startup_ms": ready["tomcat_startup_ms"],
            "run_to_startup_s": ready["seen_after_s"],
            "secure_random_ms": secure_random_ms(log),
            "secure_random_line": first(re.compile(r"(Creation of SecureRandom.*)"), log),
            "at": time.strftime("%H:%M:%S"),
        }, beside
    finally:
        docker.remove(w)


# --- the release: Tomcat's own ServerInfo and the JVM's own version -----------------------------------


def server_info(jar: bytes) -> dict[str, str]:
    """server.info, server.number and server.built of a catalina.jar (ServerInfo.properties), as Tomcat's
    `version.sh` prints them; {} when the archive holds no ServerInfo."""
    try:
        with zipfile.ZipFile(io.BytesIO(jar)) as zf:
            text = zf.read(SERVER_INFO).decode("iso-8859-1")  # .properties files are Latin-1
    except (zipfile.BadZipFile, KeyError):
        return {}
    props = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return {k: props[k] for k in ("server.info", "server.number", "server.built") if k in props}


def java_version(output: str) -> str | None:
    """The version `java -version` reports ("17.0.19"), or None when its output holds none."""
    return first(JAVA_VERSION, output)


def java_major(version: str | None) -> int | None:
    """The major release of a Java version: 17 for "17.0.19+10-1-deb12u2-Debian" or "17", 8 for "1.8.0_292"."""
    m = re.match(r"(\d+)(?:\.(\d+))?", (version or "").strip())
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def image_env(image: dict[str, Any] | None) -> dict[str, str]:
    return dict(e.split("=", 1) for e in ((image or {}).get("Config") or {}).get("Env") or [] if "=" in e)


def _read_followed(container: Any, path: str, hops: int = 8) -> tuple[bytes | None, str]:
    """A file's bytes from a container and the path they were read at. A symlink (the offline image's lib/
    links into Debian's /usr/share) is followed: the engine names its target resolved inside the container."""
    for _ in range(hops):
        try:
            stream, stat = container.get_archive(path)
        except docker.errors.NotFound:
            return None, path
        data = b"".join(stream)
        target = (stat or {}).get("linkTarget")
        if target and target != path:
            path = target
            continue
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.next()
            f = tar.extractfile(member) if member is not None and member.isfile() else None
            return (f.read() if f else None), path
    return None, path


def image_server_info(docker_lab: DockerLab, ref: str) -> dict[str, Any]:
    """Tomcat's ServerInfo in an image, read from its catalina.jar (under the image's CATALINA_HOME) through a
    container that is created and never started: {image, jar, read_at, server.info, server.number, ...}."""
    img = docker_lab.image(ref)
    if img is None:
        return {"image": f"{ref} absent"}
    home = image_env(img).get("CATALINA_HOME") or CATALINA_HOME
    jar = f"{home}/lib/catalina.jar"
    with docker_lab.one_off(ref, "serverinfo", ["true"], f"read {jar} from {ref}") as c:
        data, read_at = _read_followed(c, jar)
    if data is None:
        return {"image": ref, "jar": f"{jar} absent"}
    info = server_info(data)
    return {"image": ref, "jar": jar, "read_at": read_at, **(info or {"server.info": "no ServerInfo.properties"})}


def judge_release(info: dict[str, Any], release: str, kind: str, pinned: bool = False) -> Judged:
    """Whether the ServerInfo read from the catalina.jar of the `kind` image names Tomcat `release` (its number
    starts with it); the ServerInfo goes with it, and the lab's parameter when `release` is the pinned one."""
    number = info.get("server.number")
    return Judged(matches_release(number, release), f"Tomcat in the {kind} image",
                  f"a server.number of Tomcat {release} ({release}[.*])", number or info,
                  f"{SERVER_INFO} in {info.get('jar', 'catalina.jar')} of {info.get('image')}, "
                  "read from a created container (docker cp)",
                  details={"server_info": info, **({"parameter": {"tomcat_version": release}} if pinned else {})})


def jvm_of(docker_lab: DockerLab, w: Workload) -> dict[str, Any]:
    """`java -version` inside a running container, with the java that Tomcat's scripts pick there
    ($JAVA_HOME/bin/java when the image sets JAVA_HOME, else java on the PATH)."""
    java_home = image_env(w.container.attrs).get("JAVA_HOME")
    java = f"{java_home}/bin/java" if java_home else "java"
    rc, out = docker_lab.exec(w, java, "-version")
    version = java_version(out) if rc == 0 else None
    return {"java": java, "exit": rc, "output": out.strip(), "version": version, "major": java_major(version),
            "how": f"docker exec {w.name} {java} -version"}


def judge_jvm(jvm: dict[str, Any], major: int) -> Judged:
    """Whether `java -version` (as `jvm_of` read it) reports the lab's Java `major`; its output goes with it."""
    return Judged(jvm["major"] == major, "the JVM's major release", f"Java {major}",
                  f"Java {jvm['major']} ({jvm['version']})" if jvm["major"] else jvm["output"] or "no output",
                  jvm["how"], details={"output": jvm["output"], "parameter": {"jvm_major": major}})


def startup_release(log: str) -> dict[str, Any]:
    """What Tomcat's startup log says it runs on: the server's name and number, and the JVM's version."""
    jvm = first(JVM_VERSION, log)
    return {"server": first(SERVER_VERSION, log), "number": first(SERVER_NUMBER, log), "jvm": jvm,
            "jvm_major": java_major(jvm)}


def judge_startup(seen: dict[str, Any], release: str, major: int, container: str) -> Judged:
    """Whether the startup log (docker logs `container`) reports Tomcat `release` on Java `major`, as the
    document saw it (10.0.10, 16)."""
    ok = matches_release(seen["number"], release) and seen["jvm_major"] == major
    return Judged(ok, "Tomcat and Java at startup", {"Tomcat": release, "Java": major},
                  {"Tomcat": seen["number"] or "no 'Server version number' line",
                   "Java": seen["jvm_major"] or "no 'JVM Version' line",
                   "lines": {"Server version name": seen["server"], "JVM Version": seen["jvm"]}},
                  f"'Server version number' and 'JVM Version' lines of docker logs {container}",
                  details={"parameters": {"tomcat_version": release, "jvm_major": major}})


# --- the JVM's arguments, the compiled JSP and the startup timings, judged --------------------------------

COMPILED_JSP = f"{CATALINA_HOME}/work/Catalina/localhost/ROOT/org/apache/jsp/index_jsp.class"


def judged_jvm_arg(docker_lab: DockerLab, w: Workload, arg: str) -> Judged:
    """Whether the JVM in `w` was started with `arg`, by the 'Command line argument' lines of its log."""
    args = jvm_args(docker_lab.logs(w))
    return Judged(arg in args, "JVM command line arguments", f"includes {arg}", args,
                  f"'Command line argument' lines of docker logs {w.name}")


def judged_compiled_jsp(docker_lab: DockerLab, w: Workload, present: bool) -> Judged:
    """Whether Jasper's class of index.jsp is in `w` (`present`) or not yet: the first request compiles it."""
    rc, out = docker_lab.exec(w, "ls", "-l", COMPILED_JSP)
    return Judged((rc == 0) == present, f"compiled JSP in {w.name}", "present" if present else "absent",
                  out.strip() if rc == 0 else "absent", f"docker exec {w.name} ls -l {COMPILED_JSP}")


USER_WAIT = "from the container's start to that line, s"
RUN_WAIT = "from docker run, s"


def _waits(starts: list[dict[str, Any]]) -> tuple[bool, dict[str, Any]]:
    """Whether every start has the user's waits, and both of them as found (a summary, or what was seen)."""
    waits = [s["ready_after_s"] for s in starts]
    timed = bool(waits) and None not in waits
    runs = [s["ready_after_run_s"] for s in starts]
    return timed, {USER_WAIT: summary(waits) if timed else (waits or "no starts"),
                   RUN_WAIT: summary(runs) if timed else "-"}


def judge_ready_waits(starts: list[dict[str, Any]], limit: int) -> Judged:
    """Whether every start was ready (its "Server startup" line) under `limit` seconds after its container
    started, by the engine's clock: what a user waits, an entrypoint's delay included. Tomcat's own figure
    (rand-04 judges it) and the wait from docker run go beside it."""
    timed, found = _waits(starts)
    ms = [s["server_startup_ms"] for s in starts]
    found["server_startup_ms, Tomcat's own (rand-04)"] = summary(ms) if ms else "no starts"
    return Judged(timed and max(s["ready_after_s"] for s in starts) < limit, "Tomcat ready after its start",
                  f"every start < {limit} s", found,
                  "each start alone on a quiet host: the container's StartedAt to the \"Server startup\" line's "
                  "stamp (docker inspect; docker logs --timestamps), both the engine's clock",
                  details={"samples": starts})


def judge_startups(starts: list[dict[str, Any]], limit: int) -> Judged:
    """Whether every start's 'Server startup in' figure (the JVM's part, the figure the document reads) is under
    `limit` seconds; the user's waits (rand-01 judges them) go beside it."""
    ms = [s["server_startup_ms"] for s in starts]
    found = {"server_startup_ms": summary(ms) if ms else "no starts", **_waits(starts)[1]}
    return Judged(bool(ms) and max(ms) < limit * 1000, "Tomcat server startup", f"every start < {limit * 1000} ms",
                  found, "'Server startup in' line of each start's log (the figure the document reads), each start "
                  "alone on a quiet host; beside it the user's waits by the engine's clock (docker logs --timestamps)",
                  details={"samples": starts})


def judge_secure_random(starts: list[dict[str, Any]], limit: int) -> Judged:
    """Whether every start created its SecureRandom in under `limit` seconds. Tomcat logs the time only above
    SECURE_RANDOM_LOG_THRESHOLD_MS, so a start without the line took at most that."""
    logged = [s["secure_random_ms"] for s in starts]
    ms = [v if v is not None else SECURE_RANDOM_LOG_THRESHOLD_MS for v in logged]
    return Judged(bool(ms) and max(ms) < limit * 1000, "SecureRandom creation", f"every start < {limit * 1000} ms",
                  {"logged_ms": logged, "upper_bounds_ms": summary(ms) if ms else "no starts"},
                  f"'Creation of SecureRandom' warnings; Tomcat logs one only above "
                  f"{SECURE_RANDOM_LOG_THRESHOLD_MS} ms, so a start without one took at most that",
                  details={"samples": starts})
