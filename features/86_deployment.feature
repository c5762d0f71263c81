@section:deployment-yaml
Feature: Deployment YAML
  /app/cluster.yaml holds the document's Deployment: two pods of mytc, never pulled, limited
  to 256Mi and half a CPU, on port 8080. The cluster runs exactly that, and each pod's Tomcat
  answers at its pod address with its own name.

  Background:
    Given the lab host

  @id:k8s-app-01 @impact:high
  Scenario: /app/cluster.yaml holds the document's Deployment
    The file is the record of what should run; the cluster is compared with it, not with memory.
    Then "/app/cluster.yaml" holds this manifest:
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: hw-deploy
        labels:
          app: hw
      spec:
        replicas: 2
        selector:
          matchLabels:
            app: hw
        template:
          metadata:
            labels:
              app: hw
          spec:
            containers:
              - name: hw-contain
                image: mytc
                imagePullPolicy: IfNotPresent
                ports:
                - containerPort: 8080
                resources:
                  limits:
                    memory: "256Mi"
                    cpu: "500m"
      """

  @id:k8s-app-02 @impact:high
  Scenario: what runs in the cluster is what /app/cluster.yaml says
    A `kubectl edit` or `kubectl scale` after the apply would leave the file lying about the lab.
    Then every object in "/app/cluster.yaml" runs in the cluster with every field the file sets

  @id:k8s-app-03 @impact:high
  Scenario: hw-deploy has its 2 pods available
    The document waits for `kubectl get deploy` to show 2/2, and 2 up to date: a rollout that never
    finished shows 2/2 too, with a pod of the old template still running.
    Then deployment "hw-deploy" has 2 of 2 replicas available
    And no rollout of deployment "hw-deploy" is under way

  @id:k8s-app-04 @impact:medium
  Scenario: hw-deploy and its pods carry the label app=hw
    The Service the document exposes later finds the pods by this label.
    Then deployment "hw-deploy" is labelled "app=hw" and selects pods labelled "app=hw"
    And every pod of deployment "hw-deploy" is labelled "app=hw"

  @id:k8s-app-05 @impact:medium
  Scenario Outline: the hw-contain container is set as the document sets it
    mytc exists only on this host, so it must never be pulled; the limits keep two Tomcats small. The
    pods that run are read too, not only the template they should have been made from.
    Then container "hw-contain" of deployment "hw-deploy" and of each of its pods has <setting> "<value>"

    Examples:
      | setting        | value        |
      | image          | mytc         |
      | pull policy    | IfNotPresent |
      | memory limit   | 256Mi        |
      | cpu limit      | 500m         |
      | container port | 8080         |

  @id:k8s-app-06 @impact:high
  Scenario: each pod answers at its own pod address with its own name
    The document wgets each pod IP from the host and reads back that pod's name.
    Then every pod of deployment "hw-deploy" has an address inside "10.244.0.0/16"
    And every pod of deployment "hw-deploy" answers "Hello, I am " and its own name at its address on port 8080

  @id:k8s-app-07 @impact:medium
  Scenario: the node has room to roll out a change to hw-deploy
    A changed pod template rolls out by starting a new pod before it stops an old one (maxSurge 25%
    of 2 replicas, rounded up: one pod). The new pod needs its 500m of CPU free beside the control
    plane and the two running pods, or it stays Pending and the old pods keep running.
    Then the nodes have room for the surge pods of a rolling update of deployment "hw-deploy"

  @id:k8s-app-08 @impact:low @active
  Scenario: a new pod of hw-deploy is slow on its first call only
    The document's pod answers "take a few seconds the first time" while Tomcat compiles index.jsp, then at once.
    A pod from the Deployment's own template, under the run's name and outside its Service, is asked afresh.
    Given a new pod from the template of deployment "hw-deploy" has started under this run's name
    When GET / is sent to the new pod on port 8080 10 times
    Then the first answer from "the new pod" was slower than the median of the later ones
    And the median of the later answers from "the new pod" is under 100 ms
