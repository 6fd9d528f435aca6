"""Test configuration: hypothesis profiles with no deadlines (speed is measured by benchmarks, not tests)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, max_examples=200)
# CI: the same examples on every run, so a red build is reproducible.
settings.register_profile(
    "ci", deadline=None, max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
