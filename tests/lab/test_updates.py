"""rocky-04 ("no package updates are pending") broken for real on this Debian host, one fault per
run: apt given a malformed sources list, no package lists, an installed package older than the
archive's, and lists older than the bound by the host's clock. Each fault lives in the
environment of that one run (APT_CONFIG, PATH), so the shared host's apt is never changed."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from labconform.host import sysinfo
from labconform.transport.target import Target

# no cache written: apt rebuilds it in memory from what the fault points it at
NO_CACHE = 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'


@pytest.fixture
def apt_host() -> Target:
    t = Target("local")
    if t.facts.family != "debian" or shutil.which("apt") is None:
        pytest.skip("needs a Debian host with apt")
    age, _ = sysinfo.lists_age(t, "debian")
    if age is None or age > sysinfo.LISTS_MAX_AGE_S:
        pytest.skip("needs fresh package lists on this host (python -m provision refreshes them)")
    return t


def _apt_config(tmp_path: Path, text: str) -> dict[str, str]:
    conf = tmp_path / "apt.conf"
    conf.write_text(text + NO_CACHE)
    return {"APT_CONFIG": str(conf)}


def _rocky_04(suite, env: dict[str, str]) -> dict:
    run = suite("features/30_rocky.feature", "-k", "rocky-04", env=env)
    return run.claim("rocky-04")


def test_a_package_tool_that_fails_is_an_error_with_its_output(tmp_path: Path, suite, apt_host: Target) -> None:
    (tmp_path / "sources.list").write_text("deb nonsense\n")
    (tmp_path / "parts").mkdir()
    env = _apt_config(tmp_path, f'Dir::Etc::sourcelist "{tmp_path}/sources.list";\n'
                                f'Dir::Etc::sourceparts "{tmp_path}/parts";\n')
    claim = _rocky_04(suite, env)
    assert claim["verdict"] == "error", claim
    assert "Malformed entry" in claim["reason"]


def test_no_package_lists_fail_the_claim(tmp_path: Path, suite, apt_host: Target) -> None:
    (tmp_path / "lists").mkdir()
    claim = _rocky_04(suite, _apt_config(tmp_path, f'Dir::State::Lists "{tmp_path}/lists/";\n'))
    assert claim["verdict"] == "failed", claim
    assert "no package lists" in claim["reason"]


def test_an_installed_package_older_than_the_archives_fails_the_claim(tmp_path: Path, suite, apt_host: Target) -> None:
    # dpkg's status as apt reads it, with base-files at a version older than any in bookworm's archive
    status = Path("/var/lib/dpkg/status").read_text()
    block = status.index("Package: base-files\n")
    line = status.index("\nVersion: ", block) + 1
    end = status.index("\n", line)
    (tmp_path / "status").write_text(status[:line] + "Version: 12.0" + status[end:])
    claim = _rocky_04(suite, _apt_config(tmp_path, f'Dir::State::status "{tmp_path}/status";\n'))
    assert claim["verdict"] == "failed", claim
    assert "base-files" in claim["reason"]
    ages = [o for o in claim["evidence"] if o["what"] == "package lists"]
    assert ages and ages[0]["ok"] is True and "old" in str(ages[0]["details"]["package lists"])


def test_lists_older_than_the_bound_fail_the_claim(tmp_path: Path, suite, apt_host: Target) -> None:
    # the host's clock, as the claim reads it, eight days on: the lists are then older than the bound
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "date").write_text('#!/bin/sh\nif [ "$1" = +%s ]; then echo $(( $(/bin/date +%s) + 8 * 86400 )); '
                               'else exec /bin/date "$@"; fi\n')
    (fake / "date").chmod(0o755)
    claim = _rocky_04(suite, {"PATH": f"{fake}:{os.environ['PATH']}"})
    assert claim["verdict"] == "failed", claim
    assert re.search(r"found '8\.\d days'", claim["reason"]) and "within the last 7 days" in claim["reason"], claim



def test_the_untouched_host_passes_with_the_lists_age(suite, apt_host: Target) -> None:
    names = sysinfo.pending_updates(apt_host, "debian").names
    claim = _rocky_04(suite, {})
    assert claim["verdict"] == ("failed" if names else "passed"), claim
    ages = [o for o in claim["evidence"] if o["what"] == "package lists"]
    assert ages and ages[0]["ok"] is True and ages[0]["found"].endswith(("hours", "days"))
