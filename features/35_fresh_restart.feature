@section:fresh-restart
Feature: Fresh restart
  After the updates, the host does not wait for a reboot: it runs what it has installed. Rebooted (with
  --destructive), it comes back by itself with everything the document enabled or made permanent.

  Background:
    Given the lab host

  @id:restart-01 @impact:medium
  Scenario: no restart is pending
    dnf needs-restarting -r on Rocky, /var/run/reboot-required and needrestart on Debian.
    Then no restart of the host is pending

  @id:restart-02 @impact:high @destructive
  Scenario: the host reboots and systemd boots it again
    The document reboots after the updates; a lab that does not come back from a reboot is not a lab.
    Given systemd is the host's init
    And the lab host has been rebooted in this run
    Then systemd has started the host's userspace again since the reboot

  @id:restart-03 @impact:high @destructive
  Scenario Outline: after a reboot, <service> is enabled and running again
    What the document enables starts by itself at boot, with nobody logged in.
    Given systemd is the host's init
    And the lab host has been rebooted in this run
    Then the "<service>" service is enabled and running

    Examples:
      | service |
      | docker  |
      | kubelet |

  @id:restart-04 @impact:high @destructive
  Scenario: after a reboot, swap stays off and bridged traffic still passes through iptables
    The fstab line is commented out and the sysctl.d file is read at boot: neither lasts only as long as a shell.
    Given systemd is the host's init
    And the lab host has been rebooted in this run
    Then no swap space is in use
    And /etc/fstab activates no swap space
    And the kernel setting "net.bridge.bridge-nf-call-iptables" is "1"
    And the kernel setting "net.bridge.bridge-nf-call-ip6tables" is "1"

  @id:restart-05 @impact:medium @destructive
  Scenario: after a reboot, the clock is synchronised again
    The synchroniser starts at boot and finds its server again by itself.
    Given systemd is the host's init
    And the lab host has been rebooted in this run
    Then within 60 seconds the clock is synchronised by chrony or timesyncd

  @id:restart-06 @impact:high @destructive
  Scenario: after a reboot, the cluster serves hw through its NodePort again
    kubelet brings the control plane back from its static pods, then the Deployment's pods; kube-proxy's rules
    settle last (the evidence says how long that took).
    Given systemd is the host's init
    And the lab host has been rebooted in this run
    And within 180 seconds deployment "hw-deploy" has all 2 replicas available again
    And within 120 seconds every pod of deployment "hw-deploy" answers at its address on port 8080 again
    Then every node is Ready
    And every pod of deployment "hw-deploy" answers "Hello, I am " and its own name at its address on port 8080
    Given within 60 seconds service "hw" of deployment "hw-deploy" answers 5 requests in a row at its NodePort again
    When 20 requests are sent to the NodePort of service "hw" of deployment "hw-deploy" from the lab host
    Then every request was answered by a pod of deployment "hw-deploy" that is current

  @id:restart-07 @impact:medium @destructive
  Scenario: after a reboot, the firewall still opens the control-plane ports and accepts the Docker subnet
    firewall-cmd --permanent wrote the rules to disk; firewalld loads them at boot, and keeps other ports closed.
    Given systemd is the host's init
    And the lab host has been rebooted in this run
    And firewalld manages the host's firewall
    Then the public zone opens TCP ports "6443,2379,2380,10250,10251,10252" permanently and at runtime
    And the public zone accepts traffic from "172.17.0.0/16" permanently and at runtime
    And a port the firewall does not open answers on the host but is refused from the lab host
