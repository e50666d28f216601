"""A missing optional dependency names the extra to install."""

from __future__ import annotations

import pytest

from synthdsl._optional import import_optional
from synthdsl.errors import MissingExtraError, SynthError


def test_present_module_imports():
    assert import_optional("json", "reading JSON").dumps([1]) == "[1]"


def test_missing_module_names_the_extra():
    with pytest.raises(MissingExtraError) as exc:
        import_optional("pgmpy_not_installed_here", "the bayesnet model")
    assert isinstance(exc.value, SynthError)
    assert "pip install 'synthdsl[pgmpy_not_installed_here]'" in str(exc.value)


def test_known_modules_map_to_their_extra():
    try:
        import torch  # noqa: F401
    except ImportError:
        with pytest.raises(MissingExtraError, match=r"synthdsl\[neural\]"):
            import_optional("torch", "the dpcgan model")
    else:  # torch installed: the helper returns it
        assert import_optional("torch", "the dpcgan model").__name__ == "torch"
