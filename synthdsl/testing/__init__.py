"""Test tooling: Hypothesis strategies from specs (``synthdsl.hypothesis``) and the pytest plugin."""
