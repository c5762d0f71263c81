"""index.html, junit.xml and cucumber.json made from a results document: order, escaping, folding, charts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

from labconform.outputs.exports import cucumber, junit
from labconform.outputs.report import render
from labconform.outputs.report_evidence import FOLD_LINES


def claim(cid: str, feature_file: str, verdict: str = "passed", **extra: Any) -> dict[str, Any]:
    c = {"id": cid, "nodeid": f"features/{feature_file}::t_{cid}", "feature": feature_file.split("_", 1)[1],
         "feature_file": feature_file, "scenario": f"scenario of {cid}", "tags": [f"id:{cid}", "impact:high"],
         "impact": "high", "mode": "passive", "target": "local", "verdict": verdict, "reason": "",
         "duration_s": 0.1, "line": 3, "rationale": "", "steps": [], "owner": None, "waiver": None, "change": None,
         "evidence": [{"what": f"probe of {cid}", "expected": "on", "found": "on", "how": "cat /etc/x", "ok": True}]}
    c.update(extra)
    return c


def document(claims: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    counts = {v: sum(c["verdict"] == v for c in claims) for v in
              ("passed", "failed", "not_applicable", "waived", "error")}
    doc = {"schema": "labconform.results", "schema_version": 1, "counts": counts, "claims": claims,
           "run": {"name": "lc-test", "labconform_version": "0.1.0", "started": "2026-11-25T21:00:00Z",
                   "duration_s": 20.5, "command": ["pytest", "features/"], "exit_status": 0,
                   "target": {"spec": "local", "name": "local", "unreachable": None, "docker_version": "20.10.24",
                              "facts": {"hostname": "labvm", "pretty_name": "Rocky Linux 8.4", "kernel": "4.18.0",
                                        "arch": "x86_64", "init": "systemd", "cgroup_version": 1}}}}
    doc.update(extra)
    return doc


class Texts(HTMLParser):
    """The document's visible text and its elements, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(html_text: str) -> Texts:
    p = Texts()
    p.feed(html_text)
    return p


def test_sections_follow_the_document_order_of_feature_files() -> None:
    doc = document([claim("c-70", "70_multi.feature"), claim("c-10", "10_hello.feature"),
                    claim("c-40b", "40_docker.feature", line=20), claim("c-40a", "40_docker.feature", line=9)])
    page = parse(render(doc))
    ids = [a["id"] for t, a in page.tags if t == "article"]
    assert ids == ["claim-c-10", "claim-c-40a", "claim-c-40b", "claim-c-70"]
    heads = [a["id"] for t, a in page.tags if t == "section" and (a.get("class") or "") == "feature"]
    assert heads == ["sec-10_hello.feature", "sec-40_docker.feature", "sec-70_multi.feature"]


def test_everything_from_the_run_is_escaped() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    doc = document([claim("c-1", "10_a.feature", "failed", reason=evil, scenario=evil,
                          evidence=[{"what": evil, "expected": evil, "found": {evil: evil}, "how": evil, "ok": False,
                                     "details": {"response": {"request": evil, "status": 500, "body": evil}}}])])
    out = render(doc)
    assert "<script>alert" not in out and "<img" not in out
    assert out.count("<script>") == 1  # the report's own filter script
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out


def test_long_output_folds_and_is_kept_whole() -> None:
    output = "\n".join(f"line {i}" for i in range(FOLD_LINES * 10))
    doc = document([claim("c-1", "10_a.feature", evidence=[
        {"what": "log", "expected": None, "found": output, "how": "docker logs", "ok": None}])])
    page = parse(render(doc))
    text = "".join(page.text)
    assert "line 0" in text and f"line {FOLD_LINES * 10 - 1}" in text  # nothing cut
    assert f"{FOLD_LINES * 10} lines" in text
    assert any(t == "details" and a.get("class") == "fold" for t, a in page.tags)


def test_failed_claims_open_with_their_evidence_and_the_summary_counts() -> None:
    doc = document([claim("ok-1", "10_a.feature"),
                    claim("bad-1", "10_a.feature", "failed", reason="expected 'on', found 'off'",
                          evidence=[{"what": "engine", "expected": "on", "found": "off", "how": "systemctl",
                                     "ok": False}])])
    out = render(doc)
    failed = re.search(r'<article class="claim v-failed" id="claim-bad-1".*?</article>', out, re.S)[0]
    passed = re.search(r'<article class="claim v-passed" id="claim-ok-1".*?</article>', out, re.S)[0]
    assert "<details open>" in failed and "<details open>" not in passed
    assert "found" in failed and "off" in failed
    text = " ".join(parse(out).text)
    assert "Lab conformance: FAILED" not in text  # the gate said nothing: exit status 0 means passed
    assert "labvm" in text and "Rocky Linux 8.4" in text and "20.10.24" in text


def test_timing_samples_are_drawn_and_counts_become_bars() -> None:
    doc = document([claim("c-1", "10_a.feature", evidence=[
        {"what": "startup", "expected": "< 5000 ms", "found": 1200, "how": "docker logs", "ok": True,
         "details": {"samples_ms": [1100, 1900, 1200], "per_pod": {"pod-a": 52, "pod-b": 48}}}])])
    out = render(doc)
    svg = re.search(r"<svg.*?</svg>", out, re.S)[0]
    assert svg.count("<rect") == 3 and "median 1200 ms" in svg
    assert 'class="balance"' in out and "52 (52 %)" in out


def test_a_details_kind_names_its_chart_whatever_the_key_and_old_results_keep_theirs() -> None:
    answers = {"pod-a": 52, "pod-b": 48}
    judged = {"what": "split", "expected": "even", "found": "even", "how": "binomial test", "ok": True,
              "details": {"answers": answers, "waits": [0.4, 0.9], "latest": [0.1, 0.2]},
              "kinds": {"answers": "balance", "waits": "chart:s", "latest": "no such kind"}}
    old = {**judged, "details": {"counts": answers}, "kinds": None}  # written before details had kinds
    out = render(document([claim("c-1", "10_a.feature", evidence=[judged]), claim("c-2", "10_a.feature",
                                                                                  evidence=[old])]))
    assert out.count('class="balance"') == 2 and out.count("52 (52 %)") == 2
    svg = re.search(r"<svg.*?</svg>", out, re.S)[0]
    assert svg.count("<rect") == 2 and "median 0.65 s" in svg
    assert out.count("<svg") == 1 and "[0.1, 0.2]" in out  # an unknown kind: the value as it is


def test_baseline_regressions_come_first_and_waivers_are_listed() -> None:
    waiver = {"id": "c-3", "justification": "disk swap", "approver": "ops", "expires": "2020-01-01",
              "expired": True, "source": "w.yaml:1"}
    doc = document(
        [claim("c-1", "10_a.feature", "failed", change={"change": "regressed", "was": "passed"}),
         claim("c-2", "10_a.feature", change={"change": "fixed", "was": "failed"}),
         claim("c-3", "10_a.feature", "failed", waiver=waiver, change={"change": "still_failing", "was": "failed"})],
        baseline={"path": "reports/good", "name": "good", "started": "2026-11-24T10:00:00Z",
                  "groups": {"regressed": ["c-1"], "still_failing": ["c-3"], "fixed": ["c-2"], "new": [],
                             "unchanged": [], "not_run": []}},
        gate={"status": "failed", "reasons": ["1 regression(s) against the baseline reports/good: c-1"],
              "waivers": {"file": "w.yaml", "all": [waiver], "expired": [waiver], "applied": [], "unused": []}},
    )
    text = " ".join(parse(render(doc)).text)
    assert text.index("1 regressed") < text.index("1 still failing") < text.index("1 fixed")
    assert "Lab conformance: FAILED" in text and "1 regression(s) against the baseline reports/good: c-1" in text
    assert "Expired: these no longer waive anything" in text and "disk swap" in text


def test_junit_and_cucumber_agree_with_the_verdicts() -> None:
    doc = document([claim("c-1", "10_a.feature"),
                    claim("c-2", "10_a.feature", "failed", reason="bad\x01value"),
                    claim("c-3", "20_b.feature", "not_applicable", reason="no systemd"),
                    claim("c-4", "20_b.feature", "waived", waiver={"expires": "2099-01-01", "approver": "ops"},
                          steps=[{"keyword": "Then", "text": "it holds", "line": 4, "status": "failed"}])])
    root = ET.fromstring(junit(doc))
    suites = root.findall("testsuite")
    assert [s.get("file") for s in suites] == ["10_a.feature", "20_b.feature"]
    assert suites[0].get("failures") == "1" and suites[1].get("skipped") == "2"
    assert root.find(".//testcase[@name='c-2: scenario of c-2']/failure").get("message") == "bad\\x01value"
    assert "waived until 2099-01-01" in root.find(".//testcase[@name='c-4: scenario of c-4']/skipped").get("message")
    cuc = json.loads(cucumber(doc))
    assert [f["uri"] for f in cuc] == ["features/10_a.feature", "features/20_b.feature"]
    assert cuc[1]["elements"][1]["steps"][0]["result"]["status"] == "skipped"  # waived: not a failure


def test_long_lists_of_claims_fold_behind_a_count_and_keep_every_id() -> None:
    claims = [claim(f"e-{i:02d}", "10_a.feature", "error") for i in range(25)]
    ids = [c["id"] for c in claims]
    doc = document(claims, gate={"status": "failed", "reasons": ["..."],
                                 "failures": [{"why": "25 claim(s) could not be evaluated (error)", "claims": ids}]})
    out = render(doc)
    banner = re.search(r'<header class="banner.*?</header>', out, re.S)[0]
    assert "and 15 more" in banner
    assert all(f'href="#claim-{i}"' in banner for i in ids)
