"""Steps about the host the document prepares: family, size, clock, updates, packages, Perl, name."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.host import hostsoftware


@given("the host is of the RHEL family")
def _(lab, evidence):
    evidence.applicable(hostsoftware.rhel_family(lab.target))


@then(parsers.parse('the host\'s major version is "{major}"'))
def _(lab, evidence, major):
    evidence.judged(hostsoftware.judged_major(lab.target, major))


@then(parsers.parse("the host has at least {cores:d} cores, {mem:d} GB of memory and {disk:d} GB of disk"))
def _(lab, evidence, cores, mem, disk):
    evidence.judged(hostsoftware.judged_size(lab.target, cores, mem, disk))


@then("the clock is synchronised by chrony or timesyncd")
def _(lab, evidence):
    evidence.judged(hostsoftware.judged_clock(lab.target))


@then("no package updates are pending from the configured repositories")
def _(lab, evidence):
    for j in hostsoftware.pending_updates(lab.target):  # a tool that cannot answer: an error, with its output
        evidence.judged(j)


@then(parsers.parse('the host\'s {what} is installed, version "{minimum}" or newer'))
def _(lab, evidence, what, minimum):
    evidence.judged(hostsoftware.host_package(lab.target, what, minimum))


@then(parsers.parse('the "{repo}" repository is enabled'))
def _(lab, evidence, repo):
    evidence.judged(hostsoftware.judged_enabled_repo(lab.target, repo))


@then(parsers.parse('the Perl module "{module}" loads in the host\'s perl'))
def _(lab, evidence, module):
    evidence.judged(hostsoftware.perl_module(lab.target, module))


@then(parsers.parse('the superseded Perl module "{module}" is not installed'))
def _(lab, evidence, module):
    evidence.judged(hostsoftware.judged_superseded_perl(lab.target, module))


@then("the host's name resolves to an address")
def _(lab, evidence):
    evidence.judged(hostsoftware.judged_hostname(lab.target, lab.target.facts.hostname))


@then("no restart of the host is pending")
def _(lab, evidence):
    evidence.judged(hostsoftware.judged_restart(lab.target))
