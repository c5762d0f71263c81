"""The network link: interfaces, the route out, counters and a measured transfer."""
