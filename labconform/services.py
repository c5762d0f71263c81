"""Services on the target: through systemd where it is the init, through labconform's supervisor elsewhere."""

from __future__ import annotations

from labconform.target import Target

RUN_DIR = "/run/labconform"


def supervisor_alive(target: Target, name: str) -> bool:
    """True when labconform's supervisor for `name` runs (its pid file names a live supervisor)."""
    return target.run(
        f'pid=$(cat {RUN_DIR}/%s.supervisor.pid 2>/dev/null) && kill -0 "$pid" 2>/dev/null'
        " && grep -q supervise /proc/$pid/cmdline",
        name,
    ).ok


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
