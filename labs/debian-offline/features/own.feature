@section:own
Feature: This lab's own claims
  What this machine, the lab of CI, is meant to hold beyond the document: written in the vocabulary
  (docs/vocabulary.md), kept beside the lab's waivers, run with pytest features/ labs/debian-offline/features/.

  Background:
    Given the lab host

  @id:own-local-01 @impact:medium
  Scenario: the package tools and the container engine's packages are installed
    Then the package "dpkg" is installed
    And the package "openssl" is installed at version ">= 3.0"
    And the package "telnetd" is not installed

  @id:own-local-02 @impact:medium
  Scenario: the Docker engine runs as root and listens on its socket only
    Then a process "dockerd" is running
    And the processes "dockerd" run as "root"
    And the file "/var/run/docker.sock" belongs to the group "docker"
    And "/var/run/docker.sock" is a socket

  @id:own-local-03 @impact:medium
  Scenario: the lab's users and groups
    Then the user "root" has the uid 0
    And the user "otheruser" is in the group "docker"
    And the group "docker" exists

  @id:own-local-04 @impact:low
  Scenario: the host's files as an admin keeps them
    Then the file "/etc/passwd" has the mode "0644"
    And the file "/etc/passwd" is owned by "root:root"
    And the file "/etc/os-release" has a line matching "^ID=debian$"
    And the file "/etc/nologin" does not exist

  @id:own-local-05 @impact:medium
  Scenario: the engine answers on the command line, with the cgroupfs driver of a host without systemd
    Then the command "docker info --format '{{json .}}'" prints JSON with "CgroupDriver" equal to "cgroupfs"
    And the command "docker --version" prints "Docker version"

  @id:own-local-06 @impact:medium
  Scenario: the cluster's pieces are loaded, mounted and listening
    Then the kernel setting "net.bridge.bridge-nf-call-iptables" is "1"
    And "/proc" is mounted as "proc"
    And TCP port 6443 is listened on by "kube-apiserver"
    And the name "localhost" resolves to "127.0.0.1"

  @id:own-local-07 @impact:medium
  Scenario: the Tomcat image of the lab is built and the kubelet answers its health check
    Then the Docker image "mytc" is present
    And the Docker image "mytc" sets "CATALINA_HOME" to "/usr/local/tomcat"
    And the URL "http://127.0.0.1:10248/healthz" answers with a body containing "ok", within 20 seconds
