"""Allure results (`pytest --alluredir DIR`): allure-pytest-bdd's own results, held until the run's verdicts
are known, then written with each claim's verdict, evidence and waiver, redacted like results.json."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import allure_commons
import pytest
from allure_commons.lifecycle import AllureLifecycle
from allure_commons.utils import md5, platform_label
from allure_pytest_bdd.allure_api_listener import AllurePytestBddApiHooks
from allure_pytest_bdd.pytest_bdd_listener import PytestBDDListener
from attr import asdict

from labconform.outputs.exports import evidence_text, verdict_text
from labconform.redact import REDACTED, is_secret_name, redact, redact_text

# the gate's story in Allure's statuses: a waived claim is not a failure (the gate passes it) and a claim
# that does not apply is skipped with its reason; both say which they are in the `verdict` label
STATUS = {"passed": "passed", "failed": "failed", "error": "broken", "not_applicable": "skipped", "waived": "skipped"}
STEP_STATUS = {"passed": "passed", "failed": "failed", "error": "broken", "skipped": "skipped", "not_run": "skipped"}
SEVERITY = {"high": "critical", "medium": "normal", "low": "minor"}
# labels labconform sets itself; allure-pytest-bdd's own (host, thread, framework, language) stay
OWN_LABELS = ("id", "verdict", "target", "feature", "severity", "tag")
OWN_PARAMETERS = ("target", "waiver justification", "waiver expires", "waiver approver", "waiver source",
                  "waiver expired", "provisioning step")
# what allure-pytest-bdd shows for a step's fixture arguments (the `evidence` object): no parameter
_OBJECT_REPR = re.compile(r"<.* at 0x[0-9a-f]+>")


def _drop(_: Any, value: Any) -> bool:
    return bool(value) or value is False


KEY = pytest.StashKey["Collector"]()


class Collector:
    """In allure-commons' file logger's place: what allure-pytest-bdd reports is kept in memory, each test
    result under the claim's nodeid, and written by `write` once the run's results document exists."""

    def __init__(self, report_dir: str) -> None:
        self.dir = Path(report_dir).absolute()
        self.nodeid: str | None = None
        self.results: dict[str, dict[str, Any]] = {}
        self.others: list[tuple[str, dict[str, Any]]] = []  # containers, globals: (file pattern, item)
        self.attachments: dict[str, bytes | str | Path] = {}
        self.written = 0  # test results written at the end of the run

    @pytest.hookimpl
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.nodeid = nodeid  # allure-pytest-bdd reports a test's result during its teardown

    @allure_commons.hookimpl
    def report_result(self, result: Any) -> None:
        self.results[self.nodeid or result.uuid] = asdict(result, filter=_drop)

    @allure_commons.hookimpl
    def report_container(self, container: Any) -> None:
        self.others.append((container.file_pattern, asdict(container, filter=_drop)))

    @allure_commons.hookimpl
    def report_globals(self, globals_item: Any) -> None:
        self.others.append((globals_item.file_pattern, asdict(globals_item, filter=_drop)))

    @allure_commons.hookimpl
    def report_attached_data(self, body: bytes | str, file_name: str) -> None:
        self.attachments[file_name] = body

    @allure_commons.hookimpl
    def report_attached_file(self, source: str, file_name: str) -> None:
        self.attachments[file_name] = Path(source)

    def write(self, doc: dict[str, Any]) -> int:
        """Every claim of the results document as one Allure result, and what else was reported;
        every file redacted. Returns the number of test results written."""
        self.dir.mkdir(parents=True, exist_ok=True)
        target = (doc["run"].get("target") or {}).get("name", "")
        written = 0
        for claim in doc["claims"]:
            result = self.results.pop(claim["nodeid"], None) or from_claim(claim)
            self._item("{prefix}-result.json", with_verdict(result, claim, target, self._attach))
            written += 1
        for result in self.results.values():  # a test that is not a claim: as allure-pytest-bdd made it
            self._item("{prefix}-result.json", result)
            written += 1
        for pattern, item in self.others:
            self._item(pattern, item)
        for name, body in self.attachments.items():
            self._file(name, body.read_bytes() if isinstance(body, Path) else body)
        self._file("environment.properties", environment(doc))
        self._file("categories.json", json.dumps(CATEGORIES, indent=2) + "\n")
        self.written = written
        return written

    def _attach(self, name: str, body: str, mime: str, ext: str) -> dict[str, str]:
        source = f"{uuid.uuid4()}-attachment.{ext}"
        self.attachments[source] = body
        return {"name": name, "source": source, "type": mime}

    def _item(self, pattern: str, item: dict[str, Any]) -> None:
        self._file(pattern.format(prefix=uuid.uuid4()), json.dumps(redacted(item), ensure_ascii=False))

    def _file(self, name: str, body: bytes | str) -> None:
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:
                pass  # an image or an archive: no text to redact
        data = redact_text(body).encode("utf-8") if isinstance(body, str) else body
        tmp = self.dir / f"{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.dir / name)


def redacted(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the results document is redacted, and a parameter named like a credential hidden."""
    out = redact(item)
    for holder in [out, *_steps(out)]:
        for p in holder.get("parameters", []):
            if is_secret_name(str(p.get("name", ""))):
                p["value"] = REDACTED
    return out


def _steps(item: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for st in item.get("steps", []):
        found += [st, *_steps(st)]
    return found


def with_verdict(result: dict[str, Any], claim: dict[str, Any], target: str, attach: Any) -> dict[str, Any]:
    """allure-pytest-bdd's result with the claim's verdict as its status, its id and tags as labels,
    its evidence and waiver attached, the waiver and provisioning step as parameters."""
    verdict = claim["verdict"]
    result["status"] = STATUS.get(verdict, "broken")
    details = {k: v for k, v in (result.get("statusDetails") or {}).items() if k == "trace" and verdict != "passed"}
    if verdict != "passed":
        details["message"] = verdict_text(claim)
    result["statusDetails"] = details
    for st in _steps(result):
        st["parameters"] = [p for p in st.get("parameters", []) if not _OBJECT_REPR.fullmatch(str(p.get("value")))]
        if verdict == "waived" and st.get("status") == "failed":
            st["status"] = "skipped"  # the failure it covers stays in the step's message
    if claim.get("rationale"):
        result["description"] = claim["rationale"]
    # the claim's id never changes and is never reused: Allure's history follows it, lab by lab
    result["testCaseId"] = md5(claim["id"].split("[", 1)[0])
    result["historyId"] = md5(f"{claim['id']}@{target}")
    result["labels"] = [lb for lb in result.get("labels", []) if lb.get("name") not in OWN_LABELS]
    result["labels"] += labels(claim, target)
    result["parameters"] = [p for p in result.get("parameters", []) if p.get("name") not in OWN_PARAMETERS]
    result["parameters"] += parameters(claim, target)
    result["attachments"] = result.get("attachments", []) + [attach(*a) for a in attachments(claim)]
    return result


def labels(claim: dict[str, Any], target: str) -> list[dict[str, str]]:
    """The claim's id, verdict (waived and not applicable are both skipped), lab, feature and impact,
    and each of its tags as written."""
    own = {"id": claim["id"], "verdict": claim["verdict"], "target": target, "feature": claim.get("feature", ""),
           "severity": SEVERITY.get(claim.get("impact", ""), "normal")}
    return [{"name": k, "value": v} for k, v in own.items()] + [{"name": "tag", "value": t} for t in claim["tags"]]


def parameters(claim: dict[str, Any], target: str) -> list[dict[str, Any]]:
    """The lab (a claim on two labs is two tests in Allure), then what does not tell tests apart
    (excluded from Allure's history id): the waiver, the provisioning step."""
    out: list[dict[str, Any]] = [{"name": "target", "value": target}]
    w = claim.get("waiver") or {}
    for key in ("justification", "expires", "approver", "source") if w else ():
        out.append({"name": f"waiver {key}", "value": str(w.get(key, "")), "excluded": True})
    if w.get("expired"):
        out.append({"name": "waiver expired", "value": "true", "excluded": True})
    if claim.get("owner"):
        out.append({"name": "provisioning step", "value": claim["owner"]["step"], "excluded": True})
    return out


def attachments(claim: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, body, MIME type, extension) of each file attached: the evidence as text and as
    results.json holds it, and the waiver."""
    out = []
    if claim.get("evidence"):
        out.append(("evidence", evidence_text(claim) + "\n", "text/plain", "txt"))
        out.append(("evidence.json", json.dumps(claim["evidence"], indent=2) + "\n", "application/json", "json"))
    if claim.get("waiver"):
        out.append(("waiver.json", json.dumps(claim["waiver"], indent=2) + "\n", "application/json", "json"))
    return out


def from_claim(claim: dict[str, Any]) -> dict[str, Any]:
    """A result for a claim allure-pytest-bdd did not report: one that ended before its scenario began (a
    `@destructive` claim not asked for, a target that could not be reached). Its steps are the claim's."""
    now = int(time.time() * 1000)
    steps = [{"name": f"{s['keyword'].strip()} {s['text']}", "status": STEP_STATUS.get(s.get("status", ""), "skipped"),
              "start": now, "stop": now} for s in claim.get("steps") or []]
    return {"uuid": str(uuid.uuid4()), "name": claim["scenario"],
            "fullName": f"{claim['feature_file']}:{claim['scenario']}",
            "titlePath": [claim.get("feature", "")], "start": now, "stop": now, "steps": steps,
            "labels": [{"name": "framework", "value": "pytest-bdd"}, {"name": "language", "value": platform_label()}],
            # an outline's row: what tells it from the other rows of its claim, as allure-pytest-bdd's parameters do
            "parameters": [{"name": "example", "value": claim["id"].split("[", 1)[1].rstrip("]")}]
            if "[" in claim["id"] else []}


# Allure's categories: the two kinds of skipped claim told apart by the message every one of them starts with
CATEGORIES = [
    {"name": "Waived deviations", "matchedStatuses": ["skipped"], "messageRegex": "waived until .*"},
    {"name": "Not applicable here", "matchedStatuses": ["skipped"], "messageRegex": "not applicable: .*"},
]


def environment(doc: dict[str, Any]) -> str:
    """The run as Allure's environment.properties shows it: the run, the lab, the gate's decision."""
    run = doc["run"]
    values = {"run": run.get("name", ""), "target": (run.get("target") or {}).get("name", ""),
              "labconform": run.get("labconform_version", ""), "gate": (doc.get("gate") or {}).get("status", "")}
    return "".join(f"{k}={_prop(str(v))}\n" for k, v in values.items())


def _prop(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")


# --- the option: allure-pytest-bdd's own --alluredir ------------------------------------------------


def take_over(config: pytest.Config) -> Collector | None:
    """Before allure-pytest-bdd's pytest_configure: its listener as it registers them, with a Collector
    in place of its file logger (which would write each result as the test ends, unredacted, before
    the verdicts are known). Without --alluredir, nothing."""
    report_dir = getattr(config.option, "allure_report_dir", None)
    if not report_dir:
        return None
    config.option.allure_report_dir = None  # allure-pytest-bdd's own pytest_configure then does nothing
    collector = Collector(report_dir)
    # --clean-alluredir: once, before any claim (never by a pytest-xdist worker: others write there too)
    if config.option.clean_alluredir and not config.option.collectonly and not hasattr(config, "workerinput"):
        shutil.rmtree(collector.dir, ignore_errors=True)
    lifecycle = AllureLifecycle()
    listener = PytestBDDListener(lifecycle)
    config.pluginmanager.register(listener)
    config.pluginmanager.register(collector)
    for plugin in (listener, AllurePytestBddApiHooks(config, lifecycle), collector):
        allure_commons.plugin_manager.register(plugin)
        config.add_cleanup(lambda p=plugin: allure_commons.plugin_manager.unregister(p))
    config.stash[KEY] = collector
    return collector


def write_quietly(collector: Collector | None, doc: dict[str, Any]) -> None:
    """The Allure results of a run; one that cannot be written costs the run nothing but a line."""
    if collector is None:
        return
    try:
        collector.write(doc)
    except Exception as exc:  # noqa: BLE001 - results.json and the other outputs are written already
        sys.stderr.write(f"labconform: could not write the Allure results to {collector.dir}: "
                         f"{type(exc).__name__}: {exc}\n")
