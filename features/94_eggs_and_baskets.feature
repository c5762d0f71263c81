@section:eggs-and-baskets
Feature: Eggs and baskets
  When the one cache or registry everything depends on goes down, whatever needs it goes down
  too. The lab keeps every image its workloads need, never insists on pulling, and uses the
  mirrors it declares, so it restarts with no registry answering.

  Background:
    Given the lab host

  @id:baskets-01 @impact:high
  Scenario Outline: the <kind> image the workloads need is on the host
    With it local, containers start again with no registry answering.
    Then the <kind> image is present on the host

    Examples:
      | kind        |
      | base Tomcat |
      | mytc        |

  @id:baskets-02 @impact:high
  Scenario: every image the cluster runs is on the host
    Control plane, pause and workload images: the node restarts its pods with no registry answering.
    Given the host runs a Kubernetes cluster
    Then every image the cluster runs is present on the host

  @id:baskets-03 @impact:high
  Scenario: no Deployment forces a pull of its image
    The default for an untagged image is Always, which fails with no registry; the document sets IfNotPresent.
    Then no Deployment container's pull policy forces a pull

  @id:baskets-04 @impact:medium
  Scenario: Docker uses the registry mirrors the lab declares
    A second basket for pulls: where the lab names mirrors, the engine knows them.
    Given the lab declares registry mirrors
    Then Docker is configured with each declared registry mirror
