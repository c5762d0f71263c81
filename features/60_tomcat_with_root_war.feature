@section:tomcat-with-root-war
Feature: Docker Tomcat instance with a deployed ROOT.war
  The mytc image is the base image plus ROOT.war in webapps and the urandom entropy source
  in JAVA_OPTS; its containers greet with their own hostname.

  Background:
    Given the lab host

  @id:mytc-01 @impact:high
  Scenario: the mytc build context holds the document's files
    /app/contexts/mytc holds ROOT/ with the two files, ROOT.war made of them, and the Dockerfile.
    Then "ROOT/index.jsp" in the build context is the document's index.jsp
    And "ROOT/META-INF/context.xml" in the build context is the document's context.xml
    And ROOT.war in the build context is made of those two files
    And the Dockerfile in the build context is the document's, built FROM the base Tomcat image

  @id:mytc-02 @impact:high
  Scenario: the mytc image holds the build context's ROOT.war
    An image is not rebuilt by editing its context: a stale image serves the old application.
    Then the mytc image holds the build context's ROOT.war at "/usr/local/tomcat/webapps/ROOT.war"

  @id:mytc-03 @impact:high
  Scenario: the mytc image bakes the urandom entropy source into JAVA_OPTS
    With the setting in the image, no container needs an --env option.
    Then the mytc image sets "JAVA_OPTS" to "-Djava.security.egd=file:/dev/./urandom"

  @id:mytc-04 @impact:high @active
  Scenario: a mytc container greets with its own hostname, in plain text and without a session
    The page prints HOSTNAME (Docker sets it to the container's short id); its page directive makes the answer text/plain and keeps no session.
    Given container "mytc1" runs the mytc image
    And Tomcat in "mytc1" has started
    Then GET / on "mytc1" answers "Hello, I am " and the container's own hostname
    And the answer from "mytc1" is "text/plain" and sets no session cookie

  @id:mytc-05 @impact:medium @active
  Scenario: Tomcat has unpacked ROOT.war into webapps/ROOT
    Tomcat's default is to unpack a WAR before serving it.
    Given container "mytc1" runs the mytc image
    And Tomcat in "mytc1" has started
    Then "/usr/local/tomcat/webapps/ROOT/index.jsp" exists in "mytc1"
    And "/usr/local/tomcat/webapps/ROOT/META-INF/context.xml" exists in "mytc1"

  @id:mytc-06 @impact:low @active
  Scenario: the first request compiles the JSP and later requests are fast
    Jasper compiles index.jsp on first use only; later answers reuse the compiled class.
    Given container "jsp" runs the mytc image
    And Tomcat in "jsp" has started
    And "jsp" holds no compiled index.jsp yet
    When GET / is sent to "jsp" 10 times
    Then "jsp" holds the compiled index.jsp
    And the first answer from "jsp" was slower than the median of the later ones
    And the median of the later answers from "jsp" is under 100 ms

  @id:mytc-07 @impact:medium
  Scenario: the mytc image is built FROM the base Tomcat image
    The image is the base's layers with the one layer of ROOT.war on top, so it is about the base's size (the document's 670 MB).
    Then the mytc image's layers are those of the base Tomcat image and one more, ROOT.war's
