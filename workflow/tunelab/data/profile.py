"""The dataset profile: what parse time needs to know about a dataset, read once and cached.

Planning a study needs the data's time span and step, and refusing a bad dataset before any job
starts needs its columns, its time parse, its duplicates, the numeric type of the target and the
features, and where the usable examples are (a label that is observed and has a gap-free history).
`dataset_profile(dataset)` reads the file once (the same reading layer as the prepare_dataset rule,
`tunelab.data.source`, so both refuse the same data with the same message) and keeps, per row after
the duplicates policy: the time, whether the target is observed and the gap-free segment.

The profile is cached by the file's identity (absolute path, size, modification and change times,
inode, a hash of its first and last 64 KiB) and the
dataset keys that shape it, in `$TUNELAB_CACHE` (default `~/.cache/tunelab/profiles`), never under
results/ or data/: a cache hit costs a stat and a small numpy load, and imports no pandas. A cache
that cannot be written is skipped silently; deleting it is always safe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

VERSION = 2  # 2: the constant inputs
SHAPING_KEYS = ("time", "target", "features", "categorical", "time_format", "na_values",
                "duplicates", "encoding", "separator")


# Reading keys added after the first prepared files: left out of the prepare rule's params while
# they hold their default, so that their arrival does not re-prepare (and retrain) existing data.
READING_DEFAULTS = {"na_values": [], "duplicates": "error", "encoding": "utf-8", "separator": ","}


def prepare_params(dataset: dict) -> dict:
    return {k: v for k, v in dataset.items() if k not in READING_DEFAULTS or v != READING_DEFAULTS[k]}


class DataError(ValueError):
    """The data does not fit the study; the message names the file and the column. (Defined here,
    in a module without pandas, so parse time can catch it without importing pandas.)"""


@dataclass
class Profile:
    path: str
    columns: list[str]
    raw_rows: int
    duplicates: int  # rows merged or dropped by the duplicates policy
    step_ns: int
    times: np.ndarray  # int64 ns since the epoch, sorted, one per row
    observed: np.ndarray  # bool: the target is observed on this row
    segment: np.ndarray  # int32: gap-free run of rows the row belongs to
    constant: list[str] = field(default_factory=list)  # inputs with one value (or none) throughout
    _usable: dict = field(default_factory=dict, repr=False)

    @property
    def rows(self) -> int:
        return len(self.times)

    @property
    def segments(self) -> int:
        return int(self.segment[-1]) + 1 if self.rows else 0

    def span(self) -> tuple[dt.datetime, dt.datetime, dt.timedelta]:
        """First time, end (last time + step, exclusive) and the step."""
        step = dt.timedelta(microseconds=self.step_ns // 1000)
        return _to_datetime(self.times[0]), _to_datetime(self.times[-1]) + step, step

    def usable(self, window: tuple[dt.datetime, dt.datetime], lags: int, horizon: int) -> int:
        """Examples whose label lies in [start, end), is observed and has `lags` gap-free inputs
        ending `horizon` steps before it: exactly what the training loop will find there."""
        cum = self._usable_cumsum(lags + horizon - 1)
        lo, hi = np.searchsorted(self.times, [_to_ns(window[0]), _to_ns(window[1])])
        return int(cum[hi] - cum[lo])

    def _usable_cumsum(self, reach: int) -> np.ndarray:
        if reach not in self._usable:
            ok = self.observed.copy()
            ok[:reach] = False
            ok[reach:] &= self.segment[reach:] == self.segment[: self.rows - reach]
            self._usable[reach] = np.concatenate([[0], np.cumsum(ok, dtype=np.int64)])
        return self._usable[reach]

    def longest_gap(self) -> tuple[dt.datetime, dt.timedelta] | None:
        """Where the longest gap in time starts, and how long it is (None without gaps)."""
        if self.segments < 2:
            return None
        diffs = np.diff(self.times)
        i = int(np.argmax(diffs))
        return _to_datetime(self.times[i]), dt.timedelta(microseconds=int(diffs[i]) // 1000)


def dataset_profile(dataset: dict) -> Profile:
    """The profile of the dataset's file, from the cache when the file has not changed."""
    path = Path(dataset["path"])
    key = cache_key(dataset, path)
    cached = _load(key) if key else None
    if cached is not None:
        return cached
    profile = build_profile(dataset)
    if key:
        _store(key, profile)
    return profile


def build_profile(dataset: dict) -> Profile:
    """Read the file (time, target and feature columns) and profile it; DataError if it is bad."""
    from tunelab.data.source import column_names, constant_columns, load_clean

    columns = column_names(dataset)
    clean = load_clean(dataset)  # categorical columns too: a file prepare cannot read fails here
    times = clean["time"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    if len(times) < 2:
        raise DataError(f"dataset.time: {dataset['path']} has {len(times)} distinct time(s) in "
                        f"column(s) {dataset['time']!r}; a series needs at least two")
    diffs = np.diff(times)
    step = int(np.median(diffs))
    segment = np.concatenate([[0], np.cumsum(diffs != step)]).astype(np.int32)
    observed = ~np.isnan(clean[dataset["target"]].to_numpy(dtype="float64"))
    raw_rows = int(clean.attrs.get("raw_rows", len(times)))
    return Profile(path=str(dataset["path"]), columns=columns, raw_rows=raw_rows,
                   duplicates=raw_rows - len(times), step_ns=step, times=times,
                   observed=observed, segment=segment,
                   constant=constant_columns(clean, [*dataset.get("features", []),
                                                     *dataset.get("categorical", [])]))


class WindowCheck:
    """Which periods the data fills: each training and validation window needs at least `minimum`
    usable examples. Called on every candidate period; remembers why it refused each one."""

    def __init__(self, profile: Profile, lags: int, horizon: int, minimum: int):
        self.profile, self.lags, self.horizon, self.minimum = profile, lags, horizon, minimum
        self.skipped: dict[str, str] = {}

    def __call__(self, period) -> str | None:
        for part in ("train", "valid"):
            start, end = getattr(period, part)
            n = self.profile.usable((start, end), self.lags, self.horizon)
            if n < self.minimum:
                reason = (f"{part} window {start:%Y-%m-%d}..{end:%Y-%m-%d} has {n} usable examples "
                          f"(periods.min_examples: {self.minimum}){self._hint(n)}")
                self.skipped[period.id] = reason
                return reason
        return None

    def _hint(self, n: int) -> str:
        if n:
            return ""
        steps = self.lags + self.horizon
        length = dt.timedelta(microseconds=steps * self.profile.step_ns // 1000)
        return (f"; each needs an observed label after task.lags + task.horizon = {steps} gap-free "
                f"steps ({length})")


# --- the cache -----------------------------------------------------------------------------------

def cache_dir() -> Path:
    root = os.environ.get("TUNELAB_CACHE")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tunelab" / "profiles"


def cache_key(dataset: dict, path: Path) -> str | None:
    """The file's identity and the keys that shape the profile; None if the file cannot be stat'ed."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    identity = {"version": VERSION, "path": str(path.resolve()), "size": st.st_size,
                "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino,
                "ends": _ends(path, st.st_size),  # two writes within one mtime tick still differ
                "spec": {k: dataset.get(k) for k in SHAPING_KEYS}}
    return hashlib.sha1(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def _ends(path: Path, size: int, length: int = 65536) -> str:
    """A hash of the file's first and last 64 KiB (cheap; the identity's guard against a rewrite
    of the same size inside the filesystem's timestamp resolution)."""
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as fh:
            digest.update(fh.read(length))
            if size > length:
                fh.seek(max(size - length, length))
                digest.update(fh.read(length))
    except OSError:
        return ""
    return digest.hexdigest()


def _load(key: str) -> Profile | None:
    file = cache_dir() / f"{key}.npz"
    try:
        with np.load(file, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            return Profile(times=npz["times"], observed=npz["observed"], segment=npz["segment"], **meta)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, damaged or from another version: profile again


def _store(key: str, profile: Profile) -> None:
    meta = {"path": profile.path, "columns": profile.columns, "raw_rows": profile.raw_rows,
            "duplicates": profile.duplicates, "step_ns": profile.step_ns, "constant": profile.constant}
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), times=profile.times,
                     observed=profile.observed, segment=profile.segment)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:
        return  # a read-only home or a full disk: no cache, same answers


def _to_ns(value: dt.datetime) -> int:
    return int(np.datetime64(value.replace(tzinfo=None), "ns").astype(np.int64))


def _to_datetime(ns) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(ns) // 1000)
