@section:cleaning-up
Feature: Cleaning up
  The document scales hw-deploy to zero, checks that no pod is left ready, then deletes it.
  These claims change the lab: they run only with --destructive, last; provisioning restores it.

  Background:
    Given the lab host

  @id:k8s-clean-01 @impact:medium @destructive
  Scenario: scaled to zero, hw-deploy has no pod ready or available
    Scaling down first lets Tomcat stop cleanly before the deployment goes.
    When deployment "hw-deploy" is scaled to 0 replicas
    Then within 60 seconds no pod of deployment "hw-deploy" is ready
    And deployment "hw-deploy" shows 0 ready and 0 available of 0

  @id:k8s-clean-02 @impact:medium @destructive
  Scenario: deleted, hw-deploy is gone from the default namespace
    `kubectl delete deploy hw-deploy -n default` removes it and, with it, its pods.
    When deployment "hw-deploy" is deleted from namespace "default"
    Then within 60 seconds deployment "hw-deploy" is gone from namespace "default"
