"""result.json: ``{"summary", "solver", "manifest"}``, deterministic bytes.

Sorted keys, ``ensure_ascii=False``, indent 2, a final newline. numpy arrays in the
solver's proof or verification become ``{"sha256": …, "length": …}`` (the hash of the
array's C-ordered bytes); other values are made JSON-safe (numpy scalars, enums, dates,
paths, tuples and sets); NaN and infinities become null.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any

import numpy as np
from pydantic import BaseModel

from matcher.engine.result import RunResult


def jsonable(value: Any) -> Any:
    """`value` as plain JSON types; numpy arrays as ``{"sha256", "length"}``."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values
        return value
    if kind is dict:  # a plain dict: its text keys as they are
        return {k if type(k) is str else str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {"sha256": hashlib.sha256(data.tobytes()).hexdigest(), "length": len(data)}
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="json"))
    return str(value)


def result_document(result: RunResult, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Build the JSON document of `result`.

    Keys: summary, solver (mechanism, status, objective, proof, verification, message,
    alternatives)
    and manifest, all made JSON-safe by `jsonable`.
    """
    solver = result.solver
    return jsonable(
        {
            "summary": summary,
            "solver": {
                "mechanism": solver.mechanism,
                "status": solver.status,
                "objective": solver.objective,
                "proof": solver.proof,
                "verification": solver.verification,
                "message": solver.message,
                "alternatives": solver.alternatives,
            },
            "manifest": result.manifest,
        }
    )


def result_json(result: RunResult, summary: Mapping[str, Any]) -> bytes:
    """result.json's bytes (UTF-8, sorted keys, indent 2, trailing newline)."""
    return (json_text(result_document(result, summary)) + "\n").encode("utf-8")


def json_text(value: Any, indent: str = "") -> str:
    """What ``json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)`` gives.

    For the plain values `jsonable` returns (dicts with text keys, lists, texts, whole
    numbers, finite floats, booleans, None), with `indent` before each line but the first;
    made in one pass (the library's encoder with an indent goes through Python generators
    value by value). Anything else raises `TypeError`, a non-finite float `ValueError`
    (as ``allow_nan=False`` would).
    """
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"not allowed in JSON: {value!r}")
        return float.__repr__(value)
    inner = indent + "  "
    between = ",\n" + inner
    if kind is dict:
        if not value:
            return "{}"
        if any(type(k) is not str for k in value):
            raise TypeError("JSON keys must be texts here")
        items = sorted(value.items())  # keys differ: values are never compared
        body = between.join([_string(k) + ": " + json_text(v, inner) for k, v in items])
        return "{\n" + inner + body + "\n" + indent + "}"
    if kind is list:
        if not value:
            return "[]"
        body = between.join([json_text(v, inner) for v in value])
        return "[\n" + inner + body + "\n" + indent + "]"
    raise TypeError(f"not a plain JSON value: {kind.__name__}")


_string = json.encoder.encode_basestring  # a text as JSON, its characters as they are
