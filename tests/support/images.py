"""This engine's Docker client for the image tests (skips without the mytc image), and images removed by tag."""

from __future__ import annotations

import contextlib

import docker
import docker.errors
import pytest

from labconform.params import LabParams
from tests.support.local_docker import client_with


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return client_with(LabParams().mytc_image, "no mytc image on this host")[0]


def remove(client: docker.DockerClient, *tags: str) -> None:
    """The images a test built, removed (the run's containers are gone with the run)."""
    for tag in tags:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)
