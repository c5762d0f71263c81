"""Steps about the lab host itself: reaching it, its init, its packages and services."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.host import hostsoftware, selinux, services
from steps import judged, precondition


@given("the lab host")
def _(lab):
    """The target answered (the `lab` fixture probes it once per run)."""


precondition(given, "systemd is the host's init", lambda lab: services.systemd_init(lab.target))
# one Judged each
judged(then, "the Docker engine packages of the host's family are installed",
       lambda lab: hostsoftware.engine_packages(lab.target))
judged(then, parsers.parse('the package "{name}" is not installed'),
       lambda lab, name: hostsoftware.judged_absent(lab.target, name))
judged(then, parsers.parse('the "{name}" service is enabled and running'),
       lambda lab, name: services.judged_service(lab.target, name))
judged(then, parsers.parse('systemd loads "{name}" from "{path}"'),
       lambda lab, name, path: services.judged_unit_file(lab.target, name, path))
judged(then, parsers.parse('systemd runs "{name}" with the drop-in "{dropin}"'),
       lambda lab, name, dropin: services.judged_dropin(lab.target, name, dropin))
judged(then, parsers.parse('the non-root user "{user}" of the "{group}" group runs "docker ps"'),
       lambda lab, user, group: services.judged_group_user(lab.target, user, group, "docker", "ps"))
judged(then, parsers.parse('the SELinux boolean "{name}" is on now and persistently'),
       lambda lab, name: selinux.judged_boolean(lab.target, name))
judged(then, "SELinux is enforcing now and at boot, with the container policy installed",
       lambda lab: selinux.judged_retained(lab.target))
