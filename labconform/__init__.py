"""labconform: the library that both the claims (steps/) and provisioning (provision/) use."""

__version__ = "0.1.0"
