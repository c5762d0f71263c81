"""Services on the target: through systemd where it is the init, through labconform's supervisor elsewhere; and
judged as the document's claims say (a service enabled and running, a unit loaded from its file or run with
its drop-in, the docker group's user running a command)."""

from __future__ import annotations

from labconform.host import sysinfo
from labconform.judged import Judged
from labconform.transport.target import Target

RUN_DIR = "/run/labconform"


def pid_file_sh(path: str) -> str:
    """Shell that sets $pid to the process the pid file `path` names and succeeds only while that process is
    the one the file was written for: alive, and started no later than the file was written. A daemon killed
    with the rest of the lab host leaves its pid file, and the kernel may since have given that pid to any
    other process, which then started after the file. `path` holds %s, which target.run fills quoted:
    the shell is for target.run with arguments."""
    return (f'pid=$(cat {path} 2>/dev/null) && kill -0 "$pid" 2>/dev/null && up=$(ps -o etimes= -p "$pid") '
            f'&& [ $(( $(date +%%s) - up )) -le $(( $(stat -c %%Y {path}) + 2 )) ]')


def supervisor_pid(target: Target, name: str) -> int | None:
    """The pid of labconform's supervisor for `name`, when its pid file names a live supervisor (pid_file_sh)."""
    res = target.run(pid_file_sh(f"{RUN_DIR}/%s.supervisor.pid") + ' && grep -q supervise "/proc/$pid/cmdline"'
                     ' && echo "$pid"', name, name)
    return int(res.stdout) if res.ok else None


def supervisor_alive(target: Target, name: str) -> bool:
    """True when labconform's supervisor for `name` runs (its pid file names a live supervisor)."""
    return supervisor_pid(target, name) is not None


def service_state(target: Target, name: str) -> dict[str, object]:
    """enabled (starts with the host), active (running now), and how that was read."""
    if target.facts.systemd_is_init:
        enabled = target.run("systemctl is-enabled %s", name).stdout.strip()
        active = target.run("systemctl is-active %s", name).stdout.strip()
        return {
            "enabled": enabled == "enabled",
            "active": active == "active",
            "how": f"systemctl is-enabled {name} -> {enabled}; systemctl is-active {name} -> {active}",
        }
    alive = supervisor_alive(target, name)
    return {
        "enabled": alive,
        "active": alive,
        "how": f"systemd is not the init (PID 1 is {target.facts.init}); "
        f"labconform's supervisor for {name}: {'running' if alive else 'not running'}",
    }


UNIT_PROPERTIES = ("LoadState", "FragmentPath", "DropInPaths", "UnitFileState", "ActiveState", "ExecStart")


def unit(target: Target, name: str) -> dict[str, str]:
    """What systemd itself says of a unit (`systemctl show`): where it was loaded from, its drop-ins,
    whether it is enabled, its state and command line; plus the command that asked."""
    props = ",".join(UNIT_PROPERTIES)
    res = target.run("systemctl show --no-pager -p %s %s", props, name)
    found = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    found["command"] = res.command
    return found


def systemd_init(target: Target) -> Judged:
    """A precondition: systemd is PID 1; else the claim, about what systemd does, is not applicable here."""
    init = target.facts.init
    judged = Judged(init == "systemd", "the host's init", "systemd", init, "/proc/1/comm")
    if init != "systemd":
        judged.not_applicable = f"PID 1 is {init!r}, not systemd: this claim is about what systemd does"
        judged.details = {"init": init}
    return judged


def judged_service(target: Target, name: str) -> Judged:
    """Enabled (starts with the host) and running now. Where systemd is not the init, nothing starts a service
    at boot: one running under labconform's supervisor is not applicable, one not running fails."""
    state = service_state(target, name)
    init = target.facts.init
    judged = Judged(bool(state["enabled"] and state["active"]), f"{name} service", "enabled and running",
                    {"enabled": state["enabled"], "running": state["active"]}, str(state["how"]))
    if init != "systemd" and state["active"]:
        judged.not_applicable = (f"PID 1 is {init!r}, not systemd: nothing starts {name} at boot on this lab; it "
                                 "runs now under labconform's supervisor")
        judged.details = {"running": True, "how": state["how"]}
    return judged


def judged_unit_file(target: Target, name: str, path: str) -> Judged:
    """systemd loaded the unit `name`, from `path`; what else systemd says of it beside."""
    u = unit(target, name)
    how = u.pop("command")
    expected = {"LoadState": "loaded", "FragmentPath": path}
    found = {"LoadState": u.get("LoadState"), "FragmentPath": u.get("FragmentPath")}
    return Judged(expected == found, f"unit {name}", expected, found, how, details=u)


def judged_dropin(target: Target, name: str, dropin: str) -> Judged:
    """systemd runs the unit `name` (active) with the drop-in `<name>.d/<dropin>` among its DropInPaths."""
    u = unit(target, name)
    how = u.pop("command")
    dropins = u.get("DropInPaths", "").split()
    ok = f"/{name}.d/{dropin}" in "".join(f" {d}" for d in dropins) and u.get("ActiveState") == "active"
    return Judged(ok, f"unit {name}", {"drop-in": f".../{name}.d/{dropin}", "ActiveState": "active"},
                  {"DropInPaths": dropins, "ActiveState": u.get("ActiveState")}, how, details=u)


def judged_group_user(target: Target, user: str, group: str, *command: str) -> Judged:
    """A user other than root, in `group`, for whom `command` exits 0 (run as that user, never as root)."""
    r = sysinfo.group_user(target, user, group, *command)
    how = r.pop("command")
    shown = " ".join(command)
    return Judged(r["uid"] not in ("0", "no such user") and r["in_group"] and r["exit_status"] == 0,
                  f"user {user}", {"uid": "not 0", "groups": f"include {group}", shown: "exit 0"},
                  {"uid": r["uid"], "groups": r["groups"], shown: f"exit {r['exit_status']}"}, how, details=r)
