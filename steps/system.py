"""Steps about the host the document prepares: family, size, clock, updates, packages, Perl, name."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from labconform.host import hostsoftware
from steps import judged, precondition

precondition(given, "the host is of the RHEL family", lambda lab: hostsoftware.rhel_family(lab.target))
judged(then, parsers.parse('the host\'s major version is "{major}"'),
       lambda lab, major: hostsoftware.judged_major(lab.target, major))
judged(then, parsers.parse("the host has at least {cores:d} cores, {mem:d} GB of memory and {disk:d} GB of disk"),
       lambda lab, cores, mem, disk: hostsoftware.judged_size(lab.target, cores, mem, disk))
judged(then, "the clock is synchronised by chrony or timesyncd", lambda lab: hostsoftware.judged_clock(lab.target))
# one Judged each
judged(then, "no package updates are pending from the configured repositories",
       lambda lab: hostsoftware.pending_updates(lab.target))
judged(then, parsers.parse('the host\'s {what} is installed, version "{minimum}" or newer'),
       lambda lab, what, minimum: hostsoftware.host_package(lab.target, what, minimum))
judged(then, parsers.parse('the "{repo}" repository is enabled'),
       lambda lab, repo: hostsoftware.judged_enabled_repo(lab.target, repo))
judged(then, parsers.parse('the Perl module "{module}" loads in the host\'s perl'),
       lambda lab, module: hostsoftware.perl_module(lab.target, module))
judged(then, parsers.parse('the superseded Perl module "{module}" is not installed'),
       lambda lab, module: hostsoftware.judged_superseded_perl(lab.target, module))
judged(then, "the host's name resolves to an address",
       lambda lab: hostsoftware.judged_hostname(lab.target, lab.target.facts.hostname))
judged(then, "no restart of the host is pending", lambda lab: hostsoftware.judged_restart(lab.target))
