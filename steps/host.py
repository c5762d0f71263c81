"""Steps about the lab host itself: reaching it, its init, its packages and services."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.host import hostsoftware, selinux, services


@given("the lab host")
def _(lab):
    """The target answered (the `lab` fixture probes it once per run)."""


@given("systemd is the host's init")
def _(lab, evidence):
    evidence.applicable(services.systemd_init(lab.target))


@then("the Docker engine packages of the host's family are installed")
def _(lab, evidence):
    for judged in hostsoftware.engine_packages(lab.target):
        evidence.judged(judged)


@then(parsers.parse('the package "{name}" is not installed'))
def _(lab, evidence, name):
    evidence.judged(hostsoftware.judged_absent(lab.target, name))


@then(parsers.parse('the "{name}" service is enabled and running'))
def _(lab, evidence, name):
    evidence.judged(services.judged_service(lab.target, name))


@then(parsers.parse('systemd loads "{name}" from "{path}"'))
def _(lab, evidence, name, path):
    evidence.judged(services.judged_unit_file(lab.target, name, path))


@then(parsers.parse('systemd runs "{name}" with the drop-in "{dropin}"'))
def _(lab, evidence, name, dropin):
    evidence.judged(services.judged_dropin(lab.target, name, dropin))


@then(parsers.parse('the non-root user "{user}" of the "{group}" group runs "docker ps"'))
def _(lab, evidence, user, group):
    evidence.judged(services.judged_group_user(lab.target, user, group, "docker", "ps"))


@then(parsers.parse('the SELinux boolean "{name}" is on now and persistently'))
def _(lab, evidence, name):
    evidence.judged(selinux.judged_boolean(lab.target, name))


@then("SELinux is enforcing now and at boot, with the container policy installed")
def _(lab, evidence):
    evidence.judged(selinux.judged_retained(lab.target))
