"""Credentials are redacted from every output of a run: by their name and by their shape."""

from __future__ import annotations

import json

import pytest

from labconform.redact import REDACTED, is_secret_name, redact, redact_text

PEM = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAw9v7bX1hY2tlZC1zZWNyZXQ=
c2Vjb25kLWxpbmUtb2Yta2V5LW1hdGVyaWFs
-----END RSA PRIVATE KEY-----"""

KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tQ0EtUFVCTElDLS0t
    server: https://10.0.0.5:6443
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0xJRU5ULUNFUlQtU0VDUkVU
    client-key-data: Q0xJRU5ULUtFWS1TRUNSRVQ=
    token: 0123456789abcdef0123456789abcdef
"""


@pytest.mark.parametrize("name", ["PASSWORD", "MYSQL_ROOT_PASSWORD", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY",
                                  "api_key", "apiKey", "client-key-data", "db_passwd", "X_AUTH_TOKEN", "SSH_KEY"])
def test_credential_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["JAVA_OPTS", "HOSTNAME", "PATH", "certificate-authority-data", "monkey",
                                  "status", "session", "keys", "public_key", "TOMCAT_VERSION"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_environment_assignments_hide_the_value_and_keep_the_name() -> None:
    env = "PATH=/usr/bin\nDB_PASSWORD=hunter2\nJAVA_OPTS=-Djava.security.egd=file:/dev/./urandom\nAPI_TOKEN='t0k3n'"
    out = redact_text(env)
    assert "hunter2" not in out and "t0k3n" not in out
    assert f"DB_PASSWORD={REDACTED}" in out
    assert "JAVA_OPTS=-Djava.security.egd=file:/dev/./urandom" in out
    assert "PATH=/usr/bin" in out


def test_private_key_blocks() -> None:
    out = redact_text(f"key file:\n{PEM}\nafter")
    assert "MIIEowIBAAKCAQEA" not in out and "c2Vjb25k" not in out
    assert "-----BEGIN RSA PRIVATE KEY-----" in out and out.endswith("after")


def test_kubeconfig_keys_and_tokens_but_not_the_public_ca() -> None:
    out = redact_text(KUBECONFIG)
    for secret in ("Q0xJRU5ULUNFUlQtU0VDUkVU", "Q0xJRU5ULUtFWS1TRUNSRVQ=", "0123456789abcdef0123456789abcdef"):
        assert secret not in out
    assert "LS0tQ0EtUFVCTElDLS0t" in out  # the cluster's CA certificate is public
    assert "server: https://10.0.0.5:6443" in out


def test_headers_urls_flags_and_token_shapes() -> None:
    text = ("Authorization: Bearer abc123.def456-ghi\n"
            "git clone https://admin:s3cr3t@git.example/lab.git\n"
            "kubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00\n"
            "docker login --password=Pa55word registry\n"
            "id_token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlXzEyMw\n")
    out = redact_text(text)
    for secret in ("abc123.def456-ghi", "s3cr3t", "abcdef.0123456789abcdef", "Pa55word", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in out, secret
    assert "https://admin:" in out and "@git.example/lab.git" in out


def test_prose_is_left_alone() -> None:
    text = "Hello, I am 97f2b500fa47\nbasic authentication is off; the token generation uses urandom"
    assert redact_text(text) == text


def test_structures_keep_their_shape() -> None:
    record = {
        "found": {"user": "admin", "password": "hunter2", "env": ["A=1", "SECRET=xyz"]},
        "details": {"kubeconfig": KUBECONFIG, "credentials": {"user": "u", "pass": "p"}},
        "ok": True,
        "command": ["pytest", "--token", "tok-123456", "features/"],
    }
    out = redact(record)
    dumped = json.dumps(out)
    for secret in ("hunter2", "xyz", "Q0xJRU5ULUtFWS1TRUNSRVQ=", "tok-123456"):
        assert secret not in dumped
    assert out["found"]["user"] == "admin" and out["found"]["password"] == REDACTED
    assert out["details"]["credentials"] == {"user": REDACTED, "pass": REDACTED}
    assert out["command"] == ["pytest", "--token", REDACTED, "features/"]
    assert out["ok"] is True
    assert record["found"]["password"] == "hunter2"  # the input is not changed


def test_redaction_is_idempotent() -> None:
    once = redact_text(KUBECONFIG + PEM + "\nTOKEN=abc")
    assert redact_text(once) == once


def test_every_credential_name_is_redacted_in_text_alone() -> None:
    """The quick check for a credential's name must know every name the rules know."""
    from labconform.redact import _SECRET_NAMES, _SECRET_WORDS

    for name in sorted(_SECRET_WORDS | _SECRET_NAMES):
        assert redact_text(f"{name}: v4lue-1") == f"{name}: {REDACTED}", name
        env = name.upper().replace("-", "_")
        assert redact_text(f"{env}=v4lue-1") == f"{env}={REDACTED}", name


@pytest.mark.parametrize("text", [
    "PATH=/usr/bin DB_PASSWORD=hunter2-x",
    "user: admin token: hunter2-x",
    "docker login --username admin --password hunter2-x",
    repr("users:\n- name: admin\n  user:\n    token: hunter2-x\n"),  # a found value as a failure message shows it
])
def test_a_credential_after_an_ordinary_value_on_the_same_line(text: str) -> None:
    """An ordinary `name: value` before a credential does not carry the credential away with it."""
    out = redact_text(text)
    assert "hunter2-x" not in out and REDACTED in out
    assert "admin" in out or "/usr/bin" in out


# issue 25: the shapes a probe found redaction missed
@pytest.mark.parametrize("text, secret", [
    ("kubeadm join 10.0.0.1:6443 --control-plane --certificate-key 9f2c4a7e1b3d", "9f2c4a7e1b3d"),
    ("mysql --verbose --password hunter2 lab", "hunter2"),
    ("mysql -phunter2 -h db lab", "hunter2"),
    ("mysqldump -u root -p hunter2 lab", "hunter2"),
    ("DB_PASS=hunter2 ./migrate", "hunter2"),
    ("[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n", "wJalrXUtnFEMI"),
    ("redis://:pw-s3cret@cache:6379/0", "pw-s3cret"),
])
def test_the_secret_shapes_of_this_domain(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out and REDACTED in out, out


@pytest.mark.parametrize("text", [
    "--lab-params key.yaml:2: unknown parameter(s) foo",  # a file's name and line, not a key's value
    "docker run -p 18080:8080 mytc",  # a port, not a password
    "kubeadm join 10.0.0.1:6443 --control-plane --discovery-token-unsafe-skip-ca-verification",
    "region = eu-west-1",
    "key = value lines of /etc/sysctl.d/k8s.conf (sysctl --system order)",  # prose about such lines
])
def test_what_only_looks_like_those_shapes_stays(text: str) -> None:
    assert redact_text(text) == text
