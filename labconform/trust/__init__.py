"""Root trust: the roots each client of the lab trusts, certificates, the JVM's trust, live handshakes."""
