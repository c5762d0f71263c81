"""Steps about the lab host itself: reaching it, its init, its packages and services."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform import selinux, sysinfo
from labconform.packages import docker_engine
from labconform.services import service_state, unit


@given("the lab host")
def _(lab):
    """The target answered (the `lab` fixture probes it once per run)."""


@given("systemd is the host's init")
def _(lab, evidence):
    init = lab.target.facts.init
    if init != "systemd":
        evidence.not_applicable(f"PID 1 is {init!r}, not systemd: this claim is about what systemd does", init=init)


@then("the Docker engine packages of the host's family are installed")
def _(lab, evidence):
    family = lab.target.facts.family
    for pkg in docker_engine(family):
        version = lab.target.package_version(pkg)
        evidence.check(
            version is not None,
            f"package {pkg} ({family} family)",
            expected="installed",
            found=version or "not installed",
            how=f"package query for {pkg}",
        )


@then(parsers.parse('the package "{name}" is not installed'))
def _(lab, evidence, name):
    version = lab.target.package_version(name)
    evidence.check(
        version is None,
        f"package {name}",
        expected="not installed",
        found=f"installed {version}" if version else "not installed",
        how=f"package query for {name}",
    )


@then(parsers.parse('the "{name}" service is enabled and running'))
def _(lab, evidence, name):
    state = service_state(lab.target, name)
    init = lab.target.facts.init
    if init != "systemd" and state["active"]:
        evidence.not_applicable(f"PID 1 is {init!r}, not systemd: nothing starts {name} at boot on this lab; it runs "
                                "now under labconform's supervisor", running=True, how=state["how"])
    evidence.check(
        bool(state["enabled"] and state["active"]),
        f"{name} service",
        expected="enabled and running",
        found={"enabled": state["enabled"], "running": state["active"]},
        how=str(state["how"]),
    )


@then(parsers.parse('systemd loads "{name}" from "{path}"'))
def _(lab, evidence, name, path):
    u = unit(lab.target, name)
    evidence.equal(f"unit {name}", expected={"LoadState": "loaded", "FragmentPath": path},
                   found={"LoadState": u.get("LoadState"), "FragmentPath": u.get("FragmentPath")},
                   how=u.pop("command"), **u)


@then(parsers.parse('systemd runs "{name}" with the drop-in "{dropin}"'))
def _(lab, evidence, name, dropin):
    u = unit(lab.target, name)
    dropins = u.get("DropInPaths", "").split()
    evidence.check(f"/{name}.d/{dropin}" in "".join(f" {d}" for d in dropins) and u.get("ActiveState") == "active",
                   f"unit {name}", expected={"drop-in": f".../{name}.d/{dropin}", "ActiveState": "active"},
                   found={"DropInPaths": dropins, "ActiveState": u.get("ActiveState")}, how=u.pop("command"), **u)


@then(parsers.parse('the non-root user "{user}" of the "{group}" group runs "docker ps"'))
def _(lab, evidence, user, group):
    r = sysinfo.group_user(lab.target, user, group, "docker", "ps")
    evidence.check(r["uid"] not in ("0", "no such user") and r["in_group"] and r["exit_status"] == 0,
                   f"user {user}", expected={"uid": "not 0", "groups": f"include {group}", "docker ps": "exit 0"},
                   found={"uid": r["uid"], "groups": r["groups"], "docker ps": f"exit {r['exit_status']}"},
                   how=r.pop("command"), **r)


@then(parsers.parse('the SELinux boolean "{name}" is on now and persistently'))
def _(lab, evidence, name):
    evidence.judged(selinux.judged_boolean(lab.target, name))


@then("SELinux is enforcing now and at boot, with the container policy installed")
def _(lab, evidence):
    evidence.judged(selinux.judged_retained(lab.target))
