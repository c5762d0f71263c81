"""The host itself: its system, software, services, boot, package repositories, SELinux and firewall."""
