"""Steps about depending on no single registry: local images, pull policies, registry mirrors."""

from __future__ import annotations

from pytest_bdd import given, then

from labconform.kube import baskets


@given("the host runs a Kubernetes cluster")
def _(lab, evidence):
    evidence.applicable(baskets.cluster_present(lab.target, lab.kubeconfig))


@then("every image the cluster runs is present on the host")
def _(lab, evidence):
    evidence.judged(baskets.judged_cluster_images(lab.target, lab.kube, lab.docker))


@then("no Deployment container's pull policy forces a pull")
def _(lab, evidence):
    kube = lab.kube if baskets.cluster_config(lab.target, lab.kubeconfig) else None
    evidence.judged(baskets.judged_pull_policies(lab.target, kube, lab.params.deployment_manifest))


@given("the lab declares registry mirrors")
def _(lab, evidence):
    evidence.applicable(baskets.mirrors_declared(lab.params.registry_mirrors))


@then("Docker is configured with each declared registry mirror")
def _(lab, evidence):
    evidence.judged(baskets.judged_mirrors(lab.docker.info(), lab.params.registry_mirrors))
