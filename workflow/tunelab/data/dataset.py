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

from tunelab.io import atomic_path

TIME_PARTS = ("year", "month", "day", "hour", "minute", "second")


class DataError(ValueError):
    """The data does not fit the study; the message names the file and the column."""


def read_table(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"dataset.path: {str(path)!r}: no such file")
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=columns)
    return pd.read_csv(path, usecols=columns)


def time_columns(dataset: dict) -> list[str]:
    time = dataset["time"]
    return [time] if isinstance(time, str) else list(time)


def parse_time(frame: pd.DataFrame, dataset: dict) -> pd.Series:
    """The time of each row, from one column or from [year, month, day, hour, ...] parts."""
    cols = time_columns(dataset)
    if len(cols) == 1:
        return pd.to_datetime(frame[cols[0]])
    parts = frame[cols].copy()
    parts.columns = list(TIME_PARTS[: len(cols)])
    return pd.to_datetime(parts)


def check_columns(frame_columns, dataset: dict, path: str) -> None:
    wanted = {
        "dataset.time": time_columns(dataset),
        "dataset.target": [dataset["target"]],
        "dataset.features": dataset.get("features", []),
        "dataset.categorical": dataset.get("categorical", []),
    }
    for key, cols in wanted.items():
        for col in cols:
            if col not in frame_columns:
                raise DataError(f"{key}: column {col!r} is not in {path}; it has: "
                                f"{', '.join(map(str, frame_columns))}")


def time_span(dataset: dict) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timedelta]:
    """First timestamp, end (last timestamp + step, exclusive) and step, reading time columns only."""
    path = Path(dataset["path"])
    if not path.is_file():
        raise DataError(f"dataset.path: {str(path)!r}: no such file")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    else:
        names = pd.read_csv(path, nrows=0).columns
    check_columns(list(names), dataset, str(path))
    times = parse_time(read_table(path, columns=time_columns(dataset)), dataset).sort_values()
    step = infer_step(times)
    return times.iloc[0], times.iloc[-1] + step, step


def infer_step(times: pd.Series) -> pd.Timedelta:
    diffs = times.diff().dropna()
    if diffs.empty:
        raise DataError("dataset.time: fewer than two rows; cannot infer the sampling step")
    return diffs.median()


def prepare(dataset: dict) -> pd.DataFrame:
    """Read, clean and encode the raw data into the prepared frame (see the module docstring)."""
    path = dataset["path"]
    frame = read_table(path)
    check_columns(frame.columns, dataset, path)
    out = pd.DataFrame({"time": parse_time(frame, dataset)})
    target = dataset["target"]
    out[target] = pd.to_numeric(frame[target], errors="coerce").astype("float64")
    for col in dataset.get("features", []):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().all():
            raise DataError(f"dataset.features: column {col!r} in {path} has no numeric value")
        out[col] = values.astype("float64")
    for col in dataset.get("categorical", []):
        dummies = pd.get_dummies(frame[col].astype("string"), prefix=col, prefix_sep="=", dtype="float64")
        out = pd.concat([out, dummies], axis=1)
    out = out.dropna(subset=["time"]).sort_values("time", kind="stable").reset_index(drop=True)
    duplicated = out["time"].duplicated()
    if duplicated.any():
        first = out.loc[duplicated, "time"].iloc[0]
        raise DataError(f"dataset.time: {duplicated.sum()} duplicate timestamps in {path}, "
                        f"first at {first}; aggregate or drop them before tuning")
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
