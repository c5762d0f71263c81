"""Redaction: credentials never reach results.json, the HTML report or the exports.

Two rules, applied to every string and every mapping of a run's record:
- a value stored under a name that says it is a credential (a mapping key, an environment
  variable ``NAME=value``, a YAML or JSON ``name: value`` line, a ``--token value`` flag) is
  replaced, whatever it looks like;
- a value that has the shape of a credential (a PEM private key, a bearer token, a JWT, a
  kubeadm bootstrap token, a password in a URL) is replaced wherever it appears.
The name and the structure stay, so a reader still sees *that* a secret was there.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"

# a name is a credential's when one of its words is one of these (PASSWORD, db_password, apiKey,
# client-key-data, GITHUB_TOKEN); "key" alone counts: a lab's keys are secrets far more often
# than not, and a redacted harmless value costs less than a leaked key
_SECRET_WORDS = {
    "token", "tokens", "password", "passwd", "pass", "pwd", "passphrase", "secret", "secrets", "key", "apikey",
    "credential", "credentials", "auth", "authorization", "cookie", "privatekey",
}
# kubeconfig fields that hold key material or identity
_SECRET_NAMES = {"client-key-data", "client-certificate-data", "id-token", "refresh-token"}
# names that merely mention a key and hold none (public material, a choice of algorithm)
_PUBLIC_NAMES = {"certificate-authority-data", "public_key", "publickey", "key_type", "keytype", "keys"}


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_secret_name(name: str) -> bool:
    """True for names like PASSWORD, db_pass, apiKey, client-key-data, X_AUTH_TOKEN."""
    low = name.strip().strip("\"'").lower()
    if low in _PUBLIC_NAMES or low.replace("-", "_") in _PUBLIC_NAMES:
        return False
    if low.replace("_", "-") in _SECRET_NAMES:
        return True
    words = _words(low.replace("-", "_"))
    if "public" in words:
        return False
    return any(w in _SECRET_WORDS for w in words) or low.endswith(("password", "token", "secret"))


_PEM = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END \1-----|\Z)", re.DOTALL
)
# an Authorization header's credentials; a real one holds a digit or base64 padding, prose does not
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)(?=[A-Za-z._~+/=-]*[0-9+/=])([A-Za-z0-9._~+/=-]{8,})")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
# kubeadm bootstrap tokens: abcdef.0123456789abcdef
_BOOTSTRAP = re.compile(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b")
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")  # redis://:pw@host too
# NAME=value (environment, shell, docker -e); the value ends at whitespace or a quote it began with
_ASSIGN = re.compile(
    r"""(?P<name>\b[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>=)(?P<q>["'])?(?P<value>(?(q)[^"'\n]*|[^\s"',;]*))"""
)
# name: value on a YAML line, "name": "value" in JSON text
_COLON = re.compile(
    r"""(?P<name>["']?[A-Za-z_][A-Za-z0-9_.-]*["']?)(?P<sep>[ \t]*:[ \t]*)"""
    r"""(?P<q>["'])?(?P<value>(?(q)[^"'\n]*|[^\s,}]+))"""
)
# command-line flags: --token X, --password=X, --certificate-key X; a value never starts with '-', so that a
# flag without one (kubeadm join --control-plane --certificate-key K) does not hide the next flag's
_FLAG = re.compile(
    r"(?P<name>--[A-Za-z][A-Za-z0-9-]*)(?P<sep>[= ])(?P<q>[\"'])?(?P<value>(?(q)[^\"'\n]*|(?!-)[^\s\"']+))"
)
# name = value as the whole line of an ini file (~/.aws/credentials, my.cnf): spaces around '='
_INI = re.compile(
    r"(?m)^(?P<name>[ \t]*[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>[ \t]+=[ \t]*|=[ \t]+)(?P<q>)(?P<value>[^\s]+)(?=[ \t]*$)"
)
# the MySQL family's short password flag: -pPASS, or -p PASS (which the client reads as a database: hidden too)
_MYSQL_P = re.compile(r"(\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?\s-p)(\s*)(?!-)(\S+)")
# a file's name and line in a message (keys.yaml:2:) is no credential's name
_FILE_NAME = re.compile(r"\.(?:ya?ml|json|conf|cfg|ini|toml|txt|py|sh|env|pem|crt|key)[\"']?$")


# every secret name holds one of these (lower case); a text without any needs no rule by name
_NAME_HINTS = ("token", "pass", "pwd", "secret", "key", "auth", "credential", "cookie", "certificate-data",
               "certificate_data")


def _by_name(m: re.Match[str]) -> str:
    name, value = m["name"], m["value"]
    if not value or value == REDACTED or _FILE_NAME.search(name) or not is_secret_name(name.lstrip("-")):
        return m.group(0)
    return f"{name}{m['sep']}{m['q'] or ''}{REDACTED}"


def redact_text(text: str) -> str:
    """Replace every credential in a piece of text (an output, a file, a command line)."""
    if not text:
        return text
    out = text
    # each rule only runs where its marker is: most evidence strings hold none
    if "PRIVATE KEY" in out:
        out = _PEM.sub(lambda m: f"-----BEGIN {m[1]}-----\n{REDACTED}\n-----END {m[1]}-----", out)
    if "://" in out and "@" in out:
        out = _URL_PASSWORD.sub(lambda m: m[1] + REDACTED + m[3], out)
    low = out.lower()
    if "bearer" in low or "basic" in low:
        out = _BEARER.sub(lambda m: m[1] + m[2] + REDACTED if m[3] != REDACTED else m[0], out)
    for marker, token in (("eyJ", _JWT), (".", _BOOTSTRAP)):
        if marker in out:
            out = token.sub(REDACTED, out)
    if " -p" in out and ("mysql" in low or "mariadb" in low):
        out = _MYSQL_P.sub(lambda m: m[1] + m[2] + REDACTED if m[3] != REDACTED else m[0], out)
    if not any(hint in low for hint in _NAME_HINTS):
        return out  # no credential's name appears: the rules by name have nothing to find
    for marker, named in (("--", _FLAG), ("=", _ASSIGN), ("=", _INI), (":", _COLON)):
        if marker in out:
            out = named.sub(_by_name, out)
    return out


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with every credential replaced (see the module's rules)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if isinstance(k, str) and is_secret_name(k) and v not in (None, "", [], {}) and not isinstance(v, bool):
                out[k] = REDACTED if not isinstance(v, (dict, list)) else _redact_all(v)
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, (list, tuple)):
        items = list(value)
        # argv: ["--token", "abc"] keeps the flag and hides its value
        for i in range(len(items) - 1):
            if isinstance(items[i], str) and items[i].startswith("--") and "=" not in items[i] \
                    and is_secret_name(items[i].lstrip("-")) and isinstance(items[i + 1], str):
                items[i + 1] = REDACTED
        return [redact(v) for v in items]
    return value


def _redact_all(value: Any) -> Any:
    """Under a secret's name everything is secret: keep the shape, hide every leaf."""
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_all(v) for v in value]
    return REDACTED
