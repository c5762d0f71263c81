"""Docker on the target: images, the run's own containers, and their clean-up."""

from __future__ import annotations

import re
import shlex
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import docker
import docker.errors
import requests.exceptions

from labconform.docker.container_io import archive_file, container_logs
from labconform.errors import ClaimFailed, Conclusive, WaitTimeout
from labconform.poll import until
from labconform.transport.target import Target

RUN_LABEL = "org.labconform.run"
ROLE_LABEL = "org.labconform.role"
LOCAL_SOCKET = "unix:///var/run/docker.sock"
STARTUP_LINE = re.compile(r"Server startup in \[?([\d,]+)\]? ?milliseconds")
API_TIMEOUT = 30
ENGINE_SILENCE_S = 5  # an engine silent this long while a claim waits on it ends the wait
REAPER_GIVES_UP_S = 900


def scratch_dir(run_name: str) -> str:
    """The folder on the lab host for a run's temporary files; the reaper removes it."""
    return f"/tmp/labconform-{run_name}"


def reaper_script(run_name: str, give_up_s: int = REAPER_GIVES_UP_S) -> str:
    """The lab host's own clean-up of a run, started as the run first reaches the lab: it waits for
    end of input (the run finished, died, or lost its SSH connection), removes the run's scratch
    folder, then the containers carrying the run's label. An engine that does not answer then
    (dockerd stopped: live-restore keeps the containers running) is tried again every 2 s,
    detached, for up to `give_up_s`; a host without the docker command has no containers to remove."""
    label = shlex.quote(f"{RUN_LABEL}={run_name}")
    retry = (
        f"end=$(( $(date +%s) + {int(give_up_s)} )); "
        f"while [ $(date +%s) -lt $end ]; do "
        f"if ids=$(docker ps -aq --filter label={label} 2>/dev/null); then "
        f'[ -z "$ids" ] && exit 0; docker rm -f $ids >/dev/null 2>&1; fi; sleep 2; done'
    )
    scratch = shlex.quote(scratch_dir(run_name))
    # a hang-up or a lost link must not stop it: HUP, INT and PIPE are ignored. TERM is what a lab host that
    # shuts down sends (the reboot claims): then one bounded try and no retry loop, which would otherwise be
    # started after the only TERM and hold the shutdown for its whole stop timeout (it did: 90 s)
    once = (f"rm -rf {scratch}; ids=$(timeout 10 docker ps -aq --filter label={label} 2>/dev/null) && "
            f'[ -n "$ids" ] && timeout 10 docker rm -f $ids >/dev/null 2>&1; exit 0')
    return (f"trap '' HUP INT PIPE; trap {shlex.quote(once)} TERM; cat >/dev/null; rm -rf {scratch}; "
            f"command -v docker >/dev/null || exit 0; "
            f"setsid sh -c {shlex.quote(retry)} </dev/null >/dev/null 2>&1 &")


class DockerUnavailable(ClaimFailed):
    """The engine does not answer: every Docker claim fails, naming where it looked."""


class EngineSilent(DockerUnavailable, Conclusive):
    """The engine has not answered for ENGINE_SILENCE_S: a claim waiting on it stops waiting."""


@dataclass
class Workload:
    """A container this run started: its role in the claims, its real name and its published port."""

    role: str
    name: str
    image: str
    container: Any
    port: int | None
    auto_remove: bool
    started_wall: float  # time.time() when `docker run` returned
    started_mono: float  # time.monotonic() just before `docker run` was sent
    ready: dict[str, Any] = field(default_factory=dict)

    @property
    def hostname(self) -> str:
        return self.container.attrs["Config"]["Hostname"]


class DockerLab:
    """The Docker engine of one target, reached once per run (a local socket, or over SSH)."""

    def __init__(self, target: Target, run_name: str) -> None:
        self.target = target
        self.run_name = run_name
        self.workloads: dict[str, Workload] = {}
        self._lock = threading.Lock()
        self._reaper: subprocess.Popen[bytes] | None = None  # the local lab's; a remote one's is the session's
        self._reaper_started = False
        self.unreachable_at_cleanup: str | None = None  # the engine's error when the run's end could not clean
        self._silent_since: float | None = None  # the first of the engine's failures since it last answered

    @cached_property
    def base_url(self) -> str:
        if self.target.is_local:
            return LOCAL_SOCKET
        if self.target.session is not None:
            # the engine's socket forwarded over the target's one SSH connection
            return "unix://" + self.target.docker_socket()
        u = self.target.url
        user = f"{u.username}@" if u.username else ""
        port = f":{u.port}" if u.port else ""
        return f"ssh://{user}{u.hostname}{port}"

    @cached_property
    def client(self) -> docker.DockerClient:
        self.start_reaper()
        with self.api("connect"):
            return docker.DockerClient(
                base_url=self.base_url,
                timeout=API_TIMEOUT,
                use_ssh_client=self.base_url.startswith("ssh://"),
                version="auto",
            )

    def start_reaper(self) -> None:
        """Whatever ends the run (SIGKILL, a lost SSH connection, a stopped engine), the lab host
        itself removes this run's scratch folder and containers. Once per run."""
        with self._lock:
            if self._reaper_started:
                return
            self._reaper_started = True
        reaper = reaper_script(self.run_name)
        if self.target.session is not None:
            self.target.session.keep(self.target.host.backend.get_command(f"sh -c {shlex.quote(reaper)}"))
        elif self.target.is_local:
            self._reaper = subprocess.Popen(["sh", "-c", reaper], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True)

    def restart_reaper(self) -> None:
        """After the lab host rebooted: a new reaper there for what the run still makes."""
        with self._lock:
            self._reaper_started = False
        self.start_reaper()

    @contextmanager
    def api(self, what: str) -> Iterator[None]:
        """Turn a transport failure into one clear claim failure that names the engine's address. A
        blip is waited out by a claim that polls; an engine silent for ENGINE_SILENCE_S ends its wait."""
        try:
            yield
        except docker.errors.NotFound:
            raise
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            if isinstance(exc, docker.errors.APIError) and exc.status_code and exc.status_code < 500:
                raise
            self.target.check_alive(grace=1.0)  # a lost SSH connection: the claim is an error naming the target
            now = time.monotonic()
            self._silent_since = self._silent_since or now
            message = f"[{self.target.name}] docker engine not answering at {self.base_url} during {what}: {exc}"
            if now - self._silent_since >= ENGINE_SILENCE_S:
                raise EngineSilent(f"{message} (silent for {now - self._silent_since:.0f} s)") from exc
            raise DockerUnavailable(message) from exc
        self._silent_since = None

    def ping(self) -> dict[str, Any]:
        with self.api("ping"):
            self.client.ping()
            return self.client.version()

    def info(self) -> dict[str, Any]:
        with self.api("docker info"):
            return self.client.info()

    def image(self, ref: str) -> dict[str, Any] | None:
        with self.api(f"docker image inspect {ref}"):
            try:
                return self.client.images.get(ref).attrs
            except docker.errors.ImageNotFound:
                return None

    def images(self, refs: list[str]) -> dict[str, dict[str, Any] | None]:
        """`image(ref)` of each, asked side by side: over a slow link the wait is one round trip, not one each."""
        with ThreadPoolExecutor(max_workers=min(8, len(refs) or 1)) as pool:
            return dict(zip(refs, pool.map(self.image, refs), strict=True))

    def image_file(self, ref: str, path: str) -> bytes | None:
        """A file's bytes from an image, read from a created (never started) container."""
        with self.one_off(ref, "read", ["true"], f"read {path} from {ref}") as c:
            try:
                return archive_file(c, path)
            except docker.errors.NotFound:
                return None

    @contextmanager
    def one_off(self, image: str, role: str, command: list[str], what: str) -> Iterator[Any]:
        """A container of `image` that is none of the run's workloads (a file to read, a program to run):
        created, not started, with the run's label and a name of the run's; removed however the block ends."""
        with self.api(what):
            c = self.client.containers.create(image, command, name=f"{self.run_name}-{role}-{int(time.time() * 1000)}",
                                              labels={RUN_LABEL: self.run_name})
            try:
                yield c
            finally:
                c.remove(force=True)

    # --- the run's own containers -------------------------------------------------------------

    def container_name(self, role: str) -> str:
        return f"{self.run_name}-{role}"

    def start(
        self, role: str, image: str, *, auto_remove: bool = False, port: int = 8080, env: dict[str, str] | None = None
    ) -> Workload:
        """docker run -d with a unique name, the run's label and a host port Docker picks free."""
        name = self.container_name(role)
        with self.api(f"docker run {image}"):
            t0 = time.monotonic()
            c = self.client.containers.run(
                image,
                detach=True,
                name=name,
                auto_remove=auto_remove,
                labels={RUN_LABEL: self.run_name, ROLE_LABEL: role},
                ports={f"{port}/tcp": ("0.0.0.0", None)},
                environment=env or {},
            )
            wall = time.time()
            c.reload()
        host_port = None
        bindings = (c.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []
        if bindings:
            host_port = int(bindings[0]["HostPort"])
        w = Workload(role, name, image, c, host_port, auto_remove, wall, t0)
        with self._lock:
            self.workloads[role] = w
        return w

    def ensure(self, role: str, image: str, *, auto_remove: bool = False) -> Workload:
        """The run's container for `role`, started on first use (claims may share one)."""
        with self._lock:
            w = self.workloads.get(role)
        return w if w is not None else self.start(role, image, auto_remove=auto_remove)

    def logs(self, w: Workload, timestamps: bool = False) -> str:
        with self.api(f"docker logs {w.name}"):
            return container_logs(w.container, timestamps=timestamps).decode("utf-8", errors="replace")

    def wait_started(self, w: Workload, timeout: float) -> dict[str, Any]:
        """Wait (bounded) for Tomcat's "Server startup in [N] ms" line; the first request is not sent,
        so the JSP stays uncompiled for the claims that time it. The log is followed, not polled, where the
        transport lets a request be closed at the bound: the line is seen when the engine has it, at the cost
        of one request however long Tomcat takes. Elsewhere (the SDK's own ssh:// transport) it is read every
        0.2 s, as it is again after a follow that ended early."""
        if w.ready:
            return w.ready
        deadline = time.monotonic() + timeout
        last: object = None
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                m, log = self.follow(w, STARTUP_LINE, remaining)
                if m is not None:
                    break
                last = log[-200:]
                if self.status(w) in ("exited", "dead", "gone"):
                    raise ClaimFailed(f"[{self.target.name}] {w.name} exited before Tomcat started:\n{log[-2000:]}")
            except Conclusive:
                raise
            except docker.errors.NotFound:
                raise ClaimFailed(f"[{self.target.name}] {w.name} was gone before Tomcat started") from None
            except DockerUnavailable as exc:
                last = exc  # a blip of the engine: followed again while time remains
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        else:
            raise ClaimFailed(f"[{self.target.name}] {WaitTimeout(f'Tomcat startup in {w.name}', timeout, last)}")
        w.ready = {
            "tomcat_startup_ms": int(m.group(1).replace(",", "")),
            "seen_after_s": round(time.monotonic() - w.started_mono, 3),
        }
        return w.ready

    def follow(self, w: Workload, pattern: re.Pattern[str], timeout: float) -> tuple[re.Match[str] | None, str]:
        """Read `w`'s log as the engine writes it, over one request, until a line matches `pattern`, the log
        ends (the container stopped, or the connection dropped) or `timeout` runs out (the request is closed
        then). Returns the match, or None, and the log read so far. The SDK's own ssh:// transport cannot close
        a request from another thread: there the log is read once as it is."""
        if self.base_url.startswith("ssh://"):
            text = self.logs(w)
            return pattern.search(text), text
        with self.api(f"docker logs --follow {w.name}"):
            stream = container_logs(w.container, follow=True)

        def cancel() -> None:
            with suppress(Exception):  # closed already
                stream.close()

        timer = threading.Timer(timeout, cancel)
        timer.daemon = True
        timer.start()
        text, scanned = "", 0
        try:
            with self.api(f"docker logs --follow {w.name}"):
                for chunk in stream:
                    text += chunk.decode("utf-8", errors="replace")
                    start = text.rfind("\n", 0, scanned) + 1  # a line may arrive in two chunks
                    if m := pattern.search(text, start):
                        return m, text
                    scanned = len(text)
        finally:
            timer.cancel()
            cancel()
        return None, text

    def status(self, w: Workload) -> str:
        with self.api(f"docker inspect {w.name}"):
            try:
                w.container.reload()
            except docker.errors.NotFound:
                return "gone"
            return w.container.status

    def container(self, name: str) -> dict[str, Any] | None:
        """`docker inspect` of a container by name or id (any container of the engine, not only this run's)."""
        with self.api(f"docker inspect {name}"):
            try:
                return self.client.containers.get(name).attrs
            except docker.errors.NotFound:
                return None

    def exists(self, name: str) -> bool:
        return self.container(name) is not None

    def wait_gone(self, name: str, timeout: float) -> bool:
        try:
            until(lambda: not self.exists(name), timeout=timeout, what=f"{name} removed")
            return True
        except WaitTimeout:
            return False

    def exec(self, w: Workload, *cmd: str) -> tuple[int, str]:
        with self.api(f"docker exec {w.name}"):
            rc, out = w.container.exec_run(list(cmd))
            return rc, out.decode("utf-8", errors="replace")

    def memory_mib(self, w: Workload) -> dict[str, float]:
        """Memory as `docker stats` counts it: usage less the page cache (cgroup v1) or inactive files (v2)."""
        with self.api(f"docker stats {w.name}"):
            stats = w.container.stats(stream=False, one_shot=True)  # no second sample: memory needs none
        mem = stats.get("memory_stats") or {}
        usage = mem.get("usage", 0)
        s = mem.get("stats") or {}
        cache = s.get("total_inactive_file", s.get("inactive_file", s.get("cache", 0)))
        return {"usage_mib": round((usage - cache) / 2**20, 1), "raw_usage_mib": round(usage / 2**20, 1)}

    def stop(self, w: Workload, timeout: int = 10) -> None:
        with self.api(f"docker stop {w.name}"), suppress(docker.errors.NotFound):
            w.container.stop(timeout=timeout)

    def remove(self, w: Workload) -> None:
        with self.api(f"docker rm -f {w.name}"), suppress(docker.errors.NotFound):
            w.container.remove(force=True)
        with self._lock:
            self.workloads.pop(w.role, None)

    def cleanup(self) -> list[str]:
        """Remove every container carrying this run's label, and only those; then let the lab
        host's reaper go (it checks once more, and keeps trying if the engine did not answer)."""
        removed: list[str] = []
        self.unreachable_at_cleanup = None
        failed: list[Exception] = []
        engine_errors = (docker.errors.DockerException, requests.exceptions.RequestException, OSError)

        def remove(c: Any) -> None:
            try:
                c.remove(force=True)
                removed.append(c.name)
            except docker.errors.NotFound:
                pass
            except engine_errors as exc:
                failed.append(exc)

        if "client" in self.__dict__:  # else the run made no container: the engine never answered it, or was not asked
            try:  # side by side: each removal waits for its container's processes to die
                ours = self.client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={self.run_name}"})
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(remove, ours))
            except engine_errors as exc:
                failed.append(exc)
        if failed:
            self.unreachable_at_cleanup = f"{type(failed[0]).__name__}: {failed[0]}"
        self.workloads.clear()
        if self._reaper is not None:
            try:
                self._reaper.communicate(timeout=10)  # end of input; the retrying part is detached
            except subprocess.TimeoutExpired:
                self._reaper.kill()
            self._reaper = None
        return removed
