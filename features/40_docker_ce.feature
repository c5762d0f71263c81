@section:docker-ce
Feature: Docker Community Edition (CE)
  The Docker engine from the host family's packages, nothing installed that clashes with
  it, the cgroup driver kubelet will expect, and a daemon that starts with the host.

  Background:
    Given the lab host

  @id:docker-01 @impact:high
  Scenario: the Docker engine is installed from the host family's packages
    Docker CE on the RHEL family, Debian's docker.io on Debian.
    Then the Docker engine packages of the host's family are installed

  @id:docker-02 @impact:medium
  Scenario: podman and buildah, which clash with Docker, are not installed
    Rocky ships both; the document erases them before installing Docker.
    Then the package "podman" is not installed
    And the package "buildah" is not installed

  @id:docker-03 @impact:high
  Scenario: Docker uses the systemd cgroup driver where systemd is the init
    kubelet expects the systemd driver; without systemd there is no systemd driver to use.
    Given systemd is the host's init
    Then Docker's cgroup driver is "systemd"

  @id:docker-04 @impact:high
  Scenario: the Docker daemon starts with the host and answers
    The daemon is enabled at boot, running now, and its API answers.
    Then the "docker" service is enabled and running
    And the Docker daemon answers on its API
