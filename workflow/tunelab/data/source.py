"""Reading a raw dataset file as the study describes it, and refusing one it does not describe.

Every check that needs the data lives here, so that the dataset profile (parse time, `tunelab
validate`) and the prepare_dataset rule read a file the same way and refuse it with the same
message: one line that names the dataset key, the column, the file, the value and the fix.

- Format: Parquet is recognised by its magic bytes, gzip by its own (not by the file's suffix);
  anything else must be text in `dataset.encoding` with `dataset.separator` between fields.
- Missing values: empty cells, pandas' usual markers (NA, NaN, ...) and `dataset.na_values`.
- Time: one ISO 8601 column; or any text column with an explicit `dataset.time_format` (strftime
  codes), so day-first and month-first are never guessed; or a `[date, time]` pair joined by a
  space; or `[year, month, day, hour, ...]` parts. Every row needs a time.
- Duplicate timestamps: `dataset.duplicates` says what to do (error, first, last, mean).
- Target and features must be numeric wherever they are not missing.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from tunelab.data.profile import READING_DEFAULTS, DataError  # noqa: F401

TIME_PARTS = ("year", "month", "day", "hour", "minute", "second")
PART_RANGES = {"month": (1, 12), "day": (1, 31), "hour": (0, 23), "minute": (0, 59),
               "second": (0, 59), "year": (1, 9999)}
DUPLICATE_POLICIES = ("error", "first", "last", "mean")
SNIFF_BYTES = 65536


def time_columns(dataset: dict) -> list[str]:
    time = dataset["time"]
    return [time] if isinstance(time, str) else list(time)


def used_columns(dataset: dict, categorical: bool = True) -> list[str]:
    cols = [*time_columns(dataset), dataset["target"], *dataset.get("features", [])]
    if categorical:
        cols += dataset.get("categorical", [])
    return list(dict.fromkeys(cols))


# --- the file ------------------------------------------------------------------------------------

def file_kind(path: Path) -> str:
    """'parquet', 'gzip' or 'text', from the first bytes; a DataError for a missing or empty file."""
    if not path.exists():
        raise DataError(f"dataset.path: {str(path)!r}: no such file")
    if not path.is_file():
        raise DataError(f"dataset.path: {str(path)!r} is not a file")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if not head:
        raise DataError(f"dataset.path: {path} is empty (0 bytes)")
    if head == b"PAR1":
        return "parquet"
    if path.suffix == ".parquet":
        raise DataError(f"dataset.path: {path} is named .parquet but is not a Parquet file "
                        "(no PAR1 magic bytes)")
    return "gzip" if head[:2] == b"\x1f\x8b" else "text"


def column_names(dataset: dict) -> list[str]:
    """The file's column names, read cheaply (Parquet schema, or the CSV header)."""
    path = Path(dataset["path"])
    kind = file_kind(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a damaged file
            raise DataError(f"dataset.path: {path} is not a readable Parquet file: "
                            f"{_first_line(exc)}") from None
    _check_text(path, kind, dataset)
    header = [str(c) for c in _read_csv(path, dataset, nrows=1, header=None).iloc[0].tolist()]
    _check_header(header, dataset, path)
    return list(_read_csv(path, dataset, nrows=0).columns)


def _check_header(header: list[str], dataset: dict, path: Path) -> None:
    """A column the study names must appear once in the header (pandas would rename the second
    one `name.1` and read the first without a word)."""
    for key, cols in (("time", time_columns(dataset)), ("target", [dataset["target"]]),
                      ("features", dataset.get("features", [])),
                      ("categorical", dataset.get("categorical", []))):
        for col in cols:
            if header.count(col) > 1:
                raise DataError(f"dataset.{key}: column {col!r} appears {header.count(col)} times in "
                                f"the header of {path}; rename the copies so each name is one column")


def read_raw(dataset: dict, columns: list[str]) -> pd.DataFrame:
    """The named columns of the dataset's file, missing-value markers applied; checks the names."""
    path = Path(dataset["path"])
    check_columns(column_names(dataset), dataset, str(path))
    if file_kind(path) == "parquet":
        try:
            frame = pd.read_parquet(path, columns=columns)
        except Exception as exc:  # noqa: BLE001 (pyarrow: ArrowInvalid, OSError for damaged pages)
            raise DataError(f"dataset.path: {path} is not a readable Parquet file: "
                            f"{_first_line(exc)}") from None
        markers = [str(v) for v in dataset.get("na_values", [])]
        for col in frame.columns:
            if markers and not pd.api.types.is_numeric_dtype(frame[col]):
                frame[col] = frame[col].mask(frame[col].astype("string").isin(markers))
    else:
        frame = _read_csv(path, dataset, usecols=columns)
    if frame.empty:
        raise DataError(f"dataset.path: {path} has a header but no data rows")
    return frame


def _read_csv(path: Path, dataset: dict, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=dataset.get("separator", ","), encoding=dataset.get("encoding", "utf-8"),
                           na_values=[str(v) for v in dataset.get("na_values", [])],
                           compression="gzip" if file_kind(path) == "gzip" else None,
                           dtype=_text_dtypes(dataset), low_memory=False, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataError(f"dataset.path: {path} holds no CSV header (empty or blank)") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"dataset.path: {path} is not {dataset.get('encoding', 'utf-8')} text "
                        f"(byte {exc.object[exc.start:exc.start + 1]!r} at offset {exc.start}); "
                        "set dataset.encoding, e.g. latin-1") from None
    except LookupError:
        raise DataError(f"dataset.encoding: {dataset.get('encoding')!r} is not a text encoding "
                        "Python knows; write e.g. utf-8, latin-1 or cp1252") from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
        raise DataError(f"dataset.path: {path} is not a readable CSV file: {_first_line(exc)}") from None


def _text_dtypes(dataset: dict) -> dict:
    """Time text columns stay text (so '0930' keeps its zero); parts and values are inferred."""
    cols = time_columns(dataset)
    return {c: "string" for c in cols} if len(cols) <= 2 else {}


def _check_text(path: Path, kind: str, dataset: dict) -> None:
    """A binary file (NUL bytes) is not a CSV: say so before pandas reports a cryptic parse error."""
    try:
        opener = gzip.open if kind == "gzip" else open
        with opener(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise DataError(f"dataset.path: {path} is not a readable gzip file: {_first_line(exc)}") from None
    if b"\x00" in head:
        raise DataError(f"dataset.path: {path} is a binary file, not CSV text (give a CSV, "
                        "optionally gzipped, or a Parquet file)")
    if not head.strip():
        raise DataError(f"dataset.path: {path} holds no CSV header (empty or blank)")


def check_columns(frame_columns, dataset: dict, path: str) -> None:
    wanted = {
        "dataset.time": time_columns(dataset),
        "dataset.target": [dataset["target"]],
        "dataset.features": dataset.get("features", []),
        "dataset.categorical": dataset.get("categorical", []),
    }
    names = [str(c) for c in frame_columns]
    for key, cols in wanted.items():
        for col in cols:
            if col not in names:
                hint = ""
                if len(names) == 1 and any(s in names[0] for s in ";\t|"):
                    sep = next(s for s in ";\t|" if s in names[0])
                    hint = f" (the file seems separated by {sep!r}: set dataset.separator)"
                raise DataError(f"{key}: column {col!r} is not in {path}; it has: "
                                f"{', '.join(names)}{hint}")


def _plain(value):
    """numpy scalars as Python values, so messages read 13, not np.int64(13)."""
    return value.item() if hasattr(value, "item") else value


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --- time ----------------------------------------------------------------------------------------

def parse_time(frame: pd.DataFrame, dataset: dict) -> pd.Series:
    """The time of each row (naive wall-clock, ns); a DataError names the first row that fails."""
    cols = time_columns(dataset)
    path = dataset["path"]
    if len(cols) <= 2:
        times = _parse_text_time(frame, cols, dataset, path)
    else:
        times = _parse_parts(frame, cols, path)
    return times.astype("datetime64[ns]")


def _parse_text_time(frame: pd.DataFrame, cols: list[str], dataset: dict, path: str) -> pd.Series:
    where = f"dataset.time: column {cols[0]!r}" if len(cols) == 1 else f"dataset.time: columns {cols}"
    fmt = dataset.get("time_format")
    first = frame[cols[0]]
    if len(cols) == 1 and pd.api.types.is_datetime64_any_dtype(first):
        _refuse_missing(first, where, path)
        return _wall_clock(first, where, path)
    if len(cols) == 1 and pd.api.types.is_numeric_dtype(first):
        raise DataError(f"{where} in {path} holds numbers ({first.iloc[0]!r}), not times; write "
                        "ISO 8601 times, or give [year, month, day, hour] parts as dataset.time")
    text = first.astype("string")
    if len(cols) == 2:
        text = text.str.strip() + " " + frame[cols[1]].astype("string").str.strip()
    _refuse_missing(text, where, path)
    try:
        times = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce")
    except ValueError as exc:
        if "Mixed timezones" in str(exc) or "mixed" in str(exc).lower():
            raise DataError(f"{where} in {path} mixes UTC offsets (e.g. {text.iloc[0]!r}); "
                            "convert the times to one offset or to UTC") from None
        raise DataError(f"{where} in {path}: {_first_line(exc)}") from None
    bad = times.isna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        if not fmt and _is_number(text.iloc[row]):
            raise DataError(f"{where} in {path} holds numbers ({text.iloc[row]!r}, data row {row + 1}), "
                            "not times; write ISO 8601 times, or give [year, month, day, hour] "
                            "parts as dataset.time")
        if fmt:
            raise DataError(f"{where} in {path}: {text.iloc[row]!r} (data row {row + 1}) does not "
                            f"match dataset.time_format {fmt!r}")
        raise DataError(f"{where} in {path}: {text.iloc[row]!r} (data row {row + 1}) is not an ISO "
                        "8601 time (YYYY-MM-DD HH:MM:SS); tunelab never guesses day-first or "
                        "month-first: set dataset.time_format, e.g. '%d/%m/%Y %H:%M:%S'")
    return _wall_clock(times, where, path)


def _wall_clock(times: pd.Series, where: str, path: str) -> pd.Series:
    """Times with one UTC offset keep their wall-clock reading; mixed offsets are refused."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return times.dt.tz_localize(None)
    if times.dtype == object:
        raise DataError(f"{where} in {path} mixes UTC offsets; convert the times to one offset or to UTC")
    return times


def _refuse_missing(values: pd.Series, where: str, path: str) -> None:
    missing = values.isna()
    if missing.any():
        row = int(missing.to_numpy().argmax())
        raise DataError(f"{where} in {path} is empty on data row {row + 1} ({int(missing.sum())} "
                        "rows without a time); every row needs a time: drop those rows")


def _parse_parts(frame: pd.DataFrame, cols: list[str], path: str) -> pd.Series:
    names = TIME_PARTS[: len(cols)]
    parts = {}
    for name, col in zip(names, cols, strict=True):
        where = f"dataset.time: column {col!r} ({name})"
        _refuse_missing(frame[col], where, path)
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | (values % 1 != 0)
        lo, hi = PART_RANGES[name]
        bad |= (values < lo) | (values > hi)
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise DataError(f"{where} in {path}: {_plain(frame[col].iloc[row])!r} (data row {row + 1}) is "
                            f"not a whole number from {lo} to {hi}")
        parts[name] = values.astype("int64")
    times = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
    bad = times.isna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        shown = "-".join(str(parts[n].iloc[row]) for n in names[:3])
        raise DataError(f"dataset.time: columns {cols} in {path}: {shown} (data row {row + 1}) is "
                        "not a calendar date")
    return times


# --- values --------------------------------------------------------------------------------------

def numeric(frame: pd.DataFrame, col: str, key: str, path: str) -> pd.Series:
    """Column `col` as float64; any value that is neither missing nor a number is refused."""
    raw = frame[col]
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64")
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        fix = ("list it under dataset.categorical" if key == "dataset.features" else "clean the column")
        raise DataError(f"{key}: column {col!r} in {path} holds a non-numeric value {_plain(raw.iloc[row])!r} "
                        f"(data row {row + 1}, {int(bad.sum())} such rows); {fix}, or add the "
                        "marker to dataset.na_values if it means 'missing'")
    return values.astype("float64")


def check_target(values: pd.Series, col: str, path: str) -> None:
    """A target with labels to learn: some value, and not one value everywhere (nothing to
    forecast; its scaling would have no spread to divide by: windows.py falls back to 1)."""
    observed = values.dropna()
    if observed.empty:
        raise DataError(f"dataset.target: column {col!r} in {path} has no value at all (data rows 1 "
                        f"to {len(values)} are empty or a missing-value marker); give a numeric "
                        "target column")
    if observed.min() == observed.max():
        row = int(values.notna().to_numpy().argmax())
        raise DataError(f"dataset.target: column {col!r} in {path} is constant ({_plain(observed.iloc[0])!r} "
                        f"on every labelled row, from data row {row + 1} on): there is nothing to "
                        "forecast, and its standard deviation is zero, so it cannot be scaled; give "
                        "a target that varies")


def constant_columns(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The columns among `columns` that hold at most one distinct value (missing ones aside)."""
    return [c for c in columns if c in frame and frame[c].nunique(dropna=True) <= 1]


def resolve_duplicates(frame: pd.DataFrame, dataset: dict, numeric_cols: list[str]) -> pd.DataFrame:
    """One row per time, as `dataset.duplicates` says; `frame` is sorted by time (stable)."""
    policy = dataset.get("duplicates", "error")
    duplicated = frame["time"].duplicated(keep=False)
    if not duplicated.any():
        return frame
    count = int(frame["time"].duplicated().sum())
    if policy == "error":
        first = frame.loc[duplicated, "time"].iloc[0]
        rows = int((frame["time"] == first).sum())
        raise DataError(f"dataset.duplicates: {count} duplicate timestamps in {dataset['path']}, first "
                        f"{first} ({rows} rows); set dataset.duplicates to first, last or mean to "
                        "keep one row per time, or drop them from the file")
    if policy in ("first", "last"):
        return frame.drop_duplicates("time", keep=policy).reset_index(drop=True)
    others = [c for c in frame.columns if c not in numeric_cols and c != "time"]
    agg = {**{c: "mean" for c in numeric_cols}, **{c: "first" for c in others}}
    return frame.groupby("time", sort=True, as_index=False).agg(agg)[list(frame.columns)]


def load_clean(dataset: dict, categorical: bool = True) -> pd.DataFrame:
    """time, target, numeric features (float64) and raw categorical columns: one row per time,
    sorted. The shared first step of the profile and of prepare."""
    path = dataset["path"]
    frame = read_raw(dataset, used_columns(dataset, categorical))
    out = pd.DataFrame({"time": parse_time(frame, dataset)})
    target = dataset["target"]
    out[target] = numeric(frame, target, "dataset.target", path)
    check_target(out[target], target, path)
    features = [c for c in dataset.get("features", []) if c != target]
    for col in features:
        out[col] = numeric(frame, col, "dataset.features", path)
        if out[col].isna().all():
            raise DataError(f"dataset.features: column {col!r} in {path} has no value at all")
    if categorical:
        for col in dataset.get("categorical", []):
            out[col] = frame[col].astype("string")
            if out[col].isna().all():
                raise DataError(f"dataset.categorical: column {col!r} in {path} has no value at all")
    out = out.sort_values("time", kind="stable").reset_index(drop=True)
    out = resolve_duplicates(out, dataset, [target, *features])
    out.attrs["raw_rows"] = len(frame)
    return out
