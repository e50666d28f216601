"""Model artifacts: a folder per model with ``model.json`` (structure, metadata, privacy) and
``arrays.npz`` (numbers only), written atomically, read without executing anything.

Input: a ``ModelSpec`` and a ``Fitted`` (writing), or a ``ModelSpec`` (reading). Output: the folder, or the
metadata and arrays. Loading never unpickles: ``numpy.load(allow_pickle=False)`` refuses object arrays,
the JSON is plain data, the arrays' bytes must match the sha256 recorded in the JSON, and an artifact
whose key differs from the spec's is refused with a message naming what changed (the dataset, the model
block, the columns' declarations, the ``given`` columns or the engine version). A stale artifact is
never refitted silently: a new fit spends privacy budget again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.errors import SynthError
from synthdsl.models.base import Fitted

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec

FORMAT = "synthdsl.model/1"
JSON_NAME, ARRAYS_NAME, WEIGHTS_NAME = "model.json", "arrays.npz", "weights.safetensors"
_ALLOWED_KINDS = "biufc"  # bool, int, uint, float, complex: never object, void or strings

_WHAT = {
    "kind": "the model's kind",
    "dataset": "the dataset's content",
    "model": "the model block's text",
    "columns": "the declarations of the model's columns (types, clamp, round)",
    "given": "the columns it is drawn given",
    "engine": "the synthdsl version",
}


class ArtifactError(SynthError):
    """An artifact that is missing, stale, edited or unreadable."""


class ArtifactMissing(ArtifactError):
    pass


class ArtifactStale(ArtifactError):
    pass


@dataclass
class Artifact:
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    doc: dict[str, Any]  # the whole model.json


def write(spec: ModelSpec, fitted: Fitted) -> Path:
    """Write the artifact into ``spec.artifact`` (replacing an older one only once complete)."""
    folder = Path(spec.artifact)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SynthError(
            f"model '{spec.name}': cannot write its artifact in {folder.parent} ({exc.strerror}); "
            "choose a folder with --artifacts DIR"
        ) from None
    buf = io.BytesIO()
    for name, arr in fitted.arrays.items():
        if np.asarray(arr).dtype.kind not in _ALLOWED_KINDS:
            raise SynthError(f"model '{spec.name}': array '{name}' is not numeric")
    np.savez_compressed(buf, **{k: np.ascontiguousarray(v) for k, v in fitted.arrays.items()})
    data = buf.getvalue()
    weights = _weights_bytes(spec, fitted.weights) if fitted.weights else None
    doc = {
        "format": FORMAT,
        "name": spec.name,
        "kind": spec.kind,
        "key": spec.key,
        "key_parts": spec.key_parts,
        "dataset": spec.dataset,
        "privacy": {
            "epsilon": spec.epsilon,
            "delta": spec.delta,
            "mechanisms": [
                {"name": m.name, "what": m.what, "epsilon": m.epsilon, "delta": m.delta}
                for m in fitted.mechanisms
            ],
        },
        "report": fitted.report,
        "arrays_sha256": hashlib.sha256(data).hexdigest(),
        **({"weights_sha256": hashlib.sha256(weights).hexdigest()} if weights is not None else {}),
        "meta_sha256": _meta_sha(fitted.meta),
        "meta": fitted.meta,
    }
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (tmp / ARRAYS_NAME).write_bytes(data)
        if weights is not None:
            (tmp / WEIGHTS_NAME).write_bytes(weights)
        (tmp / JSON_NAME).write_text(text + "\n", encoding="utf-8")
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _weights_bytes(spec: ModelSpec, weights: dict[str, np.ndarray]) -> bytes:
    """Network weights as safetensors bytes: a JSON header and raw little-endian numbers, which
    loading parses without executing anything (unlike a pickled ``torch.save`` file)."""
    from safetensors.numpy import save

    for name, arr in weights.items():
        if np.asarray(arr).dtype.kind not in "biuf":
            raise SynthError(f"model '{spec.name}': weight '{name}' is not numeric")
    return save({k: np.ascontiguousarray(v) for k, v in sorted(weights.items())})


def _load_weights(spec: ModelSpec, folder: Path, doc: dict[str, Any]) -> dict[str, np.ndarray]:
    expected = doc.get("weights_sha256")
    if expected is None:
        return {}
    path = folder / WEIGHTS_NAME
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(
            f"model '{spec.name}': cannot read {path} ({exc.strerror}); fit it again with "
            "`synthdsl fit --force`"
        ) from None
    if hashlib.sha256(data).hexdigest() != expected:
        raise ArtifactError(
            f"model '{spec.name}': {path} does not match the sha256 recorded in {JSON_NAME}: "
            "the artifact was edited; fit it again"
        )
    try:
        from safetensors.numpy import load as load_safetensors
    except ImportError:
        raise ArtifactError(
            f"model '{spec.name}': reading {WEIGHTS_NAME} needs the safetensors package; "
            "install the extra: pip install 'synthdsl[neural]'"
        ) from None
    try:
        weights = load_safetensors(data)
    except Exception as exc:  # safetensors raises its own error types for a malformed file
        raise ArtifactError(
            f"model '{spec.name}': {path} is not a readable safetensors file ({exc}); refused"
        ) from None
    for k, a in weights.items():
        if a.dtype.kind not in "biuf":
            raise ArtifactError(f"model '{spec.name}': weight '{k}' is not numeric; refused")
    return weights


def _meta_sha(meta: Any) -> str:
    text = json.dumps(meta, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def status(spec: ModelSpec) -> str:
    """``ok``, ``missing`` or the reason it is stale (without loading the arrays)."""
    try:
        _doc(spec)
    except ArtifactMissing:
        return "missing"
    except ArtifactError as exc:
        return str(exc)
    return "ok"


def _doc(spec: ModelSpec) -> dict[str, Any]:
    folder = Path(spec.artifact)
    path = folder / JSON_NAME
    if not path.is_file():
        raise ArtifactMissing(
            f"model '{spec.name}' has no artifact in {folder}: run `synthdsl fit` first"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(
            f"model '{spec.name}': {path} is not a readable artifact ({exc})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ArtifactError(
            f"model '{spec.name}': {path} is not a synthdsl model artifact (format "
            f"{doc.get('format') if isinstance(doc, dict) else type(doc).__name__!r}, "
            f"expected {FORMAT!r})"
        )
    if doc.get("kind") != spec.kind or not isinstance(doc.get("meta"), dict):
        raise ArtifactError(f"model '{spec.name}': {path} holds a '{doc.get('kind')}' model")
    parts = doc.get("key_parts")
    if not isinstance(parts, dict) or not isinstance(doc.get("key"), str):
        raise ArtifactError(
            f"model '{spec.name}': {path} is malformed (no key); fit it again with "
            "`synthdsl fit --force`"
        )
    try:
        same_meta = _meta_sha(doc["meta"]) == doc.get("meta_sha256")
    except (TypeError, ValueError):
        same_meta = False
    if not same_meta:
        raise ArtifactError(
            f"model '{spec.name}': the model in {path} does not match the sha256 recorded "
            "with it: the artifact was edited; fit it again with `synthdsl fit --force`"
        )
    if not (folder / ARRAYS_NAME).is_file():
        raise ArtifactError(
            f"model '{spec.name}': the artifact in {folder} is incomplete ({ARRAYS_NAME} is "
            "missing); fit it again with `synthdsl fit --force`"
        )
    if doc.get("key") != spec.key:
        changed = [
            _WHAT.get(k, k) + (f" ({parts.get(k)} -> {v})" if k == "engine" else "")
            for k, v in spec.key_parts.items()
            if parts.get(k) != v
        ]
        raise ArtifactStale(
            f"the artifact of model '{spec.name}' ({folder}) is stale: "
            + ("; ".join(changed) if changed else "its key differs")
            + " changed since it was fitted; run `synthdsl fit --force` to fit it again "
            "(a new fit spends the privacy budget again)"
        )
    return doc


def load_doc(spec: ModelSpec) -> dict[str, Any]:
    """The artifact's ``model.json``, verified against the spec's key (no arrays)."""
    return _doc(spec)


def load(spec: ModelSpec) -> Artifact:
    """The artifact of ``spec``, verified; never executes code from it."""
    doc = _doc(spec)
    folder = Path(spec.artifact)
    try:
        data = (folder / ARRAYS_NAME).read_bytes()
    except OSError as exc:
        raise ArtifactError(
            f"model '{spec.name}': cannot read {folder / ARRAYS_NAME}: {exc}"
        ) from None
    if hashlib.sha256(data).hexdigest() != doc.get("arrays_sha256"):
        raise ArtifactError(
            f"model '{spec.name}': {folder / ARRAYS_NAME} does not match the sha256 recorded in "
            f"{JSON_NAME}: the artifact was edited; fit it again"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ArtifactError(
            f"model '{spec.name}': {folder / ARRAYS_NAME} holds something other than numeric "
            f"arrays ({exc}); it is refused"
        ) from None
    for k, a in arrays.items():
        if a.dtype.kind not in _ALLOWED_KINDS:
            raise ArtifactError(f"model '{spec.name}': array '{k}' is not numeric; refused")
    weights = _load_weights(spec, folder, doc)
    clash = sorted(set(weights) & set(arrays))
    if clash:
        raise ArtifactError(f"model '{spec.name}': '{clash[0]}' is both an array and a weight")
    return Artifact(doc["meta"], arrays | weights, doc)
