"""Steps about the package repositories the document adds to the host's package tool."""

from __future__ import annotations

from pytest_bdd import parsers, then

from labconform.host import repos
from steps import judged

judged(then, parsers.parse('the "{repo}" package repository is configured and enabled'),
       lambda lab, repo: repos.judged_repository(lab.target, repo))
