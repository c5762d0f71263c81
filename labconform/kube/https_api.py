"""The Kubernetes API over plain HTTPS and JSON: the kubeconfig's server and credentials, one bounded request at a
time, objects as the JSON the API server sent (read by attribute through Obj). No `kubernetes` package: the
claims need a handful of GETs, not its 250 model modules."""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import tempfile
import urllib.parse
from decimal import Decimal, DecimalException, InvalidOperation
from pathlib import Path
from typing import Any

import urllib3
import yaml

# (connect, read) seconds for every API call: a dead API server ends a claim in seconds, not minutes
REQUEST_TIMEOUT = (3.0, 10.0)
# the JSON fields that are maps of the user's keys, read as plain dicts (not as objects with fields)
MAPS = frozenset({"labels", "annotations", "selector", "matchLabels", "nodeSelector", "limits", "requests",
                  "capacity", "allocatable", "data", "binaryData"})


class ApiError(Exception):
    """An HTTP error status from the API server, with what it said."""

    def __init__(self, status: int, reason: str, body: bytes | str = b"") -> None:
        super().__init__(f"{status} {reason}")
        self.status, self.reason, self.body = status, reason, body


def api_message(exc: ApiError, prefix: str = "") -> str:
    """What the API server said along with an error status (its Status message, or the text), one line."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else (exc.body or "")
    try:
        body = (yaml.safe_load(body) or {}).get("message") or body
    except (yaml.YAMLError, AttributeError):
        pass
    text = " ".join(str(body).split())[:300]
    return f"{prefix}{text}" if text else ""


class Obj:
    """An API object read by attribute under the names the official client gave its fields (pod.status.pod_ip
    is status.podIP): absent fields are None, nested objects Obj, maps (MAPS) plain dicts, timestamps the
    server's strings. Read-only; to_dict() is the JSON itself."""

    __slots__ = ("_json",)

    def __init__(self, data: dict[str, Any]) -> None:
        object.__setattr__(self, "_json", data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        want = name.replace("_", "").lower()
        key = next((k for k in self._json if k.lower() == want), None)
        return None if key is None else wrap(self._json[key], key)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"an API object is read-only ({name})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Obj) and other._json == self._json

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Obj({self._json!r})"

    def to_dict(self) -> dict[str, Any]:
        return self._json


def wrap(value: Any, key: str = "") -> Any:
    """A JSON value as Obj reads it: objects become Obj, except the maps."""
    if isinstance(value, dict):
        return value if key in MAPS else Obj(value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def as_json(obj: Any) -> Any:
    """An object (or a list of them) as its JSON: Obj's own dict, anything else as it is."""
    if isinstance(obj, list):
        return [as_json(o) for o in obj]
    return obj.to_dict() if isinstance(obj, Obj) else obj


def _named(data: dict[str, Any], section: str, name: str | None, field: str) -> dict[str, Any]:
    entry = next((e for e in data.get(section) or [] if (e or {}).get("name") == name), None)
    if entry is None:
        raise ValueError(f"no {section[:-1]} named {name!r}")
    return entry.get(field) or {}


class Transport:
    """HTTPS to one API server as a kubeconfig's current context describes it: its server, its CA, a client
    certificate and key (written to a private temp directory, removed at exit) or a bearer token."""

    def __init__(self, data: dict[str, Any]) -> None:
        context = _named(data, "contexts", data.get("current-context"), "context")
        cluster = _named(data, "clusters", context.get("cluster"), "cluster")
        users = data.get("users") or []
        user = _named(data, "users", context.get("user"), "user") if users else {}
        if user.get("exec") or user.get("auth-provider"):
            raise ValueError("credentials from an exec plugin or auth provider are not supported")
        self.server = str(cluster["server"]).rstrip("/")
        self.headers = {"Accept": "application/json, */*", "User-Agent": "labconform"}
        token = user.get("token") or (Path(user["tokenFile"]).read_text().strip() if user.get("tokenFile") else None)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif user.get("username"):
            self.headers.update(urllib3.make_headers(basic_auth=f"{user['username']}:{user.get('password', '')}"))
        kw: dict[str, Any] = {"retries": 0, "timeout": urllib3.Timeout(*REQUEST_TIMEOUT)}
        if cluster.get("insecure-skip-tls-verify"):
            kw["cert_reqs"] = "CERT_NONE"
        else:
            kw["cert_reqs"] = "CERT_REQUIRED"
            kw["ca_certs"] = self._file(cluster, "certificate-authority")
        kw["cert_file"] = self._file(user, "client-certificate")
        kw["key_file"] = self._file(user, "client-key")
        if cluster.get("tls-server-name"):
            kw["server_hostname"] = cluster["tls-server-name"]
        self.pool = urllib3.PoolManager(num_pools=2, maxsize=4, **{k: v for k, v in kw.items() if v is not None})

    def _file(self, entry: dict[str, Any], field: str) -> str | None:
        """A kubeconfig's file field: its path, or its `-data` written to a private file."""
        if entry.get(f"{field}-data"):
            return private_file(field, base64.b64decode(entry[f"{field}-data"]))
        return entry.get(field)

    def request(self, method: str, path: str, query: dict[str, Any] | None = None,
                body: Any = None) -> urllib3.BaseHTTPResponse:
        """One request, its answer read; transport errors are urllib3's and OSError."""
        url = self.server + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/merge-patch+json" if method == "PATCH" else "application/json"
        return self.pool.request(method, url, body=None if body is None else json.dumps(body).encode(),
                                 headers=headers, redirect=False)


_PRIVATE: list[str] = []


def private_file(name: str, content: bytes) -> str:
    """`content` in a file only this user can read, in a directory removed at exit."""
    if not _PRIVATE:
        _PRIVATE.append(tempfile.mkdtemp(prefix="labconform-kube-"))
        atexit.register(shutil.rmtree, _PRIVATE[0], True)
    fd, path = tempfile.mkstemp(prefix=f"{name}-", dir=_PRIVATE[0])  # mode 0600
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return path


_EXPONENTS = {"n": -3, "u": -2, "m": -1, "K": 1, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def parse_quantity(quantity: Any) -> Decimal:
    """A Kubernetes quantity ("500m", "128Mi", "2", "1.5G") as a number, as the official client's
    kubernetes.utils.quantity.parse_quantity reads it; ValueError for what is not one."""
    if isinstance(quantity, (int, float, Decimal)):
        return Decimal(quantity)
    text = str(quantity)
    number, suffix = text, ""
    if len(text) >= 2 and text[-1] == "i" and text[-2] in _EXPONENTS:
        number, suffix = text[:-2], text[-2:]
    elif text[-1:] in _EXPONENTS:
        number, suffix = text[:-1], text[-1]
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"Invalid number format: {number}") from None
    if not suffix:
        return value
    if suffix.endswith("i") and suffix[0] not in "KMGTPE":
        raise ValueError(f"{text} has unknown suffix")
    base = 1024 if suffix.endswith("i") else 1000
    try:
        return value * (base ** Decimal(_EXPONENTS[suffix[0]]))
    except DecimalException as exc:
        raise ValueError(f"Invalid quantity: {text}") from exc
