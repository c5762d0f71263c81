@section:flannel
Feature: Flannel
  The pod network: pods get 10.244.x.x addresses, the node turns Ready once the network is in
  place, and Flannel's DaemonSet runs it.

  Background:
    Given the lab host

  @id:k8s-net-01 @impact:high
  Scenario: the node is Ready
    A node stays NotReady until its pod network works; nothing is scheduled on it before.
    Then every node is Ready

  @id:k8s-net-02 @impact:high
  Scenario: the pod network is 10.244.0.0/16
    kubeadm init was given Flannel's hard-coded network; the node's pod range lies inside it.
    Then the cluster's pod network is "10.244.0.0/16"
    And every node's pod range lies inside "10.244.0.0/16"

  @id:k8s-flannel-01 @impact:medium
  Scenario: Flannel's DaemonSet runs on every node
    The document installs Flannel as the CNI from its upstream manifest.
    Then a Flannel DaemonSet has a ready pod on every node it should run on
