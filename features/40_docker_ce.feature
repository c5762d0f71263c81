@section:docker-ce
Feature: Docker Community Edition (CE)
  The Docker engine from the host family's packages (on Rocky, from Docker's own repository), nothing
  installed that clashes with it, the cgroup driver kubelet will expect, SELinux letting containers manage
  cgroups, and a daemon that starts with the host.

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

  @id:docker-06 @impact:medium
  Scenario: systemd runs Docker from the unit files copied to /etc/systemd/system
    The document copies docker.service and docker.socket there, where they take precedence over the package's.
    Given systemd is the host's init
    Then systemd loads "docker.service" from "/etc/systemd/system/docker.service"
    And systemd loads "docker.socket" from "/etc/systemd/system/docker.socket"

  @id:docker-07 @impact:medium
  Scenario: a non-root user in the docker group can use Docker
    The document adds the user who runs Docker to the docker group instead of giving them root.
    Then the non-root user "otheruser" of the "docker" group runs "docker ps"

  @id:docker-08 @impact:high
  Scenario: the host's package tool has Docker's own repository
    Rocky has no Docker CE packages: the document adds Docker's CentOS repository (docker-ce.repo) to dnf.
    Then the "Docker CE" package repository is configured and enabled

  @id:docker-09 @impact:medium
  Scenario: SELinux lets containers manage cgroups, now and after a reboot
    The document sets container_manage_cgroup with -P so that containers running systemd work under SELinux.
    Given the kernel has SELinux
    Then the SELinux boolean "container_manage_cgroup" is on now and persistently
