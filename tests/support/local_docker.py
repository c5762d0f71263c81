"""This host's Docker engine, for the tests that need an image on it."""

from __future__ import annotations

import docker
import docker.errors
import pytest
from docker.models.images import Image


def client_with(ref: str, missing: str) -> tuple[docker.DockerClient, Image]:
    """A client of this host's engine and its image `ref`; the test skipped, saying `missing`, without either."""
    c = docker.from_env()
    try:
        return c, c.images.get(ref)
    except (docker.errors.ImageNotFound, docker.errors.DockerException):
        pytest.skip(missing)
