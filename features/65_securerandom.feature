@section:securerandom
Feature: SecureRandom at Tomcat startup
  Low entropy once held Tomcat's startup for minutes while SecureRandom was created; with
  urandom as the entropy source, startup takes seconds. Measured, not assumed.

  Background:
    Given the lab host

  @id:rand-01 @impact:high @active @alone
  Scenario: Tomcat in the mytc image starts in under 5 seconds
    Tomcat's own "Server startup in" figure, the one the document reads (282491 ms before the urandom fix), over
    several starts one after another, each on a quiet host; the user's wait from the container's start and from
    docker run are in the evidence, not judged (on this 2-core lab double they vary with load, issue 11).
    When the mytc image is started 3 times, one after another
    Then every start logged "Server startup" in under 5 seconds

  @id:rand-02 @impact:high @active @alone
  Scenario: SecureRandom for session ids is created in under 5 seconds
    Tomcat warns with the time taken whenever the creation takes over 100 ms.
    When the mytc image is started 3 times, one after another
    Then every start created its SecureRandom in under 5 seconds

  @id:rand-03 @impact:medium @active
  Scenario: the running JVM was given the urandom entropy source
    Tomcat logs every JVM argument at startup; the setting must be among them.
    Given container "mytc1" runs the mytc image
    And Tomcat in "mytc1" has started
    Then the JVM in "mytc1" was started with "-Djava.security.egd=file:/dev/./urandom"
