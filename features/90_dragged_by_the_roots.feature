@section:dragged-by-the-roots
Feature: Dragged by the roots
  Since October 2021 a Let's Encrypt certificate verifies only for a client that trusts ISRG
  Root X1; an expired DST Root CA X3 no longer helps. Every client of the lab trusts it.

  Background:
    Given the lab host

  @id:roots-01 @impact:high
  Scenario: ISRG Root X1 is in the host's trust store
    Found by its SHA-256 fingerprint, not by a file name that anyone could reuse.
    Then the host's trust store holds ISRG Root X1, identified by its SHA-256 fingerprint

  @id:roots-02 @impact:high @active
  Scenario Outline: a Let's Encrypt chain verifies with <client> because it trusts ISRG Root X1
    Offline: Let's Encrypt's R11 intermediate against the roots the client really uses.
    Then the roots that <client> uses include ISRG Root X1
    And Let's Encrypt's intermediate verifies against the roots of <client> through ISRG Root X1

    Examples:
      | client                    |
      | OpenSSL                   |
      | Python ssl                |
      | Python requests           |
      | Perl IO::Socket::SSL      |
      | Perl LWP::Protocol::https |
      | the JVM in the mytc image |

  @id:roots-03 @impact:medium
  Scenario: a live handshake with a Let's Encrypt site succeeds from the host
    The whole path: DNS, the site's current chain, the host's store; only where the lab has the network.
    Given the lab declares a Let's Encrypt site it can reach
    Then a TLS handshake with that site verifies from the host

  @id:roots-04 @impact:medium @active
  Scenario: a live handshake with a Let's Encrypt site succeeds from the JVM in the mytc image
    The same path as the JVM in the lab's image takes it: its own TLS stack and its default trust store.
    Given the lab declares a Let's Encrypt site it can reach
    Then a TLS handshake with that site verifies from the JVM in the mytc image
