"""Diagnostics at failure: a claim that fails for real carries what the lab showed at that moment (the
run's containers and their last log lines), folded in the report; a claim that passes carries none."""

from __future__ import annotations

import json

from labconform.run.diagnostics import WHAT


def diagnostics_of(claim: dict) -> dict | None:
    return next((o for o in claim["evidence"] if o["what"] == WHAT), None)


def test_a_container_claim_that_fails_carries_the_containers_and_their_logs(tmp_path, suite):
    # the fault: a start bound no Tomcat meets, so the claim fails while its container is still starting
    params = tmp_path / "params.yaml"
    params.write_text("container_start_timeout_s: 1\n")
    run = suite("features/60_tomcat_with_root_war.feature", "-k", "id:mytc-05", "--lab-params", str(params))
    assert run.verdicts() == {"mytc-05": "failed"}, run.out
    claim = run.claim("mytc-05")
    diag = diagnostics_of(claim)
    assert diag is not None and diag["ok"] is None, claim["evidence"]
    details = diag["details"]
    assert details["kind"] == "diagnostics"
    run_name = run.results["run"]["name"]
    assert f"{run_name}-mytc1" in details["docker ps -a"], details
    state = next(v for k, v in details.items() if k.startswith(f"docker inspect {run_name}-mytc1"))
    assert json.loads(state)["Status"] == "running", state  # still starting when the claim gave up
    assert any(k.startswith(f"docker logs --tail 20 {run_name}-mytc1") for k in details), details
    page = (run.reports / "latest" / "index.html").read_text()
    assert WHAT in page and f"{run_name}-mytc1" in page


def test_a_claim_that_passes_carries_no_diagnostics(suite):
    run = suite("features/60_tomcat_with_root_war.feature", "-k", "id:mytc-05")
    assert run.verdicts() == {"mytc-05": "passed"}, run.out
    assert diagnostics_of(run.claim("mytc-05")) is None
    assert WHAT not in json.dumps(run.results)
