"""Docker CE: the engine for the host's family, no podman/buildah, the cgroup driver, the daemon up."""

from __future__ import annotations

import json
import shlex

from labconform.errors import WaitTimeout
from labconform.host.docker_packages import CLASHING_WITH_DOCKER, docker_engine
from labconform.host.services import RUN_DIR, pid_file_sh, supervisor_alive, supervisor_pid, unit
from labconform.poll import until
from provision.core import FILES, LIBEXEC, Step, StepFailed, put_script

RUNC_WRAPPER = f"{LIBEXEC}/runc-wrapper"
SUPERVISE = f"{LIBEXEC}/supervise.sh"
DAEMON_JSON = "/etc/docker/daemon.json"
WRAPPER_RUNTIME = "labconform-runc"
# this host's own processes only: a lab node's dockerd (a container's) shows in the host's process list too,
# and signalling it took the node's Docker down (CI found the node's docker.service failed)
OWN_PIDNS = "--ns $$ --nslist pid"

DOCKER_CE_REPO = "https://download.docker.com/linux/centos/docker-ce.repo"


def desired_daemon_json(ctx) -> dict:
    """daemon.json as the lab wants it: the document's systemd driver where systemd is the init,
    the runc wrapper only where CAP_SYS_RESOURCE is missing, and live-restore so that a daemon
    restart on the shared lab does not take its containers (and the cluster) down. Other keys are kept."""
    current = {}
    text = ctx.state.text(DAEMON_JSON)
    if text:
        try:
            current = json.loads(text)
        except json.JSONDecodeError:
            current = {}
    want = dict(current)
    facts = ctx.state.facts
    opts = [o for o in want.get("exec-opts", []) if not o.startswith("native.cgroupdriver=")]
    if facts.systemd_is_init:
        opts.append("native.cgroupdriver=systemd")
    if opts:
        want["exec-opts"] = opts
    else:
        want.pop("exec-opts", None)
    want["live-restore"] = True
    if facts.lacks_sys_resource:
        want.setdefault("runtimes", {})[WRAPPER_RUNTIME] = {"path": RUNC_WRAPPER}
        want["default-runtime"] = WRAPPER_RUNTIME
    else:
        want.get("runtimes", {}).pop(WRAPPER_RUNTIME, None)
        if want.get("default-runtime") == WRAPPER_RUNTIME:
            want.pop("default-runtime")
        if want.get("runtimes") == {}:
            want.pop("runtimes")
    return want


def steps(ctx) -> list[Step]:
    """The engine for the host's family, in the document's order: its packages, no podman or buildah, the runc
    wrapper where the capability is missing, daemon.json, the unit files (systemd), the daemon up, the user."""
    facts = ctx.state.facts
    wrapper = [runc_wrapper_step(ctx)] if facts.lacks_sys_resource else []
    units = [unit_files_step(ctx)] if facts.systemd_is_init else []
    return [engine_packages_step(ctx), no_clash_step(ctx), *wrapper, daemon_json_step(ctx), *units,
            service_step(ctx), docker_user_step(ctx)]


def engine_packages_step(ctx) -> Step:
    family = ctx.state.facts.family
    pkgs = docker_engine(family)

    def check() -> tuple[bool, str]:
        missing = [p for p in pkgs if not ctx.state.package(p)]
        return (not missing, f"missing: {' '.join(missing)}" if missing else f"installed: {' '.join(pkgs)}")

    if family == "rhel":
        cmds = (f"dnf config-manager --add-repo={DOCKER_CE_REPO}",
                "dnf -y install docker-ce docker-ce-cli containerd.io")
    else:
        cmds = (f"apt-get install -y {' '.join(pkgs)}",)
    return Step("docker engine packages", ("docker-01",), check, lambda: ctx.sh(*cmds), cmds)


def no_clash_step(ctx) -> Step:
    def check() -> tuple[bool, str]:
        present = [p for p in CLASHING_WITH_DOCKER if ctx.state.package(p)]
        return (not present, f"installed: {' '.join(present)}" if present else "podman and buildah absent")

    rhel = ctx.state.facts.family == "rhel"
    cmds = ("dnf -y erase podman buildah",) if rhel else ("apt-get remove -y podman buildah",)
    return Step("no podman or buildah", ("docker-02",), check, lambda: ctx.sh(*cmds), cmds)


def runc_wrapper_step(ctx) -> Step:
    """Only where CAP_SYS_RESOURCE is missing (the lab double): runc behind a wrapper that drops it."""

    def check() -> tuple[bool, str]:
        want = (FILES / "runc-wrapper").read_text()
        ok = ctx.state.text(RUNC_WRAPPER) == want
        return ok, "runc wrapper in place" if ok else f"{RUNC_WRAPPER} missing or outdated"

    return Step("runc wrapper (CAP_SYS_RESOURCE missing)", ("docker-05",), check,
                lambda: put_script(ctx, "runc-wrapper"), (f"install -m 755 runc-wrapper {RUNC_WRAPPER}",))


def daemon_json_step(ctx) -> Step:
    def check() -> tuple[bool, str]:
        want = desired_daemon_json(ctx)
        text = ctx.state.text(DAEMON_JSON)
        try:
            have = json.loads(text) if text else None
        except json.JSONDecodeError:
            have = "(not JSON)"
        if have == want:
            return True, f"{DAEMON_JSON} as wanted: {json.dumps(want)}"
        return False, f"{DAEMON_JSON} = {json.dumps(have)}; want {json.dumps(want)}"

    return Step("daemon.json", ("docker-03",), check,
                lambda: ctx.put(DAEMON_JSON, (json.dumps(desired_daemon_json(ctx), indent=2) + "\n").encode()),
                (f"write {DAEMON_JSON}",))


UNIT_DIR = "/etc/systemd/system"
DOCKER_UNITS = ("docker.service", "docker.socket")
# the document's name for the non-root user who runs Docker
DOCKER_USER = "otheruser"


def unit_files_step(ctx) -> Step:
    """docker.service and docker.socket in /etc/systemd/system, where systemd prefers them to the package's.
    The document fetches moby's own; the package ships the same units with the family's paths to dockerd."""
    pkg_dir = "/usr/lib/systemd/system" if ctx.state.facts.family == "rhel" else "/lib/systemd/system"

    def check() -> tuple[bool, str]:
        missing = [u for u in DOCKER_UNITS if ctx.state.raw(f"{UNIT_DIR}/{u}") is None]
        if not missing and not ctx.state.recorded:  # and what systemd loads them from (daemon-reload done)
            missing = [u for u in DOCKER_UNITS if unit(ctx.target, u).get("FragmentPath") != f"{UNIT_DIR}/{u}"]
        return not missing, f"{' and '.join(DOCKER_UNITS)} loaded from {UNIT_DIR}" if not missing else \
            f"not loaded from {UNIT_DIR}: {' '.join(missing)}"

    cmds = (*(f"cp {pkg_dir}/{u} {UNIT_DIR}/{u}" for u in DOCKER_UNITS), "systemctl daemon-reload")
    if ctx.state.facts.family == "rhel":
        cmds = (f"cd {UNIT_DIR}", *(f"wget https://raw.githubusercontent.com/moby/moby/master/contrib/init/systemd/{u}"
                                  for u in DOCKER_UNITS), "systemctl daemon-reload")

    def apply() -> None:
        for u in DOCKER_UNITS:
            data = ctx.state.raw(f"{pkg_dir}/{u}")
            if data is None:
                raise StepFailed(f"{pkg_dir}/{u} absent: is the engine package installed?")
            ctx.put(f"{UNIT_DIR}/{u}", data)
        ctx.sh("systemctl daemon-reload")

    return Step("docker.service and docker.socket in /etc/systemd/system", ("docker-06",), check, apply, cmds)


def docker_user_step(ctx) -> Step:
    def check() -> tuple[bool, str]:
        ok = "docker" in (ctx.state.user_groups(DOCKER_USER) or [])
        return ok, f"{DOCKER_USER} in the docker group" if ok else f"{DOCKER_USER} absent or not in the docker group"

    cmds = (f"useradd -m {DOCKER_USER}  (when absent)", f"usermod -aG docker {DOCKER_USER}")

    def apply() -> None:
        if ctx.state.user_groups(DOCKER_USER) is None:
            ctx.sh(f"useradd -m -s /bin/bash {DOCKER_USER}")
        ctx.sh(f"usermod -aG docker {DOCKER_USER}")

    return Step("a non-root user in the docker group", ("docker-07",), check, apply, cmds)


def _daemon_matches_config(ctx) -> tuple[bool, str]:
    info = ctx.state.docker_info()
    if info is None:
        return False, "docker daemon not answering"
    want = desired_daemon_json(ctx)
    want_driver = "systemd" if ctx.state.facts.systemd_is_init else "cgroupfs"
    want_runtime = want.get("default-runtime", "runc")
    want_live = bool(want.get("live-restore"))
    found = (
        f"cgroup driver {info.get('CgroupDriver')}, default runtime {info.get('DefaultRuntime')}, "
        f"live-restore {info.get('LiveRestoreEnabled')}"
    )
    ok = (
        info.get("CgroupDriver") == want_driver
        and info.get("DefaultRuntime") == want_runtime
        and bool(info.get("LiveRestoreEnabled")) == want_live
    )
    return ok, found if ok else f"{found}; want {want_driver}, {want_runtime}, live-restore {want_live}"


def service_step(ctx) -> Step:
    facts = ctx.state.facts

    def check() -> tuple[bool, str]:
        svc = ctx.state.service("docker")
        if not (svc["enabled"] and svc["active"]):
            how = "systemd" if facts.systemd_is_init else "labconform's supervisor"
            return False, f"docker not enabled and running under {how}"
        return _daemon_matches_config(ctx)

    if facts.systemd_is_init:
        cmds = ("systemctl daemon-reload", "systemctl enable docker", "systemctl restart docker")
    else:
        cmds = (f"{SUPERVISE} docker /usr/sbin/dockerd  (in the background)",)

    def apply() -> None:
        svc = ctx.state.service("docker")
        if svc["active"] and ctx.state.docker_info() is not None:
            # runtimes, default-runtime and live-restore reload without a restart (SIGHUP):
            # the shared lab's containers stay up
            ctx.target.run(f"pkill {OWN_PIDNS} -HUP -x dockerd")

            def reloaded() -> bool:
                ctx.state.forget()
                return _daemon_matches_config(ctx)[0]

            try:
                until(reloaded, timeout=10, what="docker config reloaded")
                return
            except WaitTimeout:
                ctx.say("a reload was not enough; restarting the daemon")
        if facts.systemd_is_init:
            ctx.sh(*cmds)
        else:
            restart_supervised(ctx, "docker", "/usr/sbin/dockerd")
        ctx.state.forget()
        until(ctx.state.docker_info, timeout=60, interval=0.5, what="docker daemon answering")
        ctx.state.forget()

    return Step("docker daemon enabled and running", ("docker-04",), check, apply, cmds)


def restart_supervised(ctx, name: str, *command: str) -> None:
    """(Re)start a daemon under labconform's supervisor, where systemd cannot run it."""
    t = ctx.target
    put_script(ctx, "supervise.sh")
    stop_supervised(ctx, name)
    line = shlex.join([SUPERVISE, name, *command])
    res = t.run(f"setsid nohup {line} </dev/null >/dev/null 2>&1 & echo started")
    if not res.ok:
        raise StepFailed(f"cannot start the {name} supervisor: {res.stderr.strip()}")
    until(lambda: supervisor_alive(t, name), timeout=10, what=f"{name} supervisor up")


def stop_supervised(ctx, name: str, timeout: float = 30) -> None:
    """Stop the supervisor and its daemon; wait until the daemon's process has gone. A pid file whose process
    is not the one it was written for (pid_file_sh) is stale: nothing is signalled through it."""
    t = ctx.target
    daemon = pid_file_sh(f"{RUN_DIR}/%s.pid")
    sup = supervisor_pid(t, name)
    if sup is not None:
        t.run("kill -TERM %s", str(sup))

    def gone() -> bool:
        if not t.run(daemon, name, name).ok:
            return True
        if not supervisor_alive(t, name):  # a daemon whose supervisor was killed: nothing else will stop it
            t.run(daemon + ' && kill -TERM "$pid"', name, name)
        return False

    until(gone, timeout=timeout, what=f"{name} stopped")
    t.run(f"rm -f {RUN_DIR}/%s.pid {RUN_DIR}/%s.supervisor.pid", name, name)
    if name == "docker":
        # a dockerd left by an earlier session (not under this supervisor) would hold the socket
        t.run(
            f"pkill {OWN_PIDNS} -TERM -x dockerd; "
            f"for i in $(seq 50); do pgrep {OWN_PIDNS} -x dockerd >/dev/null || exit 0; sleep 0.2; done; exit 1",
            timeout=20,
        )
