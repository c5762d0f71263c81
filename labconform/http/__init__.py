"""HTTP: answers from where the address is reachable, and the Hello application's answer and build context."""
