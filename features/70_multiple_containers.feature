@section:multiple-containers
Feature: Multiple containers
  Two containers of the same image, side by side on their own ports, are two hosts: each
  answers with its own hostname, and each is small.

  Background:
    Given the lab host

  @id:multi-01 @impact:high @active
  Scenario: two mytc containers on their own ports answer with different hostnames
    The document runs mytc1 on 18080 and mytc2 on 28080; the suite lets Docker pick free ports.
    Given container "mytc1" runs the mytc image
    And container "mytc2" runs the mytc image
    And Tomcat in "mytc1" has started
    And Tomcat in "mytc2" has started
    Then "mytc1" and "mytc2" listen on different host ports
    And GET / on "mytc1" answers "Hello, I am " and the container's own hostname
    And GET / on "mytc2" answers "Hello, I am " and the container's own hostname
    And the hostnames of "mytc1" and "mytc2" differ

  @id:multi-02 @impact:medium @active
  Scenario Outline: a mytc container uses under 256 MiB of memory
    Stopping two containers freed about 200 MB: each stays under the Deployment's 256Mi limit.
    Given container "<container>" runs the mytc image
    And Tomcat in "<container>" has started
    When GET / is sent to "<container>" 1 times
    Then "<container>" uses under 256 MiB of memory

    Examples:
      | container |
      | mytc1     |
      | mytc2     |
