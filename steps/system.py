"""Steps about the host the document prepares: family, size, clock, updates, packages, Perl, name."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform import hostsoftware, sysinfo


@given("the host is of the RHEL family")
def _(lab, evidence):
    f = lab.target.facts
    if f.family != "rhel":
        evidence.not_applicable(f"the host is {f.pretty_name or f.os_id} ({f.family} family): this claim names "
                                "Rocky's own (dnf, EPEL); the others check the family's equivalents",
                                os_id=f.os_id, version_id=f.version_id)


@then(parsers.parse('the host\'s major version is "{major}"'))
def _(lab, evidence, major):
    f = lab.target.facts
    evidence.equal("major version", expected=major, found=f.major_version, how="/etc/os-release VERSION_ID",
                   os=f.pretty_name)


@then(parsers.parse("the host has at least {cores:d} cores, {mem:d} GB of memory and {disk:d} GB of disk"))
def _(lab, evidence, cores, mem, disk):
    r, how = sysinfo.resources(lab.target)
    found = {"cores": r.cores, "memory GB": round(r.memory_bytes / 1e9, 2), "disk GB": round(r.disk_bytes / 1e9, 1)}
    evidence.check(r.cores >= cores and r.memory_bytes >= mem * 1e9 and r.disk_bytes >= disk * 1e9, "host size",
                   expected={"cores": f">= {cores}", "memory GB": f">= {mem}", "disk GB": f">= {disk}"},
                   found=found, how=how, disks=r.disks, root_filesystem_bytes=r.rootfs_bytes)


@then("the clock is synchronised by chrony or timesyncd")
def _(lab, evidence):
    c = sysinfo.clock(lab.target)
    if c["synchroniser"] is None and not lab.target.facts.systemd_is_init:
        evidence.not_applicable(f"neither synchroniser can run here: PID 1 is {lab.target.facts.init!r} (timesyncd "
                                "is a systemd service) and chronyd is not running; this lab reaches no NTP server",
                                **c)
    evidence.check(c["synchronised"], "clock synchronisation", expected="synchronised by chrony or timesyncd",
                   found=f"{c['synchroniser'] or 'no synchroniser running'}: "
                         f"{'synchronised' if c['synchronised'] else 'not synchronised'}",
                   how="chronyc tracking (Leap status) or timedatectl NTPSynchronized", **c)


@then("no package updates are pending from the configured repositories")
def _(lab, evidence):
    for j in hostsoftware.pending_updates(lab.target):  # a tool that cannot answer: an error, with its output
        evidence.check(j.ok, j.what, expected=j.expected, found=j.found, how=j.how, **j.details)


@then(parsers.parse('the host\'s {what} is installed, version "{minimum}" or newer'))
def _(lab, evidence, what, minimum):
    j = hostsoftware.host_package(lab.target, what, minimum)
    evidence.check(j.ok, j.what, expected=j.expected, found=j.found, how=j.how)


@then(parsers.parse('the "{repo}" repository is enabled'))
def _(lab, evidence, repo):
    res = lab.target.run("dnf -q -C repolist --enabled")
    ids = [line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip()]
    evidence.check(repo in ids, f"{repo} repository", expected="enabled", found=ids, how=res.command)


@then(parsers.parse('the Perl module "{module}" loads in the host\'s perl'))
def _(lab, evidence, module):
    j = hostsoftware.perl_module(lab.target, module)
    if j.not_applicable:
        evidence.not_applicable(j.not_applicable, **j.details)
    evidence.check(j.ok, j.what, expected=j.expected, found=j.found, how=j.how)


@then(parsers.parse('the superseded Perl module "{module}" is not installed'))
def _(lab, evidence, module):
    ok, found, how = sysinfo.perl_module(lab.target, module)
    rhel, debian = sysinfo.SUPERSEDED_PERL[module]
    pkg = sysinfo.package_name(lab.target.facts.family, rhel, debian)
    version = lab.target.package_version(pkg)
    evidence.check(not ok and version is None, f"Perl module {module}", expected="not loadable, package absent",
                   found={"loads": f"yes, version {found}" if ok else "no", pkg: version or "not installed"},
                   how=f"{how}; package query for {pkg}")


@then("the host's name resolves to an address")
def _(lab, evidence):
    name = lab.target.facts.hostname
    r = sysinfo.hostname_resolution(lab.target, name)
    evidence.check(bool(r["addresses"]), f"hostname {name}", expected="resolves through DNS or /etc/hosts",
                   found=r["addresses"] or "no address", how=r.pop("command"), **r)


@then("no restart of the host is pending")
def _(lab, evidence):
    pending, how = sysinfo.restart_pending(lab.target, lab.target.facts.family)
    evidence.check(not pending, "restart", expected="not pending", found="pending" if pending else "not pending",
                   how=how.pop("command"), **how)
