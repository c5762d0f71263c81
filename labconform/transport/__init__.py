"""Transports: how the library reaches a lab host (locally or over one SSH connection) and runs commands there."""
