"""Property-based tests of the engine over random specs (``strategies.specs``)."""
