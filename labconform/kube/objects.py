"""Any Kubernetes object against a partial one written under a step (chainsaw's assert): the live object must
contain the partial one. A mapping holds each key of the expected one, recursively; a list holds each expected
element in a distinct element of its own, in any order; scalars are equal with their YAML types (2 is not "2");
a string "(>= 2)", "(> 1)", "(<= 3)", "(< 4)", "(!= 0)" or "(== 2)" on a number is a comparison; an expected null
holds where the field is null or absent. Pure functions over the JSON the API server sends, and one GET (or a
bounded poll of it) through the claims' KubeLab."""

from __future__ import annotations

import datetime
import json
import operator
import re
from dataclasses import dataclass
from typing import Any

import yaml

from labconform.judged import Judged, converged
from labconform.kube.kubelab import q

MAX_SHOWN = 10  # differences named in the evidence; the rest are counted
MAX_VALUE = 120  # characters of one value in a difference
POLL_INTERVAL_S = 1.0
REDACTED = "[redacted]"


class ObjectClaimError(ValueError):
    """The claim as written cannot be judged (an unknown kind, a doc-string that is not a YAML mapping): the
    claim's verdict is error, and the message says where the step is written."""


@dataclass(frozen=True)
class Kind:
    """A kind of object as the API serves it: its path prefix, its plural, whether it lives in a namespace."""

    name: str
    prefix: str
    plural: str
    namespaced: bool = True

    def path(self, name: str, namespace: str | None) -> str:
        ns = f"/namespaces/{q(namespace)}" if self.namespaced and namespace else ""
        return f"{self.prefix}{ns}/{self.plural}/{q(name)}"


_CORE, _APPS, _BATCH = "/api/v1", "/apis/apps/v1", "/apis/batch/v1"
_NET, _RBAC, _STORAGE = "/apis/networking.k8s.io/v1", "/apis/rbac.authorization.k8s.io/v1", "/apis/storage.k8s.io/v1"
KINDS = {k.name: k for k in (
    Kind("pod", _CORE, "pods"), Kind("service", _CORE, "services"), Kind("configmap", _CORE, "configmaps"),
    Kind("secret", _CORE, "secrets"), Kind("serviceaccount", _CORE, "serviceaccounts"),
    Kind("persistentvolumeclaim", _CORE, "persistentvolumeclaims"),
    Kind("namespace", _CORE, "namespaces", False), Kind("node", _CORE, "nodes", False),
    Kind("persistentvolume", _CORE, "persistentvolumes", False),
    Kind("deployment", _APPS, "deployments"), Kind("replicaset", _APPS, "replicasets"),
    Kind("daemonset", _APPS, "daemonsets"), Kind("statefulset", _APPS, "statefulsets"),
    Kind("job", _BATCH, "jobs"), Kind("cronjob", _BATCH, "cronjobs"),
    Kind("ingress", _NET, "ingresses"), Kind("networkpolicy", _NET, "networkpolicies"),
    Kind("role", _RBAC, "roles"), Kind("rolebinding", _RBAC, "rolebindings"),
    Kind("clusterrole", _RBAC, "clusterroles", False), Kind("clusterrolebinding", _RBAC, "clusterrolebindings", False),
    Kind("storageclass", _STORAGE, "storageclasses", False),
)}
# kubectl's short names
SHORT = {"po": "pod", "svc": "service", "cm": "configmap", "sa": "serviceaccount", "pvc": "persistentvolumeclaim",
         "ns": "namespace", "no": "node", "pv": "persistentvolume", "deploy": "deployment", "rs": "replicaset",
         "ds": "daemonset", "sts": "statefulset", "cj": "cronjob", "ing": "ingress", "netpol": "networkpolicy",
         "sc": "storageclass"}


def kind_of(word: str, where: str = "") -> Kind:
    """A kind by its name, its plural or kubectl's short name, in any case."""
    low = word.strip().lower()
    name = SHORT.get(low) or next((k.name for k in KINDS.values() if low in (k.name, k.plural)), None)
    if name is None:
        raise ObjectClaimError(f"{at(where)}unknown kind {word!r}; the known kinds: {', '.join(sorted(KINDS))}")
    return KINDS[name]


@dataclass(frozen=True)
class Ref:
    """One object: its kind, its name, its namespace (None for a cluster-scoped kind)."""

    kind: Kind
    name: str
    namespace: str | None = None

    @property
    def path(self) -> str:
        return self.kind.path(self.name, self.namespace)

    def __str__(self) -> str:
        return f"{self.kind.name}/{self.name}" + (f" in namespace {self.namespace}" if self.namespace else "")


_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


def ref_of(text: str, namespace: str | None = None, where: str = "") -> Ref:
    """"deployment/hw-deploy" (and its namespace, which a namespaced kind needs and a cluster-scoped one refuses)."""
    word, _, name = text.partition("/")
    if not name or "/" in name:
        raise ObjectClaimError(f"{at(where)}{text!r} is not KIND/NAME (such as \"deployment/hw-deploy\")")
    for label, value in (("name", name), ("namespace", namespace or "default")):
        if len(value) > 253 or not _OBJECT_NAME.fullmatch(value):
            raise ObjectClaimError(f"{at(where)}{label} {value[:80]!r}: a Kubernetes name (lower-case letters, "
                                   "digits, '-' and '.', beginning and ending with a letter or digit)")
    kind = kind_of(word, where)
    if kind.namespaced and not namespace:
        raise ObjectClaimError(f"{at(where)}a {kind.name} lives in a namespace: write "
                               f"'the Kubernetes object \"{text}\" in namespace \"NAME\"'")
    if not kind.namespaced and namespace:
        raise ObjectClaimError(f"{at(where)}a {kind.name} is cluster-scoped: write it without 'in namespace'")
    return Ref(kind, name, namespace)


def at(where: str) -> str:
    return f"{where}: " if where else ""


def partial_of(text: str | None, where: str = "") -> dict[str, Any]:
    """The partial object of a step's doc-string: a YAML mapping, else ObjectClaimError naming where it is."""
    if text is None:
        raise ObjectClaimError(f'{at(where)}the step has no doc-string: write the partial object under it, '
                               'between """ lines')
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", at line {mark.line + 1} of the doc-string" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ObjectClaimError(f"{at(where)}the doc-string is not YAML: {problem}{line}") from None
    if not isinstance(data, dict) or not data:
        raise ObjectClaimError(f"{at(where)}the doc-string is not a YAML mapping of the object's fields "
                               f"(it is {'an empty one' if data == {} else kind_name(data)})")
    return data


# --- matching -------------------------------------------------------------------------------------


class _Absent:
    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()
EXPRESSION = re.compile(r"\(\s*(>=|<=|!=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*\)")
OPERATORS = {">=": operator.ge, "<=": operator.le, "!=": operator.ne, "==": operator.eq, ">": operator.gt,
             "<": operator.lt}


@dataclass(frozen=True)
class Difference:
    """Where the live object does not hold the partial one: the path, what was expected there and found."""

    path: str
    expected: Any
    found: Any
    note: str = ""

    def text(self, hidden: bool = False) -> str:
        if hidden:
            return f"{self.path}: differs (the values are not shown)" if self.found is not ABSENT \
                else f"{self.path}: expected a value, found absent"
        if self.note:
            return f"{self.path}: {self.note}"
        want, got = show(self.expected), show(self.found)
        if isinstance(self.expected, str) and EXPRESSION.fullmatch(self.expected.strip()):
            want = f"a number {self.expected.strip()}"
            if self.found is not ABSENT and not is_number(self.found):
                got = f"{got} ({kind_name(self.found)})"
        elif self.found is not ABSENT and None not in (self.expected, self.found) \
                and kind_name(self.expected) != kind_name(self.found):
            want, got = f"{want} ({kind_name(self.expected)})", f"{got} ({kind_name(self.found)})"
        return f"{self.path}: expected {want}, found {got}"


def differences(want: Any, have: Any, path: str = "") -> list[Difference]:
    """Every place where `have` does not hold `want`, in the order of `want`."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [Difference(path or ".", want, have, f"expected a mapping, found {show(have)} ({kind_name(have)})")]
        out: list[Difference] = []
        for key, value in want.items():
            if key in have:
                out += differences(value, have[key], join(path, key))
            elif value is not None:
                out.append(Difference(join(path, key), value, ABSENT))
        return out
    if isinstance(want, list):
        if not isinstance(have, list):
            return [Difference(path, want, have, f"expected a list, found {show(have)} ({kind_name(have)})")]
        return list_differences(want, have, path)
    return [] if scalar_holds(want, have) else [Difference(path, want, have)]


def list_differences(want: list[Any], have: list[Any], path: str) -> list[Difference]:
    """Each expected element held by a distinct live one, in any order; for one that is not, what differs in
    the live element closest to it."""
    fits = [[j for j, h in enumerate(have) if not differences(w, h)] for w in want]
    pairs = matching(fits)
    out: list[Difference] = []
    for i, w in enumerate(want):
        if i in pairs:
            continue
        if fits[i]:
            out.append(Difference(f"{path}[]", w, ABSENT, f"expected {show(w)} once more: the elements that hold it "
                                  f"({', '.join(f'[{j}]' for j in fits[i])}) hold other expected ones"))
        elif isinstance(w, dict) and any(isinstance(h, dict) for h in have):
            out += min((differences(w, h, f"{path}[{j}]") for j, h in enumerate(have) if isinstance(h, dict)),
                       key=len)
        else:
            out.append(Difference(f"{path}[]", w, have, f"expected an element {show(w)}, found none among "
                                  f"{len(have)}: {show(have)}"))
    return out


def matching(fits: list[list[int]]) -> dict[int, int]:
    """The most expected elements paired with distinct live ones (Kuhn's augmenting paths): {expected: live}."""
    owner: dict[int, int] = {}

    def take(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or take(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(fits)):
        take(i, set())
    return {i: j for j, i in owner.items()}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def scalar_holds(want: Any, have: Any) -> bool:
    """Equal with their types (a boolean is no number, "2" no 2), or a comparison "(>= 2)" on a number."""
    if isinstance(want, str) and (m := EXPRESSION.fullmatch(want.strip())):
        return is_number(have) and OPERATORS[m[1]](have, float(m[2]))
    if is_number(want) and is_number(have):
        return want == have
    return type(want) is type(have) and want == have


def join(path: str, key: Any) -> str:
    k = str(key)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", k):
        return f"{path}.{k}" if path else k
    return f"{path}[{json.dumps(k)}]"


def kind_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if is_number(value):
        return "a number"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date"
    return {str: "a string", dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


def show(value: Any, limit: int = MAX_VALUE) -> str:
    text = repr(value) if isinstance(value, (str, _Absent, datetime.date)) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def projection(want: Any, have: Any) -> Any:
    """What of `have` the partial object `want` looked at: its keys, the live elements its list elements held."""
    if isinstance(want, dict) and isinstance(have, dict):
        return {k: projection(v, have[k]) for k, v in want.items() if k in have}
    if isinstance(want, list) and isinstance(have, list):
        pairs = matching([[j for j, h in enumerate(have) if not differences(w, h)] for w in want])
        return [projection(w, have[pairs[i]]) for i, w in enumerate(want) if i in pairs]
    return have


# --- judging --------------------------------------------------------------------------------------


SECRET_MAPS = ("data", "stringData")


def hidden(ref: Ref, path: str) -> bool:
    """A Secret's values are never shown: what lies under its data or stringData."""
    return ref.kind.name == "secret" and any(under(path, m) for m in SECRET_MAPS)


def under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def masked(ref: Ref, partial: dict[str, Any]) -> dict[str, Any]:
    """The partial object as the evidence shows it: a Secret's data values replaced."""
    if ref.kind.name != "secret":
        return partial
    return {k: ({key: REDACTED for key in v} if k in SECRET_MAPS and isinstance(v, dict) else v)
            for k, v in partial.items()}


def read(kube: Any, ref: Ref) -> dict[str, Any] | None:
    """The live object as the API server sent it, or None where it has no such object (404)."""
    got = kube.send("GET", ref.path, f"GET {ref.kind.name} {ref.name}")
    return None if got is None else json.loads(got[1])


def judge(ref: Ref, partial: dict[str, Any], live: dict[str, Any] | None, how: str = "",
          **details: Any) -> Judged:
    """Whether the live object (None: absent) contains the partial one; found names the first differences."""
    what, expected, how = f"the Kubernetes object {ref}", masked(ref, partial), how or f"GET {ref.path}"
    if live is None:
        return Judged(False, what, expected, "no such object (HTTP 404 Not Found)", how, details=details)
    diffs = differences(partial, live)
    if ref.kind.name == "secret":
        details["data keys matched"] = sorted(k for m in SECRET_MAPS for k in (partial.get(m) or {})
                                              if not any(under(d.path, join(m, k)) for d in diffs))
    found: Any = masked(ref, projection(partial, live))
    if diffs:
        found = [d.text(hidden(ref, d.path)) for d in diffs[:MAX_SHOWN]]
        if len(diffs) > MAX_SHOWN:
            found.append(f"... and {len(diffs) - MAX_SHOWN} more difference(s)")
        details["differences"] = len(diffs)
    return Judged(not diffs, what, expected, found, how, details=details)


def converge(kube: Any, ref: Ref, partial: dict[str, Any], seconds: float) -> Judged:
    """GET the object every POLL_INTERVAL_S until it contains the partial one or `seconds` pass; the last
    answer is judged, with the attempts and the time waited (judged.converged)."""
    how = f"GET {ref.path}, every {POLL_INTERVAL_S:g} s until it holds or {seconds:g} s pass"
    return converged(lambda: judge(ref, partial, read(kube, ref), how), seconds, POLL_INTERVAL_S)


def judged_object(kube: Any, text: str, namespace: str | None, docstring: str | None, seconds: Any = None,
                  where: str = "") -> Judged:
    """The claim 'the Kubernetes object "KIND/NAME" [in namespace "NS"] contains[, within N seconds]:' with its
    doc-string; `where` (the feature file and line of the step) goes into every error about how it is written."""
    ref, partial = ref_of(text, namespace, where), partial_of(docstring, where)
    if seconds is None:
        return judge(ref, partial, read(kube, ref))
    return converge(kube, ref, partial, float(seconds))
