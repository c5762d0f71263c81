"""Steps about any Kubernetes object: the live object contains the partial one written in the step's doc-string
(labconform.kube.objects), at once or within a bound."""

from __future__ import annotations

from pytest_bdd import parsers, then

from labconform.kube import objects
from steps import judged

judged(then, parsers.re(r'the Kubernetes object "(?P<ref>[^"]+)"(?: in namespace "(?P<namespace>[^"]+)")? '
                        r'contains(?:, within (?P<seconds>\d+) seconds?)?:'),
       lambda lab, step_at, ref, namespace, seconds, docstring=None:
       objects.judged_object(lab.kube, ref, namespace, docstring, seconds, step_at()))
