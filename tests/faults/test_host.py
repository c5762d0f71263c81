"""The host claims: version minimums, the RHEL plan from recorded facts, and the Crypt::SSLeay
claim broken for real by installing Debian's package (removed again whatever happens)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from labconform.host import sysinfo
from labconform.transport.target import Target
from tests.support.trust import run_claims

APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"]
SSLEAY = "libcrypt-ssleay-perl"


@pytest.fixture
def debian() -> Target:
    t = Target("local")
    if t.facts.family != "debian" or sysinfo.apt_candidate(t, SSLEAY) is None:
        pytest.skip(f"needs a Debian host whose archive has {SSLEAY}")
    if t.package_version(SSLEAY):
        pytest.skip(f"{SSLEAY} is installed already: this test would not know whether to remove it")
    return t


@pytest.mark.usefixtures("lab_lease")
def test_installing_crypt_ssleay_fails_the_claim(tmp_path: Path, debian: Target) -> None:
    env = {"DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_MODE": "l", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    try:
        subprocess.run([*APT, "install", SSLEAY], env=env, check=True, capture_output=True, timeout=300)
        verdicts = run_claims(tmp_path / "with", {}, "features/30_rocky.feature", "-k", "rocky-08 or rocky-07")
        assert verdicts["rocky-08"]["verdict"] == "failed"
        assert SSLEAY in verdicts["rocky-08"]["reason"]
    finally:
        subprocess.run([*APT, "purge", SSLEAY], env=env, check=True, capture_output=True, timeout=300)
    assert debian.package_version(SSLEAY) is None
    verdicts = run_claims(tmp_path / "without", {}, "features/30_rocky.feature", "-k", "rocky-08 or rocky-07")
    assert verdicts["rocky-08"]["verdict"] == "passed"
    # the module bookworm does not package is not applicable, with the reason, never passed
    sha1 = verdicts["rocky-07[Digest::SHA1]"]
    assert sha1["verdict"] == "not_applicable" and "libdigest-sha1-perl" in sha1["reason"]


