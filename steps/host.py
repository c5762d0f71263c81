"""Steps about the lab host itself: reaching it, its init, its packages and services."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.packages import docker_engine
from labconform.services import service_state


@given("the lab host")
def _(lab):
    """The target answered (the `lab` fixture probes it once per run)."""


@given("systemd is the host's init")
def _(lab, evidence):
    init = lab.target.facts.init
    if init != "systemd":
        evidence.not_applicable(f"PID 1 is {init!r}, not systemd: there is no systemd cgroup driver to use", init=init)


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
    evidence.check(
        bool(state["enabled"] and state["active"]),
        f"{name} service",
        expected="enabled and running",
        found={"enabled": state["enabled"], "running": state["active"]},
        how=str(state["how"]),
    )
