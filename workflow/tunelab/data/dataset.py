"""Raw data in, prepared data out: one Parquet file per dataset that every training job reads.

The prepared file has a `time` column, the target (NaN where it is missing: such rows are never used
as labels), numeric features, one-hot categorical features, a `<col>__missing` indicator for every
input column that has gaps in its values, and a `segment` column: rows in one segment are evenly
spaced in time, and a new segment starts after every gap, so a window never silently bridges one.
The target and input column names and the sampling step are stored in the file's metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tunelab.data.source import (  # noqa: F401 (re-exported: the dataset's reading layer)
    TIME_PARTS,
    DataError,
    check_columns,
    load_clean,
    parse_time,
    time_columns,
)
from tunelab.io import atomic_path


def time_span(dataset: dict) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timedelta]:
    """First timestamp, end (last timestamp + step, exclusive) and step (from the dataset profile)."""
    from tunelab.data.profile import dataset_profile

    start, end, step = dataset_profile(dataset).span()
    return pd.Timestamp(start), pd.Timestamp(end), pd.Timedelta(step)


def infer_step(times: pd.Series) -> pd.Timedelta:
    diffs = times.diff().dropna()
    diffs = diffs[diffs > pd.Timedelta(0)]
    if diffs.empty:
        raise DataError("dataset.time: fewer than two distinct times; cannot infer the sampling step")
    return diffs.median()


def prepare(dataset: dict) -> pd.DataFrame:
    """Read, clean and encode the raw data into the prepared frame (see the module docstring)."""
    clean = load_clean(dataset)
    target = dataset["target"]
    features = [c for c in dataset.get("features", []) if c != target]
    out = clean[["time", target, *features]].copy()
    for col in dataset.get("categorical", []):
        dummies = pd.get_dummies(clean[col], prefix=col, prefix_sep="=", dtype="float64")
        out = pd.concat([out, dummies], axis=1)
    inputs = [c for c in out.columns if c != "time"]
    for col in [c for c in inputs if out[c].isna().any()]:
        out[f"{col}__missing"] = out[col].isna().astype("float64")
    step = infer_step(out["time"])
    out["segment"] = (out["time"].diff() != step).cumsum().astype("int64") - 1
    out.attrs["tunelab"] = {
        "target": target,
        "inputs": [c for c in out.columns if c not in ("time", "segment")],
        "step_ns": int(step.value),
    }
    return out


def write_prepared(frame: pd.DataFrame, path: str | Path) -> None:
    """Parquet with tunelab's metadata in the schema, written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {**(table.schema.metadata or {}), b"tunelab": json.dumps(frame.attrs["tunelab"]).encode()}
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def summary(frame: pd.DataFrame) -> dict:
    """Counts a person wants to see after preparing: rows, span, gaps, missing labels."""
    meta = frame.attrs["tunelab"]
    return {
        "rows": int(len(frame)),
        "start": str(frame["time"].iloc[0]),
        "end": str(frame["time"].iloc[-1]),
        "segments": int(frame["segment"].nunique()),
        "missing_target": int(frame[meta["target"]].isna().sum()),
        "inputs": len(meta["inputs"]),
        "step": str(pd.Timedelta(meta["step_ns"])),
    }



def prepare_file(dataset: dict, output: str | Path) -> dict:
    """The prepare_dataset rule: raw file -> prepared Parquet; returns (and prints) its summary."""
    frame = prepare(dataset)
    write_prepared(frame, output)
    info = summary(frame)
    print(json.dumps(info, indent=1))
    return info
