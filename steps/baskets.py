"""Steps about depending on no single registry: local images, pull policies, registry mirrors."""

from __future__ import annotations

from pytest_bdd import given, then

from labconform import baskets


@given("the host runs a Kubernetes cluster")
def _(lab, evidence):
    if baskets.cluster_config(lab.target, lab.kubeconfig) is None:
        evidence.not_applicable(f"no cluster on this host: {baskets.ADMIN_CONF} is absent (kubeadm init not run)")


@then("every image the cluster runs is present on the host")
def _(lab, evidence):
    found = baskets.cluster_images(lab.target, lab.kube)
    missing = [i for i in found.images if lab.docker.image(i) is None]
    evidence.check(bool(found.images) and not missing and not found.problems, "cluster images",
                   expected="every one present locally", found={"missing": missing, "problems": found.problems}
                   if missing or found.problems or not found.images else f"{len(found.images)} present",
                   how="; ".join(found.how) + "; docker image inspect each", images=found.images)


@then("no Deployment container's pull policy forces a pull")
def _(lab, evidence):
    kube = lab.kube if baskets.cluster_config(lab.target, lab.kubeconfig) else None
    v = baskets.judged_pull_policies(lab.target, kube, lab.params.deployment_manifest)
    if v.not_applicable:
        evidence.not_applicable(v.not_applicable)
    evidence.check(not v.forcing, "Deployment pull policies", expected="none effectively Always", found=v.policies,
                   how=v.how, forcing=v.forcing)


@given("the lab declares registry mirrors")
def _(lab, evidence):
    if not lab.params.registry_mirrors:
        evidence.not_applicable("the lab declares no registry mirror (lab parameter registry_mirrors is empty)")


@then("Docker is configured with each declared registry mirror")
def _(lab, evidence):
    have = baskets.docker_mirrors(lab.docker.info())
    want = [m.rstrip("/") for m in lab.params.registry_mirrors]
    evidence.check(all(m in have for m in want), "registry mirrors", expected=want, found=have,
                   how="docker info: RegistryConfig.Mirrors")
