@section:k8s-init
Feature: K8s init
  kubeadm init made a control plane whose API server runs in Docker, with its CoreDNS add-on; root's
  logins know the admin kubeconfig, and the only node, untainted, is both control plane and master.

  Background:
    Given the lab host

  @id:k8s-init-01 @impact:high
  Scenario: the Kubernetes API server answers
    Every kubectl command of the document goes through it.
    Then the API server answers its health check and names its version

  @id:k8s-init-02 @impact:medium
  Scenario: the API server runs as a Docker container
    The document checks it with `docker ps | grep kube-apiserver`: dockershim runs the control plane.
    Then a running Docker container holds "kube-apiserver"

  @id:k8s-init-03 @impact:medium
  Scenario: root's logins reach the cluster through admin.conf
    The document exports KUBECONFIG in root's .bash_profile so kubectl works after every login.
    Then "/etc/kubernetes/admin.conf" is a kubeconfig for the cluster's API server
    And a login shell of root has KUBECONFIG set to "/etc/kubernetes/admin.conf"

  @id:k8s-init-04 @impact:high
  Scenario: the master taint is gone, so pods run on the only node
    With the taint, the scheduler places no pod anywhere in a one-node cluster.
    Then no node carries the taint "node-role.kubernetes.io/master"

  @id:k8s-init-05 @impact:medium
  Scenario: the only node is both control plane and master
    One node plays every part, as `kubectl get nodes` shows in the document.
    Then the cluster has 1 node
    And the node's roles are "control-plane,master"

  @id:k8s-init-06 @impact:medium
  Scenario: kubeadm's CoreDNS add-on is available
    kubeadm init installs CoreDNS in kube-system, the cluster's DNS: Services are found by name through it.
    Then kube-system's CoreDNS Deployment has every replica available
