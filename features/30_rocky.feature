@section:rocky
Feature: Rocky
  The host the document builds everything on: Rocky 8.4 of a stated size, its clock set over
  NTP, brought up to date, with the web server, OpenSSL, Perl, gcc, EPEL and the Perl modules
  the rest relies on, without the superseded Crypt::SSLeay, and with a name that resolves.

  Background:
    Given the lab host

  @id:rocky-01 @impact:low
  Scenario: the host is of the document's family and major version
    The document's commands are dnf's and its packages Rocky 8's; on another family the claims below use its equivalents.
    Given the host is of the RHEL family
    Then the host's major version is "8"

  @id:rocky-02 @impact:medium
  Scenario: the host is at least the size of the document's virtual machine
    Two cores, 4 GB of memory and a 32 GB disk hold the engine, a Tomcat per container and a one-node cluster.
    Then the host has at least 2 cores, 4 GB of memory and 32 GB of disk

  @id:rocky-03 @impact:medium
  Scenario: the host's clock is synchronised over NTP
    The installer connects NTP; certificates and cluster tokens are judged by this clock.
    Then the clock is synchronised by chrony or timesyncd

  @id:rocky-04 @impact:medium
  Scenario: no package updates are pending
    The document's first command brings the whole system up to date.
    Then no package updates are pending from the configured repositories

  @id:rocky-05 @impact:high
  Scenario Outline: the host has the <what> the document relies on
    Installed by the Server selection or by the document's dnf lines; the versions it states are minimums.
    Then the host's <what> is installed, version "<minimum>" or newer

    Examples:
      | what                      | minimum |
      | web server                | 2.4.37  |
      | OpenSSL                   | 1.1.1g  |
      | OpenSSL development files | 1.1.1g  |
      | OpenSSL Perl tools        | any     |
      | Perl                      | 5.26.3  |
      | gcc                       | any     |
      | CPAN client               | any     |
      | cpanminus                 | any     |

  @id:rocky-06 @impact:medium
  Scenario: EPEL is enabled
    The document adds EPEL before the Perl packages that come from it.
    Given the host is of the RHEL family
    Then the "epel" repository is enabled

  @id:rocky-07 @impact:high
  Scenario Outline: the Perl module <module> loads
    Each module the document installs with dnf, cpan or cpanm is usable by the host's perl.
    Then the Perl module "<module>" loads in the host's perl

    Examples:
      | module                     |
      | HTTP::Daemon               |
      | HTTP::Daemon::SSL          |
      | Crypt::OpenSSL::RSA        |
      | LWP::UserAgent::Determined |
      | MIME::Types                |
      | Email::MIME                |
      | Digest::SHA1               |
      | IO::Socket::SSL            |
      | LWP::Protocol::https       |
      | JSON                       |
      | HTTP::Request::Params      |
      | Time::Piece                |

  @id:rocky-08 @impact:medium
  Scenario: the superseded Crypt::SSLeay is not installed
    IO::Socket::SSL replaces it; the document says not to install it.
    Then the superseded Perl module "Crypt::SSLeay" is not installed

  @id:rocky-09 @impact:high
  Scenario: the host's name resolves through DNS or /etc/hosts
    kubeadm init needs the node's own name to resolve.
    Then the host's name resolves to an address
