@section:tomcat-from-dockerhub
Feature: Tomcat from DockerHub
  The document pulls tomcat:10.0.10-jdk16-openjdk-buster: a Tomcat 10 base image is on the host, of the
  Tomcat release and Java release the lab pins (the document's 10.0.10 and 16 unless the lab's parameters
  say otherwise); a container of it, with nothing deployed, answers 404 and reports that release and its
  JVM when it starts.

  Background:
    Given the lab host

  @id:tomcat-01 @impact:high
  Scenario: a Tomcat 10 base image is present on the host
    The lab's base image is local, and Tomcat's own ServerInfo in its catalina.jar names Tomcat 10.
    Then the base Tomcat image is present on the host
    And Tomcat's own ServerInfo in the base Tomcat image names release "10"

  @id:tomcat-02 @impact:medium
  Scenario: the base image puts Tomcat in /usr/local/tomcat
    CATALINA_HOME is where webapps/ lives, and so where ROOT.war must go.
    Then the base Tomcat image sets "CATALINA_HOME" to "/usr/local/tomcat"

  @id:tomcat-03 @impact:high @active
  Scenario: a container of the bare image answers 404 on /
    Nothing is deployed, so Tomcat answers but has nothing to show.
    Given container "bare" runs the base Tomcat image
    And Tomcat in "bare" has started
    Then GET / on "bare" answers with status 404

  @id:tomcat-04 @impact:medium @active
  Scenario: the bare Tomcat reports the pinned Tomcat release and Java release when it starts
    The document reads "10.0.10 with JVM 16, exactly as expected" in the startup log (lab parameters tomcat_version, jvm_major).
    Given container "bare" runs the base Tomcat image
    And Tomcat in "bare" has started
    Then the startup log of "bare" reports the lab's Tomcat release on the lab's Java release

  @id:tomcat-05 @impact:medium @active
  Scenario: the base image holds the pinned Tomcat release on the pinned Java release
    The image the document pulls is Tomcat 10.0.10 on JDK 16 (lab parameters tomcat_version, jvm_major), as its catalina.jar and its java say.
    Given container "bare" runs the base Tomcat image
    Then Tomcat's own ServerInfo in the base Tomcat image names the lab's Tomcat release
    And "java -version" in "bare" reports the lab's Java release
