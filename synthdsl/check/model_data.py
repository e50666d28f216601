"""Model checks on data and types: a model's columns against the dataset it learns from (numbers,
enum labels, booleans, infinities, missing values: the first bad row named) and a declared network's
nodes against the table's declarations (label types, enum labels, clamps). A mixin of ``Checker``
through ``ModelChecks``; kept apart from ``check.models`` for size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthdsl.check.model import ColumnInfo, TableInfo
from synthdsl.dtypes import DType
from synthdsl.errors import did_you_mean, spec_name

if TYPE_CHECKING:
    from synthdsl.check.models import ModelInfo


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def node_type(network: dict, name: str) -> str:
    node = next(n for n in network["nodes"] if n["name"] == name)
    if node["kind"] == "numeric":
        return "int" if node.get("integer") else "float"
    labels = node["labels"]
    if isinstance(labels[0], bool):
        return "bool"
    if all(isinstance(x, int) and not isinstance(x, bool) for x in labels):
        return "int"
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in labels):
        return "float"
    return "text"


class ModelDataChecks:
    """Mixin: uses ``Checker.fail``."""

    def _network_types(self, m: ModelInfo, t: TableInfo) -> None:
        """A declared network's nodes against the table's declarations of their columns."""
        nodes = {n["name"]: n for n in m.network["nodes"]}
        for name in m.columns:
            info = t.columns.get(name)
            node = nodes[name]
            if info is None:
                m.dtypes[name] = DType(node_type(m.network, name))  # type: ignore[arg-type]
                continue
            dtype = m.dtypes[name] = info.dtype
            if info.clamp is not None:
                m.clamps[name] = info.clamp
            at = info.node.type if info.node.span.line else m.node
            if node["kind"] == "numeric":
                if dtype.kind not in ("int", "float", "decimal"):
                    self.fail(
                        "E417", f"node '{name}' draws numbers but {spec_name(name)} is {dtype}", at
                    )
                continue
            labels = node["labels"]
            want = node_type(m.network, name)
            fits = {
                "bool": ("bool",),
                "int": ("int", "float", "decimal"),
                "float": ("float", "decimal"),
                "text": ("text", "enum"),
            }[want]
            words = {
                "bool": "true/false",
                "int": "whole numbers",
                "float": "decimal numbers",
                "text": "text labels",
            }
            if dtype.kind not in fits:
                self.fail(
                    "E417",
                    f"node '{name}' draws {words[want]} but {spec_name(name)} is {dtype}",
                    at,
                    f"declare it {fits[0]}",
                )
            elif dtype.kind == "enum":
                bad = [x for x in labels if str(x) not in (dtype.values or ())]
                if bad:
                    self.fail(
                        "E417",
                        f"node '{name}' draws '{bad[0]}', which {dtype} does not list",
                        at,
                    )
            elif info.clamp is not None and want in ("int", "float"):
                lo, hi = info.clamp
                out = [x for x in labels if not lo <= x <= hi]
                if out:
                    self.fail(
                        "E417",
                        f"node '{name}' draws {out[0]}, outside {spec_name(name)}'s "
                        f"clamp({lo:g}, {hi:g})",
                        at,
                    )

    def _data_fits(self, m: ModelInfo, ds, name: str, dtype: DType, info: ColumnInfo) -> None:
        """The dataset's column can fill the declared type: numbers for a number, listed labels
        for an enum (the first row that breaks it is named)."""
        have = ds.columns[name]
        at = info.node if info.node.span.line else m.node
        if dtype.kind in ("int", "float", "decimal") and have not in ("int", "float", "bool"):
            import pandas as pd

            series = ds.frame[name]
            bad = series.notna() & pd.to_numeric(series, errors="coerce").isna()
            where = ""
            if bad.any():
                first = bad.to_numpy().nonzero()[0][0]
                where = f": '{series.iloc[first]}' (row {first + 1})"
            self.fail(
                "E417",
                f"column {spec_name(name)} is {dtype} but dataset '{ds.name}' holds {have} in "
                f"it{where}",
                at.type if hasattr(at, "type") else at,
                "declare it text (the model learns it as categories)",
            )
        elif dtype.kind in ("date", "datetime") and have not in ("datetime", "text"):
            self.fail(
                "E417",
                f"column {spec_name(name)} is {dtype} but dataset '{ds.name}' holds {have} in it",
                at,
            )
        elif dtype.kind == "enum":
            series = ds.frame[name]
            # a label no file can hold (a lone surrogate, E146's kind) matches no data value
            allowed = {v for v in dtype.values or () if _encodable(v)}
            text = series.dropna().astype(str)
            bad = ~text.isin(allowed)
            if bad.any():
                row = int(text.index[bad.to_numpy()][0]) + 1
                value = text[bad].iloc[0]
                self.fail(
                    "E417",
                    f"dataset '{ds.name}' column {spec_name(name)} holds '{value}' (row {row}), "
                    f"which {dtype} does not list",
                    info.node.type,
                    did_you_mean(value, allowed)
                    or "add it to the enum, or declare the column text",
                )
        series = ds.frame[name]
        if dtype.kind == "bool":
            text = series.dropna().astype(str).str.lower()
            bad = ~text.isin(["true", "false", "1", "0", "1.0", "0.0"])
            if bad.any():
                row = int(text.index[bad.to_numpy()][0]) + 1
                self.fail(
                    "E417",
                    f"dataset '{ds.name}' column {spec_name(name)} holds "
                    f"'{series.loc[text.index[bad.to_numpy()][0]]}' (row {row}), not true/false "
                    f"or 1/0, but {spec_name(name)} is bool",
                    info.node.type,
                )
        if have == "float":
            import numpy as np

            inf = np.isinf(series.to_numpy(dtype=np.float64, na_value=0.0))
            if inf.any():
                row = int(np.flatnonzero(inf)[0]) + 1
                self.fail(
                    "E417",
                    f"dataset '{ds.name}' column {spec_name(name)} holds an infinite value "
                    f"(row {row}), which a model cannot learn",
                    info.node.type,
                )
        if dtype.nullable or not series.isna().any() or not info.node.span.line:
            return
        row = int(series.index[series.isna().to_numpy()][0]) + 1
        self.fail(
            "E417",
            f"dataset '{ds.name}' column {spec_name(name)} has missing values (row {row}), but "
            f"{spec_name(name)} is not nullable",
            info.node.type,
            f"write the type as {dtype}?",
        )
