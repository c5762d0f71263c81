@section:tomcat-from-dockerhub
Feature: Tomcat from DockerHub
  A Tomcat 10 base image is on the host; a container of it, with nothing deployed,
  answers 404 and reports Tomcat 10 and its JVM when it starts.

  Background:
    Given the lab host

  @id:tomcat-01 @impact:high
  Scenario: a Tomcat 10 base image is present on the host
    The lab's base image is local, and it is Tomcat's major version 10.
    Then the base Tomcat image is present on the host
    And the base Tomcat image sets "TOMCAT_MAJOR" to "10"

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
  Scenario: the bare Tomcat reports Tomcat 10 and its JVM when it starts
    The startup log names the server's version and the JVM that runs it.
    Given container "bare" runs the base Tomcat image
    And Tomcat in "bare" has started
    Then the startup log of "bare" names "Apache Tomcat/10"
    And the startup log of "bare" names the JVM version
