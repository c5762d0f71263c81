@section:hello
Feature: Hello
  The Hello application is one JSP that prints the name of the host it runs on and a
  context descriptor that mounts it at the root path, zipped together as ROOT.war.

  Background:
    Given the lab host

  @id:hello-01 @impact:high
  Scenario: ROOT.war holds exactly the two application files
    The smallest deployable web application is these two files and nothing else.
    Then ROOT.war in the mytc build context holds exactly the files "META-INF/context.xml, index.jsp"

  @id:hello-02 @impact:medium
  Scenario: the context descriptor mounts the application at the root path
    An empty context path is what makes Tomcat serve the page at "/".
    Then "META-INF/context.xml" in ROOT.war declares a Context with the empty path

  @id:hello-03 @impact:high
  Scenario: index.jsp prints a plain-text greeting naming the HOSTNAME variable
    The page is text/plain, keeps no session and prints "Hello, I am " and HOSTNAME.
    Then "index.jsp" in ROOT.war is the document's page
    And "index.jsp" in ROOT.war declares contentType "text/plain" and session "false"
