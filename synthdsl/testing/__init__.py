"""Test tooling: Hypothesis strategies from specs and the pytest plugin.

``synthdsl.testing.strategies`` holds the strategies, public as ``synthdsl.hypothesis``;
``synthdsl.testing.pytest_plugin`` is the pytest plugin (the ``synth`` fixture and the
``synth_seeds`` marker), which pytest loads by itself through the ``pytest11`` entry point. This
package imports nothing at import time, so the plugin stays light.
"""
