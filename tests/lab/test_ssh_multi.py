"""Several labs in one run: this machine locally and over SSH, one pytest-xdist worker each."""

from __future__ import annotations

from tests.support.ssh_server import (
    SUBSET,
    sshd,  # noqa: F401 - the fixture
)

FILES = tuple(f for f in SUBSET if "nodeport" not in f)  # test_ssh's slice, but the NodePort


def test_every_claim_is_checked_on_each_lab_and_keeps_its_target(suite, sshd):
    # the lab's declared deviations (CoreDNS, k8s-init-06) waived, as its own runs do
    run = suite(*FILES, "--target", "local", "--target", sshd.target(), *sshd.options(), "-n", "2", "--dist", "each",
                "--waivers", "labs/debian-offline/waivers.yaml")
    assert run.rc == 0, run.out[-3000:]
    data = run.results
    by_target: dict[str, dict[str, str]] = {}
    for c in data["claims"]:
        plain, _, lab = c["id"].rpartition("@")
        assert lab == c["target"], c["id"]
        by_target.setdefault(c["target"], {})[plain] = c["verdict"]
    assert set(by_target) == {"local", "127.0.0.1"}
    assert by_target["local"] == by_target["127.0.0.1"]
    assert "passed" in by_target["local"].values()
    labs = data["run"]["target"]["targets"]
    assert [t["spec"] for t in labs] == ["local", sshd.target()]
    for t in labs:  # each lab's own complete run beside the combined one
        assert (run.reports / t["run"] / "results.json").is_file()
    assert data["gate"]["status"] == "passed"
    html = (run.reports / "latest" / "index.html").read_text()
    assert "hello-01@127.0.0.1" in html and "hello-01@local" in html


def test_several_targets_without_one_worker_each_is_a_usage_error(suite, sshd):
    run = suite("features/10_hello.feature", "--target", "local", "--target", sshd.target(), *sshd.options())
    assert run.rc == 4
    assert "-n 2 --dist each" in run.err and "Traceback" not in run.err


def test_a_baseline_is_applied_to_every_lab(suite, sshd, tmp_path):
    """A one-lab good run is the baseline of both labs; a second run of both labs, broken by its
    parameters, regresses on each lab; the repaired labs against that run are fixed on each."""
    labs = ("--target", "local", "--target", sshd.target(), *sshd.options(), "-n", "2", "--dist", "each")
    feature = "features/60_tomcat_with_root_war.feature"
    good = suite(feature, "--run-name", "good")
    assert good.rc == 0, good.out[-3000:]
    params = tmp_path / "broken.yaml"
    params.write_text("mytc_image: lc-test-no-such-image\n")
    broken = suite(feature, *labs, "--run-name", "broken", "--lab-params", str(params),
                   "--baseline", str(good.reports / "good"))
    assert broken.rc == 1, broken.out[-3000:]
    doc = broken.results
    regressed = {c["id"] for c in doc["claims"] if c["verdict"] in ("failed", "error")}
    by_lab: dict[str, set[str]] = {}
    for cid in regressed:
        plain, _, lab = cid.rpartition("@")
        by_lab.setdefault(lab, set()).add(plain)
    assert by_lab["local"] == by_lab["127.0.0.1"] and "mytc-03" in by_lab["local"], regressed
    assert set(doc["baseline"]["groups"]["regressed"]) == regressed
    assert doc["baseline"]["groups"]["new"] == [] and doc["baseline"]["groups"]["not_run"] == []
    assert set(doc["gate"]["regressions"]) == regressed
    was = {c["id"]: c["change"]["was"] for c in doc["claims"] if c["id"] in regressed}
    assert was == dict.fromkeys(regressed, "passed")
    for cid in ("mytc-03@local", "mytc-03@127.0.0.1"):
        assert f"REGRESSED {cid} (passed -> failed)" in broken.out
    repaired = suite(feature, *labs, "--run-name", "repaired", "--baseline", str(broken.reports / "broken"))
    assert repaired.rc == 0, repaired.out[-3000:]
    groups = repaired.results["baseline"]["groups"]
    assert set(groups["fixed"]) == regressed and groups["regressed"] == [] and groups["new"] == []
