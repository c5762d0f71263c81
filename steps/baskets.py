"""Steps about depending on no single registry: local images, pull policies, registry mirrors."""

from __future__ import annotations

from pytest_bdd import given, then

from labconform.kube import images
from steps import judged, precondition

precondition(given, "the host runs a Kubernetes cluster",
             lambda lab: images.cluster_present(lab.target, lab.kubeconfig))
judged(then, "every image the cluster runs is present on the host",
       lambda lab: images.judged_cluster_images(lab.target, lab.kube, lab.docker))


@then("no Deployment container's pull policy forces a pull")
def _(lab, evidence):
    kube = lab.kube if images.cluster_config(lab.target, lab.kubeconfig) else None
    evidence.judged(images.judged_pull_policies(lab.target, kube, lab.params.deployment_manifest))


precondition(given, "the lab declares registry mirrors",
             lambda lab: images.mirrors_declared(lab.params.registry_mirrors))
judged(then, "Docker is configured with each declared registry mirror",
       lambda lab: images.judged_mirrors(lab.docker.info(), lab.params.registry_mirrors))
