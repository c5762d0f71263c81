@section:preparing-k8s
Feature: Preparing K8s for Rocky
  What the one-node cluster needs from its host before kubeadm runs: bridged traffic seen by
  iptables, no swap, the control-plane ports open and served, SELinux kept enforcing with the
  container policy and the contexts Kubernetes needs. (That the host's name resolves, which kubeadm
  also needs, is claimed once, in the Rocky section: rocky-09.)

  Background:
    Given the lab host

  @id:k8s-prep-01 @impact:high
  Scenario: bridged traffic passes through iptables
    Pods on one bridge reach each other and their Services only when the bridge calls iptables.
    Then the kernel setting "net.bridge.bridge-nf-call-iptables" is "1"
    And the kernel setting "net.bridge.bridge-nf-call-ip6tables" is "1"
    And a file of /etc/sysctl.d sets "net.bridge.bridge-nf-call-iptables" to "1" at boot
    And a file of /etc/sysctl.d sets "net.bridge.bridge-nf-call-ip6tables" to "1" at boot

  @id:k8s-prep-02 @impact:high
  Scenario: swap is off now and stays off after a reboot
    kubelet refuses to run with swap; the document turns it off and comments out the fstab line.
    Then no swap space is in use
    And /etc/fstab activates no swap space

  @id:k8s-prep-03 @impact:medium
  Scenario: the firewall opens the control-plane ports and accepts the Docker subnet
    With firewalld in charge, a closed port cuts the control plane off from the node's members. The rules
    must hold on disk (a reload or a reboot keeps them) and in force now, and the firewall must be live:
    the API server's port answers from the lab host while a port it does not open is refused from there.
    Given firewalld manages the host's firewall
    Then the public zone opens TCP ports "6443,2379,2380,10250,10251,10252" permanently and at runtime
    And the public zone accepts traffic from "172.17.0.0/16" permanently and at runtime
    And a TCP connection from the lab host to the host's port 6443 is accepted
    And a port the firewall does not open answers on the host but is refused from the lab host

  @id:k8s-prep-04 @impact:high
  Scenario Outline: a control-plane port the document opens is served once the cluster is up
    An open port that nobody listens on proves nothing. Since v1.20 kubeadm turns off the insecure
    ports 10251 and 10252: the scheduler and controller-manager serve on 10259 and 10257 instead.
    Then "<process>" listens on TCP port <port>

    Examples:
      | process                 | port  |
      | kube-apiserver          | 6443  |
      | etcd                    | 2379  |
      | etcd                    | 2380  |
      | kubelet                 | 10250 |
      | kube-scheduler          | 10259 |
      | kube-controller-manager | 10257 |

  @id:k8s-prep-05 @impact:medium
  Scenario Outline: a directory Kubernetes containers use carries the container SELinux type
    With SELinux enforcing, etcd, the API server and the CNI plugins read these only with that type.
    Given the kernel has SELinux
    Then "<path>" carries the SELinux type "svirt_sandbox_file_t"

    Examples:
      | path                 |
      | /var/lib/etcd        |
      | /etc/kubernetes/pki  |
      | /etc/cni/net.d       |

  @id:k8s-prep-06 @impact:medium
  Scenario: SELinux denies nothing to containers or Kubernetes
    The document keeps SELinux and watches the audit log for denials instead of disabling it.
    Given the kernel has SELinux
    Then the audit log holds no SELinux denial for containers or Kubernetes

  # k8s-prep-07 is retired (it repeated rocky-09); an id is never reused
  @id:k8s-prep-08 @impact:high
  Scenario: SELinux stays enforcing, with the container policy installed
    The document keeps SELinux rather than disable it, which Kubernetes survives once container-selinux types its containers.
    Given the kernel has SELinux
    Then SELinux is enforcing now and at boot, with the container policy installed
