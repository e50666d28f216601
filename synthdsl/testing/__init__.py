"""Helpers for testing code that consumes synthetic data.

``synthdsl.testing.pytest_plugin`` is the pytest plugin (the ``synth`` fixture and the
``synth_seeds`` marker); pytest loads it by itself through the ``pytest11`` entry point, so nothing
needs importing from here. This package stays light: it imports nothing at import time.
"""
