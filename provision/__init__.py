"""Provisioning: the steps that make labconform's claims true on a lab host, by part (host/, docker/,
kubernetes/, node/); the plan that orders them is plan.py."""
