@section:fresh-restart
Feature: Fresh restart
  After the updates, the host does not wait for a reboot: it runs what it has installed.

  Background:
    Given the lab host

  @id:restart-01 @impact:medium
  Scenario: no restart is pending
    dnf needs-restarting -r on Rocky, /var/run/reboot-required and needrestart on Debian.
    Then no restart of the host is pending
