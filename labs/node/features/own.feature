@section:own
Feature: The lab node's own claims
  What the lab node (a systemd container standing in for the document's VM, docs/node.md) is meant to hold
  beyond the document: written in the vocabulary (docs/vocabulary.md), kept beside the node's parameters and
  waivers, run with pytest features/ labs/node/features/ and the node's --target.

  Background:
    Given the lab host

  @id:own-node-01 @impact:high
  Scenario: the node is reached over SSH from the lab host
    Then the package "openssh-server" is installed
    And the service "ssh" is running
    And the service "ssh" is enabled at boot
    And TCP port 22 is listened on by "sshd"

  @id:own-node-02 @impact:medium
  Scenario: the node's Docker engine starts with it and uses systemd's cgroups
    Then the service "docker" is enabled at boot
    And the processes "dockerd" run as "root"
    And the command "docker info --format '{{json .}}'" prints JSON with "CgroupDriver" equal to "systemd"

  @id:own-node-03 @impact:medium
  Scenario: the node's users and files as its admin keeps them
    Then the user "root" has the shell "/bin/bash"
    And the user "otheruser" is in the group "docker"
    And the file "/etc/passwd" has the mode "0644"
    And the file "/etc/os-release" has a line matching "^VERSION_ID=\"12\"$"

  @id:own-node-04 @impact:medium
  Scenario: the cluster's API server and kubelet answer on the node
    Then TCP port 6443 is listened on by "kube-apiserver"
    And the URL "http://127.0.0.1:10248/healthz" answers with a body containing "ok", within 30 seconds
    And the name "localhost" resolves to "127.0.0.1"
