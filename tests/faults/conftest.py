"""Fault tests reuse the aggregation tests' private Redis and dedicated-worker environment."""

from tests.aggregation.conftest import own_redis, worker_env

__all__ = ["own_redis", "worker_env"]
