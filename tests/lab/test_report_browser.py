"""The report as a person sees it: two real runs of the lab's own claims, rendered in headless Chromium.

A good run is the baseline; then the same claims run against a deliberately broken lab (lab
parameters naming an image that does not exist), so the report holds a failed claim with its
evidence and a baseline diff. Chromium opens that report from disk; a small script measures what
is on screen (boxes with a size, open details) and clicks a filter as a reader would.
The screenshot is kept in reports/browser-check/ for CI. The same runs, and two more, check the
gate on the real lab: the repaired lab against the broken run shows the fixed claim, and a waiver
lets the broken lab pass until its expiry date.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "reports" / "browser-check"
# passive claims of three sections: quick, and they read the image the broken parameters rename
SUBSET = "hello or docker-01 or docker-02 or docker-04 or mytc-03"

MEASURE = """
<script>
(function () {
  function shown(el) {
    if (!el) return false;
    var r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  }
  function all(sel, root) { return [].slice.call((root || document).querySelectorAll(sel)); }
  var out = {}, h1 = document.querySelector('.banner h1');
  out.banner = shown(h1) && h1.getBoundingClientRect().top < window.innerHeight ? h1.innerText : null;
  out.tiles = all('.tile').filter(shown).map(function (t) { return t.innerText.replace(/\\s+/g, ' '); });
  var target = document.querySelector('#summary table');
  out.target = shown(target) ? target.innerText : '';
  out.sections = all('section.feature').filter(shown).map(function (s) { return s.dataset.section; });
  var failed = document.querySelector('article.v-failed');
  out.failed = failed ? failed.id : null;
  out.failed_evidence = failed ? all('.ob.bad', failed).filter(shown).map(function (o) { return o.innerText; }) : [];
  var base = document.querySelector('#baseline');
  out.baseline = shown(base) ? base.innerText : null;
  document.querySelector('.tile[data-only=failed]').click();
  out.after_filter = all('article.claim').filter(shown).map(function (a) { return a.dataset.verdict; });
  out.count = document.getElementById('f-count').innerText;
  var pre = document.createElement('pre');
  pre.id = 'visibility-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--window-size=1280,2600", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def run_claims(reports: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "features/", "-k", SUBSET, "--run-name", name,
           "--reports-dir", str(reports), "-p", "no:cacheprovider", *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good run of the real lab, then a run of the lab broken by its parameters, against it."""
    if os.environ.get("LABCONFORM_NO_LAB"):
        pytest.skip("LABCONFORM_NO_LAB is set: no lab to run the claims against")
    reports = tmp_path_factory.mktemp("reports")
    good = run_claims(reports, "good")
    assert good.returncode == 0, good.stdout[-3000:]
    params = reports / "broken-params.yaml"
    params.write_text(f"mytc_image: lc-browser-check-no-such-image-{uuid.uuid4().hex[:8]}\n")
    broken = run_claims(reports, "broken", "--lab-params", str(params), "--baseline", str(reports / "good"))
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert "REGRESSED mytc-03" in broken.stdout
    assert "gate: FAILED: 1 regression(s) against the baseline" in broken.stdout
    return reports


@pytest.fixture(scope="module")
def broken_report(reports: Path) -> Path:
    return reports / "broken" / "index.html"


def test_the_repaired_lab_against_the_broken_run_shows_the_fixed_claim(reports: Path) -> None:
    repaired = run_claims(reports, "repaired", "--baseline", str(reports / "broken"))
    assert repaired.returncode == 0, repaired.stdout[-3000:]
    assert "fixed     mytc-03" in repaired.stdout
    doc = json.loads((reports / "repaired" / "results.json").read_text())
    assert doc["baseline"]["groups"]["fixed"] == ["mytc-03"]


def test_a_waiver_lets_the_broken_lab_pass_until_its_expiry(reports: Path) -> None:
    params = str(reports / "broken-params.yaml")
    for days, status, verdict in ((30, 0, "waived"), (-1, 1, "failed")):
        expires = dt.date.today() + dt.timedelta(days=days)
        waivers = reports / f"waivers{days}.yaml"
        waivers.write_text(f"- id: mytc-03\n  justification: the mytc image is being rebuilt\n"
                           f"  approver: lab-admins\n  expires: {expires.isoformat()}\n")
        done = run_claims(reports, f"waived{days}", "--lab-params", params, "--waivers", str(waivers))
        assert done.returncode == status, done.stdout[-3000:]
        doc = json.loads((reports / f"waived{days}" / "results.json").read_text())
        assert next(c for c in doc["claims"] if c["id"] == "mytc-03")["verdict"] == verdict


def measure(report: Path, tmp_path: Path) -> dict[str, Any]:
    exe = chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    probe = tmp_path / "measured.html"
    probe.write_text(report.read_text().replace("</body>", MEASURE + "</body>"))
    done = browser(exe, tmp_path / "profile", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="visibility-check">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no measurement in the DOM Chromium dumped: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found[1]))


def test_a_reader_sees_the_summary_the_sections_the_failure_and_the_diff(broken_report: Path, tmp_path: Path) -> None:
    seen = measure(broken_report, tmp_path)
    assert seen["banner"] == "Lab conformance: FAILED"
    assert any(t.startswith("1 failed") for t in seen["tiles"]), seen["tiles"]
    assert "host name" in seen["target"] and "Docker" in seen["target"]
    doc = json.loads((broken_report.parent / "results.json").read_text())
    assert seen["sections"] == sorted({c["feature_file"] for c in doc["claims"]})
    assert seen["failed"] == "claim-mytc-03"
    assert seen["failed_evidence"] and "expected" in seen["failed_evidence"][0]
    assert "-Djava.security.egd=file:/dev/./urandom" in seen["failed_evidence"][0]
    assert seen["baseline"] is not None and "1 regressed" in seen["baseline"] and "mytc-03" in seen["baseline"]
    assert seen["after_filter"] == ["failed"]
    assert seen["count"] == f"showing 1 of {len(doc['claims'])} claims"


def test_a_screenshot_is_kept_for_ci(broken_report: Path, tmp_path: Path) -> None:
    exe = chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    shutil.copy(broken_report, ARTIFACTS / "index.html")
    done = browser(exe, tmp_path / "profile", f"--screenshot={shot}", broken_report.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
