@section:nodeport-load-balancing
Feature: NodePort load balancing
  The hw Service exposes hw-deploy on a port of the node and spreads the requests over its
  pods, whichever pods exist at the time.

  Background:
    Given the lab host

  @id:k8s-svc-01 @impact:high
  Scenario: service hw is a NodePort selecting the app=hw pods on port 8080
    `kubectl expose deployment hw-deploy --type=NodePort --name=hw` makes exactly this Service.
    Then service "hw" is of type "NodePort", selects "app=hw" and serves port 8080

  @id:k8s-svc-02 @impact:high
  Scenario: requests through the NodePort are spread evenly over both pods
    A two-sided exact binomial test of equal shares must not reject at significance 0.001 on 200
    requests, each on a new connection (the Service balances connections, not requests).
    When 200 requests are sent to the NodePort of service "hw" of deployment "hw-deploy" from the lab host
    Then every request was answered by a pod of deployment "hw-deploy" that is current
    And the answers split evenly between 2 pods by a two-sided binomial test at significance 0.001

  @id:k8s-svc-03 @impact:medium
  Scenario: the Service's cluster address answers on port 8080
    The document queries the Service at its cluster IP and port 8080.
    Then service "hw" answers "Hello, I am " and the name of a pod of deployment "hw-deploy" at its cluster address
