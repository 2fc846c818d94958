"""The data report: what a person should look at in the data before training on it.

Per dataset: rows and labels per month, missing values per column. Per period and window (train,
validation, test): the target's distribution and every input's statistics. Then notes, each one a
thing to check before the study spends its budget:
- a month with few labels (fewer than `few_labels` of the rows its length calls for);
- a constant input in a training window (it carries nothing there; scaling maps it to 0);
- a shift between train and validation: an input (or the target) whose validation mean lies more than
  `shift` training standard deviations from its training mean;
- a column with more than `missing` of its values missing in a window;
- a categorical input whose category frequencies change between the training and validation
  windows: total variation distance (half the summed absolute change of the shares) above
  `category_shift`, with the categories that moved most. The one-hot columns (`col=value`, as
  prepare() writes them) are read as one categorical input, not as numeric ones.

Reads the prepared Parquet file (the data the runs see), so the rows, labels and windows are the runs'.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

PARTS = ("train", "valid", "test")


@dataclass
class Thresholds:
    few_labels: float = 0.5  # labelled rows of a month, as a fraction of the rows it should have
    shift: float = 1.0  # |valid mean - train mean| / train std
    missing: float = 0.2  # fraction of a column's values missing in a window
    category_shift: float = 0.25  # total variation distance of category shares, train vs valid


@dataclass
class DataReport:
    dataset: str
    target: str
    step: pd.Timedelta
    summary: dict
    months: pd.DataFrame  # month, rows, labels, expected, label_fraction
    missing: pd.DataFrame  # column, missing, fraction
    target_stats: pd.DataFrame  # period, part, n, mean, std, min, p05, p50, p95, max
    feature_stats: pd.DataFrame  # period, column, train_mean, train_std, valid_mean, valid_std, shift, ...
    category_stats: pd.DataFrame = field(default_factory=pd.DataFrame)  # period, column, category,
    # train_share, valid_share (per categorical input and period)
    notes: list[str] = field(default_factory=list)
    windows: dict = field(default_factory=dict)  # period -> {part: (start, end)}


def read_prepared(path: str | Path) -> tuple[pd.DataFrame, dict]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"tunelab"])
    return table.to_pandas(), meta


def input_columns(frame: pd.DataFrame, meta: dict) -> list[str]:
    """The inputs a person reads: the target and the features, not the `__missing` indicators."""
    return [c for c in meta["inputs"] if not c.endswith("__missing")]


def month_table(frame: pd.DataFrame, target: str, step: pd.Timedelta) -> pd.DataFrame:
    month = frame["time"].dt.to_period("M")
    counts = frame.assign(month=month, label=frame[target].notna()).groupby("month").agg(
        rows=("time", "size"), labels=("label", "sum"))
    full = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
    counts = counts.reindex(full, fill_value=0)
    start = full.to_timestamp()
    end = (full + 1).to_timestamp()
    first, last = frame["time"].iloc[0], frame["time"].iloc[-1] + step
    spans = np.minimum(end, last) - np.maximum(start, first)  # the first / last month may be partial
    expected = np.maximum(np.floor(spans / step), 0).astype(int)
    out = counts.reset_index(names="month")
    out["month"] = out["month"].astype(str)
    out["expected"] = expected
    out["label_fraction"] = out["labels"] / out["expected"].where(out["expected"] > 0)
    return out


def window_rows(frame: pd.DataFrame, window: tuple[str, str]) -> pd.DataFrame:
    start, end = (pd.Timestamp(w) for w in window)
    return frame[(frame["time"] >= start) & (frame["time"] < end)]


def target_statistics(frame: pd.DataFrame, target: str, windows: dict) -> pd.DataFrame:
    rows = []
    for period, parts in windows.items():
        for part in PARTS:
            if not parts.get(part):
                continue
            y = window_rows(frame, parts[part])[target].dropna()
            q = y.quantile([0.05, 0.5, 0.95]) if len(y) else pd.Series([math.nan] * 3, [0.05, 0.5, 0.95])
            rows.append({"period": period, "part": part, "n": len(y), "mean": y.mean(), "std": y.std(),
                         "min": y.min(), "p05": q[0.05], "p50": q[0.5], "p95": q[0.95], "max": y.max()})
    return pd.DataFrame(rows)


def feature_statistics(frame: pd.DataFrame, columns: list[str], windows: dict) -> pd.DataFrame:
    rows = []
    for period, parts in windows.items():
        train = window_rows(frame, parts["train"])
        valid = window_rows(frame, parts["valid"])
        for col in columns:
            t, v = train[col], valid[col]
            t_mean, t_std = t.mean(), t.std()
            shift = (v.mean() - t_mean) / t_std if t_std and t_std > 1e-12 else math.nan
            rows.append({"period": period, "column": col, "train_mean": t_mean, "train_std": t_std,
                         "valid_mean": v.mean(), "valid_std": v.std(), "shift": shift,
                         "train_missing": float(t.isna().mean()) if len(t) else math.nan,
                         "valid_missing": float(v.isna().mean()) if len(v) else math.nan,
                         "train_distinct": int(t.nunique())})
    return pd.DataFrame(rows)


def categorical_inputs(columns: list[str]) -> dict[str, list[str]]:
    """{input: its one-hot columns}: prepare() encodes a categorical `col` as `col=value` columns."""
    groups: dict[str, list[str]] = {}
    for col in columns:
        if "=" in col:
            groups.setdefault(col.split("=", 1)[0], []).append(col)
    return groups


def category_statistics(frame: pd.DataFrame, groups: dict[str, list[str]], windows: dict
                        ) -> pd.DataFrame:
    """Per period, categorical input and category: its share of the training and validation rows."""
    rows = []
    for period, parts in windows.items():
        train, valid = window_rows(frame, parts["train"]), window_rows(frame, parts["valid"])
        for name, cols in groups.items():
            for col in cols:
                rows.append({"period": period, "column": name, "category": col.split("=", 1)[1],
                             "train_share": float(train[col].mean()) if len(train) else math.nan,
                             "valid_share": float(valid[col].mean()) if len(valid) else math.nan})
    return pd.DataFrame(rows, columns=["period", "column", "category", "train_share", "valid_share"])


def category_notes(stats: pd.DataFrame, threshold: float) -> list[str]:
    notes = []
    if stats.empty:
        return notes
    for (period, column), g in stats.groupby(["period", "column"], sort=False):
        change = (g["valid_share"] - g["train_share"]).abs()
        distance = 0.5 * float(change.sum())
        if not distance > threshold:
            continue
        moved = g.assign(change=change).sort_values("change", ascending=False).head(3)
        words = [f"{r.category} from {100 * r.train_share:.0f}% of the training rows to "
                 f"{100 * r.valid_share:.0f}% of the validation rows" if i == 0 else
                 f"{r.category} from {100 * r.train_share:.0f}% to {100 * r.valid_share:.0f}%"
                 for i, r in enumerate(moved.itertuples())]
        notes.append(f"Category shift in period {period}: {column}'s category frequencies change "
                     f"between training and validation (total variation {distance:.2f}): "
                     + "; ".join(words) + ".")
    return notes


def make_notes(report: DataReport, thr: Thresholds) -> list[str]:
    notes = []
    period_months = _period_months(report.windows)
    few = report.months[(report.months["expected"] > 0) & (report.months["label_fraction"] < thr.few_labels)]
    for r in few.itertuples():
        used = period_months.get(r.month)
        where = f" (used by {used})" if used else ""
        notes.append(f"Few labels in {r.month}: {r.labels} of {r.expected} rows have a target "
                     f"({100 * r.label_fraction:.0f}%){where}.")
    fs = report.feature_stats
    if len(fs):
        constant = fs[fs["train_distinct"] <= 1]
        for r in constant.itertuples():
            notes.append(f"Constant input in period {r.period}'s training window: {r.column} "
                         f"(always {r.train_mean:.4g}); it carries no information there.")
        numeric = ~fs["column"].str.contains("=", regex=False)  # one-hot: see category_notes
        shifted = fs[numeric & (fs["shift"].abs() > thr.shift)].sort_values("shift", key=abs,
                                                                            ascending=False)
        for r in shifted.itertuples():
            who = "the target" if r.column == report.target else r.column
            side = "above" if r.shift > 0 else "below"
            notes.append(f"Shift in period {r.period}: {who}'s validation mean ({r.valid_mean:.4g}) is "
                         f"{abs(r.shift):.1f} training std {side} its training mean ({r.train_mean:.4g}).")
        for part in ("train", "valid"):
            gaps = fs[fs[f"{part}_missing"] > thr.missing]
            for r in gaps.itertuples():
                notes.append(f"Missing values in period {r.period}'s {part} window: "
                             f"{100 * getattr(r, f'{part}_missing'):.0f}% of {r.column}.")
    notes += category_notes(report.category_stats, thr.category_shift)
    if report.summary.get("segments", 1) > 1:
        notes.append(f"The data has {report.summary['segments'] - 1} gap(s) in time; no example "
                     "bridges one, so windows next to a gap have fewer examples.")
    return notes


def _period_months(windows: dict) -> dict[str, str]:
    """month -> 'v2014-03 valid, ...': which period windows use a month."""
    used: dict[str, list[str]] = {}
    for period, parts in windows.items():
        for part in PARTS:
            if not parts.get(part):
                continue
            start, end = (pd.Timestamp(w) for w in parts[part])
            for m in pd.period_range(start, end - pd.Timedelta(1, "ns"), freq="M"):
                used.setdefault(str(m), []).append(f"{period} {part}")
    return {m: ", ".join(v) for m, v in used.items()}


def build_report(frame: pd.DataFrame, meta: dict, windows: dict, dataset: str = "",
                 thresholds: Thresholds | None = None) -> DataReport:
    """Everything the report says, as tables (tested without files)."""
    thr = thresholds or Thresholds()
    target = meta["target"]
    step = pd.Timedelta(meta["step_ns"], "ns")
    summary = {
        "rows": len(frame), "start": str(frame["time"].iloc[0]), "end": str(frame["time"].iloc[-1]),
        "step": str(step), "segments": int(frame["segment"].nunique()) if "segment" in frame else 1,
        "missing_target": int(frame[target].isna().sum()),
    }
    columns = input_columns(frame, meta)
    missing = pd.DataFrame({"column": columns,
                            "missing": [int(frame[c].isna().sum()) for c in columns]})
    missing["fraction"] = missing["missing"] / max(len(frame), 1)
    report = DataReport(
        dataset=dataset, target=target, step=step, summary=summary,
        months=month_table(frame, target, step), missing=missing,
        target_stats=target_statistics(frame, target, windows),
        feature_stats=feature_statistics(frame, columns, windows), windows=windows,
        category_stats=category_statistics(frame, categorical_inputs(columns), windows),
    )
    report.notes = constant_notes(frame, columns, target) + make_notes(report, thr)
    return report


def constant_notes(frame: pd.DataFrame, columns: list[str], target: str) -> list[str]:
    """Inputs with one value over the whole data (tunelab validate says so too): one note."""
    groups = categorical_inputs(columns)
    one_hot = {c for cols in groups.values() for c in cols}
    inputs = [c for c in columns if c != target and c not in one_hot]
    constant = [c for c in inputs if frame[c].nunique(dropna=True) <= 1]
    constant += [name for name, cols in groups.items()
                 if sum(int(frame[c].fillna(0).astype(bool).any()) for c in cols) <= 1]
    if not constant:
        return []
    if len(constant) == len(inputs) + len(groups):
        return [f"Every input but the target is constant over the whole data ({', '.join(constant)}): "
                "the model learns from the target's own history alone."]
    return [f"Constant over the whole data (no information in it): {', '.join(constant)}."]


def report_markdown(report: DataReport, study: str, plot: str | None = "data_report.png") -> str:
    s = report.summary
    lines = [f"# Data report: {study}", "",
             f"Dataset `{report.dataset}`: {s['rows']} rows, {s['start']} to {s['end']}, one every "
             f"{_step_text(report.step)}; {s['segments']} gap-free segment(s); target "
             f"`{report.target}` missing in {s['missing_target']} rows. Read from the prepared data "
             "the runs train on.", ""]
    lines += ["## Notes", ""]
    lines += [f"- {n}" for n in report.notes] or ["- Nothing stands out."]
    lines += [""]
    if plot:
        lines += [f"![rows and labels per month, target per period]({plot})", ""]
    lines += ["## Periods", "", "| period | train | valid | test |", "|---|---|---|---|"]
    for period, parts in report.windows.items():
        cells = [f"{p[0][:10]} .. {p[1][:10]}" if p else "-" for p in (parts.get(x) for x in PARTS)]
        lines.append(f"| {period} | " + " | ".join(cells) + " |")
    lines += ["", "## Target distribution", "",
              "| period | window | labels | mean | std | min | 5% | median | 95% | max |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report.target_stats.itertuples():
        lines.append(f"| {r.period} | {r.part} | {r.n} | {_g(r.mean)} | {_g(r.std)} | {_g(r.min)} | "
                     f"{_g(r.p05)} | {_g(r.p50)} | {_g(r.p95)} | {_g(r.max)} |")
    lines += [""] + _input_lines(report)
    lines += ["## Missing values (whole dataset)", "", "| column | missing | % |", "|---|---:|---:|"]
    for r in report.missing.itertuples():
        lines.append(f"| {r.column} | {r.missing} | {100 * r.fraction:.1f}% |")
    lines += ["", "## Rows and labels per month", "", "| month | rows | labels | expected | labelled |",
              "|---|---:|---:|---:|---:|"]
    for r in report.months.itertuples():
        frac = "-" if not math.isfinite(r.label_fraction) else f"{100 * r.label_fraction:.0f}%"
        lines.append(f"| {r.month} | {r.rows} | {r.labels} | {r.expected} | {frac} |")
    return "\n".join(lines) + "\n"


def _input_lines(report: DataReport) -> list[str]:
    """Each input's training against validation statistics, numeric then categorical, per period."""
    lines = ["## Inputs: training against validation", "",
             "Shift = (validation mean - training mean) / training std.", ""]
    for period, fs in report.feature_stats.groupby("period", sort=False):
        lines += [f"**{period}**", "",
                  "| input | train mean | train std | valid mean | valid std | shift | missing (train) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for r in fs.itertuples():
            flag = " **!**" if math.isfinite(r.shift) and abs(r.shift) > 1.0 else ""
            lines.append(f"| {r.column} | {_g(r.train_mean)} | {_g(r.train_std)} | {_g(r.valid_mean)} | "
                         f"{_g(r.valid_std)} | {_g(r.shift, 2)}{flag} | {100 * r.train_missing:.1f}% |")
        lines += [""]
    if not report.category_stats.empty:
        lines += ["## Categorical inputs: share of rows per category, training against validation",
                  ""]
        for period, cs in report.category_stats.groupby("period", sort=False):
            lines += [f"**{period}**", "", "| input | category | train | valid |",
                      "|---|---|---:|---:|"]
            lines += [f"| {r.column} | {r.category} | {100 * r.train_share:.1f}% | "
                      f"{100 * r.valid_share:.1f}% |" for r in cs.itertuples()]
            lines += [""]
    return lines


def _step_text(step: pd.Timedelta) -> str:
    seconds = int(step.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{unit}" if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"


def _g(x, digits: int = 4) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}g}"


# --- plot -------------------------------------------------------------------------------------------


def _get_data_report_info(report: DataReport, frame: pd.DataFrame, few_labels: float = 0.5) -> dict:
    """Labels per month (with the few-label months) and the target's values per period window."""
    months = report.months
    boxes = []
    for period, parts in report.windows.items():
        for part in PARTS:
            if parts.get(part):
                y = window_rows(frame, parts[part])[report.target].dropna().to_numpy()
                boxes.append({"period": period, "part": part, "values": y})
    spans = []
    for period, parts in report.windows.items():
        for part in PARTS:
            if parts.get(part):
                spans.append({"period": period, "part": part, "start": pd.Timestamp(parts[part][0]),
                              "end": pd.Timestamp(parts[part][1])})
    few = (months["expected"] > 0) & (months["label_fraction"] < few_labels)
    return {"month_start": pd.PeriodIndex(months["month"], freq="M").to_timestamp(),
            "labels": months["labels"].to_numpy(), "expected": months["expected"].to_numpy(),
            "few": few.to_numpy(), "spans": spans, "boxes": boxes, "target": report.target}


PART_COLORS = {"train": "tab:blue", "valid": "tab:orange", "test": "tab:gray"}


def plot_data_report(info: dict, path: str | Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tunelab.io import atomic_path

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), layout="constrained",
                                      height_ratios=[1, 1.1])
    x = info["month_start"]
    colors = np.where(info["few"], "tab:red", "0.55")
    top.bar(x, info["labels"], width=25, align="edge", color=colors, label="labelled rows")
    top.step(x, info["expected"], where="post", color="black", lw=0.8, label="rows expected")
    periods = list(dict.fromkeys(s["period"] for s in info["spans"]))
    height = max(info["expected"].max() if len(info["expected"]) else 1, 1)
    for s in info["spans"]:
        level = periods.index(s["period"])
        y0 = height * (1.04 + 0.07 * level)
        top.plot([s["start"], s["end"]], [y0, y0], color=PART_COLORS[s["part"]], lw=4,
                 solid_capstyle="butt")
    for i, period in enumerate(periods):
        last = max(s["end"] for s in info["spans"] if s["period"] == period)
        top.annotate(period, (last, height * (1.04 + 0.07 * i)), xytext=(4, 0),
                     textcoords="offset points", ha="left", va="center", fontsize=7)
    for part, color in PART_COLORS.items():
        if any(s["part"] == part for s in info["spans"]):
            top.plot([], [], color=color, lw=4, label=part)
    if info["few"].any():
        top.bar([], [], color="tab:red", label="few labels")
    top.set_ylim(0, height * (1.1 + 0.07 * len(periods)))
    top.set_ylabel("rows per month")
    top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    top.margins(x=0.08)
    top.set_title(title or "Rows and labels per month, and the study's periods", fontsize=10)
    boxes = info["boxes"]
    if boxes:
        bp = bottom.boxplot([b["values"] for b in boxes], showfliers=False, patch_artist=True,
                            widths=0.6)
        for patch, b in zip(bp["boxes"], boxes, strict=True):
            patch.set_facecolor(PART_COLORS[b["part"]])
            patch.set_alpha(0.6)
        bottom.set_xticks(range(1, len(boxes) + 1),
                          [f"{b['period']}\n{b['part']}" for b in boxes], fontsize=7)
    bottom.set_ylabel(info["target"])
    bottom.set_title("Target per period and window (box: quartiles, whiskers: 1.5 IQR)", fontsize=9)
    bottom.grid(alpha=0.3, axis="y")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def data_report_file(prepared: str, study: str, dataset: str, windows: dict, out_md: str,
                     out_png: str) -> DataReport:
    """The data report, in the sanity job (tunelab.sanity.checks): prepared data + the plan's periods
    -> data_report.md (+ .png)."""
    from tunelab.io import write_text

    frame, meta = read_prepared(prepared)
    report = build_report(frame, meta, windows, dataset)
    plot_data_report(_get_data_report_info(report, frame), out_png,
                     title=f"{study}: rows and labels per month, and the study's periods")
    plot = Path(out_png).relative_to(Path(out_md).parent).as_posix() \
        if Path(out_png).is_relative_to(Path(out_md).parent) else str(out_png)
    write_text(out_md, report_markdown(report, study, plot))
    for note in report.notes:
        print("note:", note)
    return report
