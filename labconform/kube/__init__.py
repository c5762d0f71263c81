"""Kubernetes: the API client, the cluster, nodes, Deployment, pods, Service and the host a cluster needs."""
