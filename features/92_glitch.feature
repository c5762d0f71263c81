@section:glitch
Feature: Glitch
  A cable that silently drops to a fraction of its speed makes everything slow and nothing
  fail. The lab's links are up, run at the speed the lab expects, lose nothing, and carry
  data between the host and its containers at a useful rate.

  Background:
    Given the lab host
    And the link counters as the run found them

  @id:glitch-01 @impact:high
  Scenario: the host's network is up and every interface that carries the lab's traffic is up
    A default route through an interface with an address, then that interface and the container bridges; a bridge with no container attached is only administratively up.
    Then the host has a default route through an interface that is up and has an address
    And every interface that carries the lab's traffic is up

  @id:glitch-02 @impact:medium
  Scenario: the links run at the lab's expected speed and duplex
    A degraded cable negotiates down (100 Mb/s, half duplex); only a driver that reports the link can show it.
    Then each lab interface whose driver reports its link runs at the lab's speed and duplex

  @id:glitch-03 @impact:medium @active
  Scenario: the Docker bridge carries data between the host and a container above the lab's floor
    Measured, not assumed: a bounded transfer to a container's address on the bridge, several times.
    When a bounded transfer crosses the Docker bridge from the host to a container
    Then every byte arrives and the median throughput is above the lab's floor

  @id:glitch-04 @impact:high
  Scenario: no error or drop counter of the lab's interfaces grows during the run
    Errors and drops that grow are the glitch itself, whatever the speed says.
    Then the error and drop counters of the lab's interfaces have not grown since the run began
