"""From the prepared Parquet file to scaled (lags x inputs) -> target examples for one period.

This module is on the training path: numpy and pyarrow only, no pandas.

No leakage: an example belongs to the window that holds its label's time; its inputs are the `lags`
rows ending `horizon` steps before the label, all in one gap-free segment. Scaling statistics come
from the rows of the training window only; missing input values become 0 after scaling (the
training mean) and the `__missing` indicator columns tell the model where that happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


@dataclass
class Prepared:
    times: np.ndarray  # datetime64[ns]
    segment: np.ndarray  # int64
    inputs: np.ndarray  # float64 (rows, inputs); the target's own history is the first column
    target: np.ndarray  # float64 (rows,), NaN where missing
    input_names: list[str]


@dataclass
class Split:
    x: np.ndarray  # float32 (examples, lags, inputs)
    y: np.ndarray  # float32 (examples,), scaled

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class PeriodData:
    train: Split
    valid: Split
    test: Split | None
    target_mean: float
    target_std: float
    input_names: list[str]


def as_prepared(data: str | Prepared) -> Prepared:
    """A Prepared as it is, or a prepared file (its path) loaded: a job that runs several checks
    reads the file once."""
    return data if isinstance(data, Prepared) else load_prepared(data)


def load_prepared(path: str) -> Prepared:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read()  # not pq.read_table: it imports pandas via pyarrow.dataset
    meta = json.loads(table.schema.metadata[b"tunelab"])
    target = meta["target"]
    names = meta["inputs"]
    if names[0] != target:  # the target's history first, then the features
        names = [target] + [n for n in names if n != target]

    def column(name, arrow_type=None, dtype=np.float64):
        return arrow_to_numpy(table.column(name).cast(arrow_type or pa.float64()), dtype)

    return Prepared(
        times=column("time", pa.timestamp("ns"), np.int64).view("datetime64[ns]"),
        segment=column("segment", pa.int64(), np.int64),
        inputs=np.column_stack([column(n) for n in names]),
        target=column(target),
        input_names=names,
    )


def arrow_to_numpy(column, dtype) -> np.ndarray:
    """A fixed-width Arrow column as numpy, nulls as NaN. Not pyarrow's to_numpy: that imports
    pandas (0.3 s of every training job's start-up)."""
    arr = column.combine_chunks()
    validity, data = arr.buffers()[:2]
    values = np.frombuffer(data, dtype=dtype, count=arr.offset + len(arr))[arr.offset:].copy()
    if arr.null_count:
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        values[bits[arr.offset:arr.offset + len(arr)] == 0] = np.nan
    return values


def label_rows(data: Prepared, window: tuple[str, str], lags: int, horizon: int) -> np.ndarray:
    """Rows whose label lies in [start, end), is observed, and has a gap-free input history."""
    start, end = (np.datetime64(w, "ns") for w in window)
    rows = np.flatnonzero((data.times >= start) & (data.times < end) & ~np.isnan(data.target))
    first_input = rows - horizon - lags + 1
    ok = first_input >= 0
    rows, first_input = rows[ok], first_input[ok]
    return rows[data.segment[first_input] == data.segment[rows]]


def scaling(data: Prepared, window: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of every input column over the training window's rows."""
    start, end = (np.datetime64(w, "ns") for w in window)
    block = data.inputs[(data.times >= start) & (data.times < end)]
    if len(block) == 0:
        raise ValueError(f"training window {window} holds no rows of the data")
    with np.errstate(all="ignore"):
        mean = np.nanmean(block, axis=0)
        std = np.nanstd(block, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    return mean, std


def make_split(data: Prepared, scaled: np.ndarray, rows: np.ndarray, lags: int, horizon: int,
               t_mean: float, t_std: float) -> Split:
    offsets = np.arange(-horizon - lags + 1, -horizon + 1)
    x = scaled[rows[:, None] + offsets[None, :]]
    y = (data.target[rows] - t_mean) / t_std
    return Split(x=x.astype(np.float32), y=y.astype(np.float32))


def period_data(data: Prepared, windows: dict, lags: int, horizon: int) -> PeriodData:
    mean, std = scaling(data, windows["train"])
    scaled = np.nan_to_num((data.inputs - mean) / std, nan=0.0)
    t_mean, t_std = float(mean[0]), float(std[0])  # column 0 is the target's history
    splits = {}
    for part in ("train", "valid", "test"):
        if windows.get(part) is None:
            splits[part] = None
            continue
        rows = label_rows(data, windows[part], lags, horizon)
        if part != "test" and len(rows) == 0:
            raise ValueError(f"{part} window {windows[part]} has no usable example "
                             f"(labels missing, or gaps shorter than lags + horizon)")
        splits[part] = make_split(data, scaled, rows, lags, horizon, t_mean, t_std)
    return PeriodData(splits["train"], splits["valid"], splits["test"], t_mean, t_std,
                      data.input_names)
