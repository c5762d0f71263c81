"""The project's shape (docs/architecture.md): verification never imports provisioning, the claim ->
step map crosses that line only through `python -m provision --owners`, modules stay small, and a
claim's preparation ahead of the run is declared, not hooked, and each of these tests says its layer."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pytest_bdd import parsers

from labconform.run import preparation
from labconform.run.owners import provisioning_owners
from tests.support.layers import LAYERS, layer_of

REPO = Path(__file__).resolve().parents[2]
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"
MAX_LINES = 400
# modules allowed over MAX_LINES: none since the six longer ones were split (issue 12); the list stays empty
TOO_LONG: set[str] = set()


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function, or names to importlib."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def python_files(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (REPO / pkg).rglob("*.py"))


@pytest.mark.parametrize("package", ["labconform", "steps"])
def test_verification_never_imports_provisioning(package: str) -> None:
    arrows = {f"{p.relative_to(REPO)} -> {m}" for p in python_files(package) for m in imported_modules(p)
              if m == "provision" or m.startswith("provision.")}
    assert not arrows, f"{package}/ imports provision/: " + ", ".join(sorted(arrows))


def test_the_cluster_is_read_without_the_kubernetes_client() -> None:
    """Importing the official client costs about 0.5 s a run (docs/speed.md): labconform.kube.https_api reads the
    API."""
    arrows = {f"{p.relative_to(REPO)} -> {m}" for p in python_files("labconform", "steps", "provision")
              for m in imported_modules(p) if m == "kubernetes" or m.startswith("kubernetes.")}
    assert not arrows, "the kubernetes package is imported: " + ", ".join(sorted(arrows))


def test_the_import_check_sees_every_way_of_importing(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import provision.core\ndef f():\n    from provision import build_plan\n"
                 "    importlib.import_module('provision.state')\n    from . import provision\n")
    assert imported_modules(f) == {"provision.core", "provision", "provision.state"}


OBSERVING_PACKAGES = ("transport", "host", "docker", "kube", "http", "trust", "link")
CLIENT_LIBRARIES = ("docker", "kubernetes", "requests", "testinfra")


def test_the_library_is_grouped_by_what_it_observes() -> None:
    """The clients that reach a lab (the Docker SDK, the kubernetes client, requests, testinfra) are used only
    inside the packages that observe it; the modules at the top of labconform/ (the pytest side, results,
    reports, the gate) ask those packages."""
    assert all((REPO / "labconform" / pkg / "__init__.py").exists() for pkg in OBSERVING_PACKAGES)
    top = {f"{p.name} -> {m}" for p in (REPO / "labconform").glob("*.py") for m in imported_modules(p)
           if m.split(".")[0] in CLIENT_LIBRARIES}
    assert not top, "top-level modules that reach a lab themselves: " + ", ".join(sorted(top))


def test_no_new_module_over_the_line_limit() -> None:
    sizes = {str(p.relative_to(REPO)): len(p.read_text().splitlines())
             for p in python_files("labconform", "steps", "provision")}
    over = {name: n for name, n in sizes.items() if n > MAX_LINES and name not in TOO_LONG}
    assert not over, f"modules over {MAX_LINES} lines: {over}"


MAX_FUNCTION_LINES = 60  # a longer function is split: provisioning steps are one builder each (issue 23)


def test_no_function_over_the_line_limit() -> None:
    long = {f"{p.relative_to(REPO)}:{node.name}": node.end_lineno - node.lineno + 1
            for p in python_files("labconform", "steps", "provision")
            for node in ast.walk(ast.parse(p.read_text(), str(p)))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES}
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


MAX_STEP_STATEMENTS = 5
# step functions allowed over the limit: none (issue 12); a new one moves its judging into the library
LONG_STEPS: set[tuple[str, str]] = set()


def step_sizes() -> dict[tuple[str, str], int]:
    """Each step function's statements (nested ones counted, the docstring not), keyed by its file and its
    step text."""
    out = {}
    for path in python_files("steps"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef):
                continue
            texts = [d.args[0] for d in node.decorator_list if isinstance(d, ast.Call)
                     and getattr(d.func, "id", "") in ("given", "when", "then") and d.args]
            if not texts:
                continue
            text = texts[0].args[0].value if isinstance(texts[0], ast.Call) else getattr(texts[0], "value", "")
            body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            count = sum(isinstance(s, ast.stmt) for s in ast.walk(ast.Module(body=body, type_ignores=[])))
            out[(str(path.relative_to(REPO)), text)] = count
    return out


def step_rows() -> dict[tuple[str, str], str]:
    """Each step written as a row (`judged(then, TEXT, judge)`, `precondition(...)`): what its judge is."""
    out = {}
    for path in python_files("steps"):
        for node in ast.parse(path.read_text(), str(path)).body:
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", "") in ("judged", "precondition")):
                kind, text, judge = node.value.args
                text = text.args[0] if isinstance(text, ast.Call) else text
                out[(str(path.relative_to(REPO)), ast.unparse(text))] = type(judge).__name__
    return out


def test_steps_only_parse_call_and_record() -> None:
    sizes, rows = step_sizes(), step_rows()
    assert len(sizes) + len(rows) > 130, "the steps were not found"
    assert len(rows) > 100, "the steps written as rows were not found"
    # a row's judge is one expression: a lambda that calls the library, or a function of it
    assert set(rows.values()) <= {"Lambda", "Attribute"}, rows
    long = {k: n for k, n in sizes.items() if n > MAX_STEP_STATEMENTS}
    assert set(long) <= LONG_STEPS, f"steps over {MAX_STEP_STATEMENTS} statements: {set(long) - LONG_STEPS}"
    assert LONG_STEPS <= set(long), f"no longer over the limit, take them off LONG_STEPS: {LONG_STEPS - set(long)}"


# --- the owners of claims, through provisioning's command line --------------------------------------


def plan_owners(facts: dict, params_file: str | None = None) -> dict:
    """The map as the plan built in this process says it (tests may import provision)."""
    from labconform.params import load_params
    from provision.plan import Context, build_plan
    from provision.state import RecordedState

    state = RecordedState({"facts": facts})
    plan = build_plan(Context(None, state, load_params(params_file, state.facts.family)))
    return {cid: {"step": plan.owner_of(cid).name, "commands": list(plan.owner_of(cid).commands)}
            for step in plan.steps for cid in step.claims}


def test_provision_names_the_owner_of_every_claim_it_makes_true() -> None:
    p = subprocess.run([sys.executable, "-m", "provision", "--owners", "--facts", str(ROCKY)], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    owners = json.loads(p.stdout)
    assert owners == plan_owners(json.loads(ROCKY.read_text())["facts"])
    assert owners["docker-03"]["step"] and owners["docker-03"]["commands"]


@pytest.mark.parametrize("params_file", [None, "labs/node/params.yaml"])
def test_the_run_reads_the_owners_that_provisioning_names(params_file: str | None) -> None:
    facts = json.loads(ROCKY.read_text())["facts"]
    owners, note = provisioning_owners(facts, str(REPO / params_file) if params_file else None)
    assert note is None
    assert owners == plan_owners(facts, str(REPO / params_file) if params_file else None)


def test_the_owners_are_asked_once_per_facts_parameters_and_provisioning_code(tmp_path: Path, monkeypatch) -> None:
    from labconform.run import owners as owners_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    facts = json.loads(ROCKY.read_text())["facts"]
    first, note = provisioning_owners(facts, None)
    assert note is None and first == plan_owners(facts)
    monkeypatch.setattr(owners_mod, "ask", lambda *a: pytest.fail("asked again for the same facts"))
    assert provisioning_owners(facts, None) == (first, None)  # from the cache, no subprocess
    params = tmp_path / "params.yaml"
    params.write_text("mytc_image: mytc\n")
    key = owners_mod.cache_key(facts, str(params))
    params.write_text("mytc_image: other\n")
    assert owners_mod.cache_key(facts, str(params)) != key  # other parameters, another map
    assert owners_mod.cache_key({**facts, "hostname": "elsewhere"}, None) != owners_mod.cache_key(facts, None)


def test_no_facts_or_no_plan_is_a_note_not_an_error(tmp_path: Path) -> None:
    assert provisioning_owners(None, None) == ({}, "no host facts were read in this run: provisioning steps not known")
    bad = tmp_path / "params.yaml"
    bad.write_text("mytc_image: [not, a, name]\n")
    owners, note = provisioning_owners(json.loads(ROCKY.read_text())["facts"], str(bad))
    assert owners == {}
    assert note.startswith("the provisioning plan could not be built: ") and "mytc_image" in note, note


# --- preparing ahead of the claims ------------------------------------------------------------------


def test_a_preparation_is_due_once_for_the_claims_whose_steps_need_it() -> None:
    ready = preparation.declare("test_ready", "the widget is ready", parsers.parse("the widget {name} is ready"))
    first = preparation.declare("test_first", "the clock is read", first=True)
    try:
        plan = preparation.Plan.of([("t1", ["the lab host"]), ("t2", ["the widget w1 is ready", "the widget is ready"]),
                              ("t3", ["the widget w2 is ready"])])
        assert plan.arguments == {ready: [{"name": "w1"}, {}, {"name": "w2"}]} and plan.due("t1") == []
        assert plan.due("t2") == [ready] and plan.due("t3") == []
        clocked = preparation.Plan.of([("t1", ["the lab host"]), ("t2", ["the clock is read"])])
        assert clocked.due("t1") == [first] and clocked.due("t2") == []
    finally:
        del preparation.DECLARED[ready], preparation.DECLARED[first]


def test_a_preparation_together_with_another_is_due_with_it_or_at_its_own_first_claim() -> None:
    ready = preparation.declare("test_ready", "the widget is ready")
    pod = preparation.declare("test_pod", "the pod is made", together_with=ready)
    try:
        both = preparation.Plan.of([("t1", ["the lab host"]), ("t2", ["the widget is ready"]),
                                 ("t3", ["the pod is made"])])
        assert both.due("t1") == [] and both.due("t2") == [ready, pod] and both.due("t3") == []
        alone = preparation.Plan.of([("t1", ["the lab host"]), ("t3", ["the pod is made"])])  # no widget selected
        assert alone.due("t1") == [] and alone.due("t3") == [pod]
        unselected = preparation.Plan.of([("t2", ["the widget is ready"])])  # no claim makes the pod: not made
        assert unselected.due("t2") == [ready]
    finally:
        del preparation.DECLARED[ready], preparation.DECLARED[pod]


def test_a_preparation_keeps_its_failure_for_the_claim_that_reads_it() -> None:
    made = preparation.outcome(lambda: 1 / 0)
    assert isinstance(made, ZeroDivisionError) and preparation.value(preparation.outcome(lambda: "ok")) == "ok"
    with pytest.raises(ZeroDivisionError):
        preparation.value(made)


# --- the tests in layers (docs/architecture.md) -----------------------------------------------------

def _layers_of(marks: ast.expr | None, bound: dict[str, list[str]]) -> list[str]:
    """The layer markers an expression names: `pytest.mark.lab`, `pytest.mark.lab(...)`, a list or tuple of
    them, or a module-level name bound to one of these."""
    if marks is None:
        return []
    if isinstance(marks, (ast.List, ast.Tuple)):
        return [layer for m in marks.elts for layer in _layers_of(m, bound)]
    if isinstance(marks, ast.Call):
        marks = marks.func
    if isinstance(marks, ast.Name):
        return bound.get(marks.id, [])
    if (isinstance(marks, ast.Attribute) and marks.attr in LAYERS and isinstance(marks.value, ast.Attribute)
            and marks.value.attr == "mark"):
        return [marks.attr]
    return []


def layers_of_tests(path: Path) -> dict[str, list[str]]:
    """Each test function of a test file, as pytest collects it, and the layers it carries: the
    module's pytestmark, its class's, and its own decorators."""
    tree = ast.parse(path.read_text(), str(path))
    bound: dict[str, list[str]] = {}
    for node in tree.body:  # names bound to marks (`needs_root = pytest.mark.skipif(...)`), pytestmark among them
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    bound[target.id] = _layers_of(node.value, bound)
    found: dict[str, list[str]] = {}

    def visit(body: list[ast.stmt], inherited: list[str], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                own = [layer for d in node.decorator_list for layer in _layers_of(d, bound)]
                found[prefix + node.name] = inherited + own
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                marks = [layer for d in node.decorator_list for layer in _layers_of(d, bound)]
                marks += [layer for s in node.body if isinstance(s, ast.Assign)
                          and any(getattr(t, "id", "") == "pytestmark" for t in s.targets)
                          for layer in _layers_of(s.value, bound)]
                visit(node.body, inherited + marks, f"{prefix}{node.name}::")

    visit(tree.body, bound.get("pytestmark", []), "")
    return found


def test_the_layers_are_registered_markers() -> None:
    registered = {re.split(r"[:(]", m, maxsplit=1)[0].strip() for m in
                  tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(LAYERS) <= registered, set(LAYERS) - registered


def test_every_test_file_sits_in_one_layer_folder() -> None:
    """`pytest tests/unit` needs no lab, `pytest tests/ -m "not faults"` never breaks it: only if every test file
    sits in the folder of its layer, and says no other layer itself."""
    files = sorted((REPO / "tests").rglob("test_*.py"))
    assert len(files) > 60, "the test files were not found"
    outside = [str(p.relative_to(REPO)) for p in files if layer_of(p) is None]
    assert not outside, f"test files outside tests/{{{','.join(LAYERS)}}}/ (docs/architecture.md): {outside}"
    marked = {f"{p.relative_to(REPO)}::{name}": layers for p in files for name, layers in layers_of_tests(p).items()
              if layers}
    assert not marked, f"tests that name a layer marker themselves (the folder is the layer): {marked}"


def test_the_layer_is_the_first_folder_under_tests() -> None:
    assert layer_of(REPO / "tests" / "lab" / "test_ssh.py") == "lab"
    assert layer_of(REPO / "tests" / "support" / "midrun.py") is None
    assert layer_of(REPO / "steps" / "docker.py") is None


def test_the_layer_check_reads_modules_classes_decorators_and_bound_names(tmp_path: Path) -> None:
    f = tmp_path / "test_x.py"
    f.write_text("import pytest\npytestmark = [pytest.mark.skipif(False, reason='r'), pytest.mark.lab]\n"
                 "faulty = pytest.mark.faults\n"
                 "def test_a(): pass\n@pytest.mark.unit\ndef test_b(): pass\n"
                 "class TestC:\n    @faulty\n    @pytest.mark.parametrize('x', [1])\n    def test_d(self, x): pass\n"
                 "def helper(): pass\n")
    assert layers_of_tests(f) == {"test_a": ["lab"], "test_b": ["lab", "unit"], "TestC::test_d": ["lab", "faults"]}
    f.write_text("def test_new(): pass\n")  # a new file that says no layer
    assert layers_of_tests(f) == {"test_new": []}


# --- the import picture: no circle, no arrow running back up (docs/architecture.md) ----------------------------

# floors of labconform/ and steps/, lowest first: a module imports only its own floor or lower ones
FLOORS = (
    ("shared", ("labconform", "labconform.errors", "labconform.evidence", "labconform.input_files", "labconform.judged",
                "labconform.option_values", "labconform.params", "labconform.poll", "labconform.redact")),
    ("transport", ("labconform.transport",)),
    ("observers", ("labconform.host", "labconform.docker", "labconform.kube", "labconform.http",
                   "labconform.trust", "labconform.link", "labconform.lease")),
    ("the lab", ("labconform.lab",)),
    ("results", ("labconform.results",)),
    ("outputs", ("labconform.outputs",)),
    ("run", ("labconform.run",)),
    ("steps", ("steps",)),
    ("commands", ("labconform.commands",)),
    ("entry", ("labconform.__main__",)),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> int | None:
    best = None
    for i, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            # the package face itself (its version) is shared; a new module at the top must be placed by name
            under = module.startswith(prefix + ".") and prefix != "labconform"
            if (module == prefix or under) and (best is None or len(prefix) > best[1]):
                best = (i, len(prefix))
    return best[0] if best else None


def import_graph(*packages: str) -> dict[str, set[str]]:
    """Each module of the packages and the modules of the same packages it imports (`from pkg import mod` as
    the module, `from pkg.mod import name` as pkg.mod)."""
    files = python_files(*packages)
    known = {module_name(p) for p in files}
    graph: dict[str, set[str]] = {}
    for p in files:
        me = module_name(p)
        out: set[str] = set()
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & known
                out |= subs or ({node.module} & known)
            elif isinstance(node, ast.Import):
                out |= {a.name for a in node.names} & known
        graph[me] = out - {me}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle() -> None:
    graph = import_graph("labconform", "steps", "provision")
    assert len(graph) > 100, "the modules were not found"
    assert not circles(graph), f"modules that import each other in a circle: {circles(graph)}"


def test_no_import_runs_back_up() -> None:
    """A module imports only from its own floor or a lower one (FLOORS): shared, transport, observers, the lab,
    results, outputs, run, steps, commands, the entry point."""
    graph = import_graph("labconform", "steps")
    unplaced = [m for m in graph if floor_of(m) is None]
    assert not unplaced, f"modules on no floor of FLOORS: {unplaced}"
    up = sorted(f"{m} ({FLOORS[floor_of(m)][0]}) -> {t} ({FLOORS[floor_of(t)][0]})"
                for m, targets in graph.items() for t in targets if floor_of(t) > floor_of(m))
    assert not up, "imports that run back up: " + "; ".join(up)


def test_the_picture_checks_see_a_circle_and_an_arrow_up() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    assert floor_of("labconform.results.gate") < floor_of("labconform.outputs.report") < floor_of("labconform.__main__")
    assert floor_of("labconform.newly_added") is None
    assert floor_of("labconform.lease") == floor_of("labconform.kube.kubelab")
