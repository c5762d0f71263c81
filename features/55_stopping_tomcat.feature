@section:stopping-tomcat
Feature: Stopping Tomcat
  In Docker, Tomcat is stopped by stopping its container; one run with --rm leaves nothing.

  Background:
    Given the lab host

  @id:stop-01 @impact:medium @active
  Scenario: a container started with --rm is gone once it is stopped
    docker stop ends Tomcat and Docker removes the container itself.
    Given container "demo" runs the base Tomcat image with auto-removal
    And Tomcat in "demo" has started
    When "demo" is stopped
    Then no container "demo" remains on the host
