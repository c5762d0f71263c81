@section:docker-container
Feature: Docker Container
  A container is not a virtual machine: it runs on the kernel of the host that runs it.

  Background:
    Given the lab host

  @id:docker-05 @impact:medium @active
  Scenario: a container runs on the host's kernel
    Containers share the host kernel; its release is what they report.
    Given container "mytc1" runs the mytc image
    Then the kernel release seen inside "mytc1" is the host's kernel release
