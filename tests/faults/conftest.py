"""Fixtures for the fault-injection tests (helpers in faults_support.py)."""

from faults_support import small_disk

__all__ = ["small_disk"]
