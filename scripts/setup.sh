#!/usr/bin/env bash
# Install what labconform itself needs on this machine: a virtualenv with its Python packages.
# Sourced by lab.sh and test.sh; safe to run again (it changes nothing when all is there).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$top/.venv
py=${LABCONFORM_PYTHON:-python3}
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    py=/usr/bin/python3
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    echo "labconform: creating $venv"
    if ! "$py" -m venv "$venv" 2>/dev/null; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
        /usr/bin/python3 -m venv "$venv"
    fi
fi
# the report's browser check renders index.html in Debian's headless Chromium; the SSH tests
# start their own OpenSSH server on a loopback port; the exports' test runs a Cucumber report generator
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v sudo >/dev/null 2>&1 || missing+=(sudo)
# node and npm: the exports' tests read cucumber.json and the Allure results with npm's tools (below)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "labconform: installing ${missing[*]} (for the report's browser check, the SSH tests and the exports' test)"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >/dev/null \
        || echo "labconform: could not install ${missing[*]}; the tests that need them will say so" >&2
fi
# the exports' tests read cucumber.json with npm's cucumber-html-reporter and the Allure results with
# Allure 3's command line (npm's allure: no Java), both from $npm_dir (tests/support/npm_tools.py)
npm_dir=${LABCONFORM_NPM_DIR:-/var/cache/labconform/npm}
npm_missing=()
[ -f "$npm_dir/node_modules/cucumber-html-reporter/package.json" ] || npm_missing+=(cucumber-html-reporter@7)
[ -f "$npm_dir/node_modules/allure/package.json" ] || npm_missing+=(allure@3)
if [ ${#npm_missing[@]} -gt 0 ] && command -v npm >/dev/null 2>&1; then
    echo "labconform: installing ${npm_missing[*]} from npm into $npm_dir (for the exports' tests)"
    { mkdir -p "$npm_dir" && timeout 300 npm install --no-audit --no-fund --prefix "$npm_dir" "${npm_missing[@]}"; } \
        >/dev/null 2>&1 || echo "labconform: could not install ${npm_missing[*]}; the tests that need them say so" >&2
fi
stamp=$venv/.labconform-installed
if [ ! -f "$stamp" ] || [ "$top/pyproject.toml" -nt "$stamp" ]; then
    echo "labconform: installing Python packages into $venv"
    log=$(mktemp)
    "$venv/bin/pip" install -q --disable-pip-version-check -e "$top[dev]" > "$log" 2>&1 \
        || { cat "$log"; rm -f "$log"; echo "labconform: pip install failed" >&2; exit 1; }
    rm -f "$log"
    touch "$stamp"
fi
# a plain `pytest features/` in a new shell finds labconform too, where the interpreter on PATH takes
# packages (a pyenv or user Python; Debian's own python3 does not, and keeps to the virtualenv)
if [ "$py" != /usr/bin/python3 ] && [ ! -f "$venv/.labconform-outer" -o "$top/pyproject.toml" -nt "$venv/.labconform-outer" ]; then
    if "$py" -m pip install -q --disable-pip-version-check -e "$top" > /dev/null 2>&1; then
        touch "$venv/.labconform-outer"
    else
        echo "labconform: $py did not take the packages; use .venv/bin/pytest or source scripts/setup.sh" >&2
    fi
fi
export PATH=$venv/bin:$PATH
