"""Several labs in one run: this machine locally and over SSH, one pytest-xdist worker each."""

from __future__ import annotations

from ssh_server import sshd  # noqa: F401 - the fixture

FILES = (
    "features/10_hello.feature",
    "features/40_docker_ce.feature",
    "features/60_tomcat_with_root_war.feature",
    "features/84_k8s_init.feature",
)


def test_every_claim_is_checked_on_each_lab_and_keeps_its_target(suite, sshd):
    run = suite(*FILES, "--target", "local", "--target", sshd.target(), *sshd.options(), "-n", "2", "--dist", "each")
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
