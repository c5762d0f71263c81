@section:installing-k8s
Feature: Installing K8s on Rocky
  The Kubernetes repository, kubeadm, kubelet and kubectl at one version, the release the lab pins (the
  document's v1.22), kubelet kept running, and kubelet managing cgroups the way Docker does.

  Background:
    Given the lab host

  @id:k8s-inst-01 @impact:high
  Scenario: kubeadm, kubelet and kubectl are installed at one version
    A kubeadm of another version than its kubelet writes configuration that kubelet misreads.
    Then kubeadm, kubelet and kubectl report the same version

  @id:k8s-inst-02 @impact:high
  Scenario: kubelet starts with the host and runs
    kubelet starts the control plane's static pods: without it nothing of the cluster comes up.
    Then the "kubelet" service is enabled and running

  @id:k8s-inst-03 @impact:high
  Scenario: Docker and kubelet use the same cgroup driver
    Two managers of one cgroup tree fight under load; kubelet must use Docker's driver.
    Then the running kubelet's cgroup driver is Docker's

  @id:k8s-inst-04 @impact:medium
  Scenario: kubelet runs under kubeadm's drop-in
    kubeadm hands kubelet its kubeconfigs and flags through the drop-in (the kubeadm package's, or one installed with it).
    Given systemd is the host's init
    Then systemd runs "kubelet.service" with the drop-in "10-kubeadm.conf"

  @id:k8s-inst-05 @impact:medium
  Scenario: the cluster runs the pinned Kubernetes release
    The repository installed the release of the day, v1.22 in the document (lab parameter kubernetes_version), as `kubectl get nodes` shows.
    Then the API server and every node's kubelet run the lab's Kubernetes release

  @id:k8s-inst-06 @impact:high
  Scenario: the host's package tool has the Kubernetes repository
    Rocky's repositories hold no Kubernetes: the document adds kubernetes.repo, signature-checked, the three tools excluded from upgrades.
    Then the "Kubernetes" package repository is configured and enabled
