"""Hostile dataset files: empty, binary, mislabelled formats, wrong encodings and separators,
ragged rows, non-numeric values, missing columns and files; and hostile study files (not YAML,
not UTF-8, a key given twice)."""

import gzip

import pytest
from hostile import Case, csv, hourly_rows, raw, text_rows, with_cell

GOOD = text_rows(hourly_rows())


def path(name):
    return {"dataset": {"path": f"data/{name}"}}


def gz_truncated(workdir):
    data = gzip.compress(GOOD.encode())
    (workdir / "data" / "synth.csv.gz").write_bytes(data[: len(data) // 2])


def csv_named_parquet(workdir):
    (workdir / "data" / "synth.parquet").write_text(GOOD)


CASES = [
    Case("empty-file", ("dataset.path: data/synth.csv is empty (0 bytes)",), data=raw(b"")),
    Case("blank-file", ("dataset.path: data/synth.csv holds no CSV header",), data=raw("\n\n  \n")),
    Case("header-only", ("dataset.path: data/synth.csv has a header but no data rows",),
         data=raw("timestamp,load,lead,temp,wind\n")),
    Case("binary-file", ("dataset.path: data/synth.csv is a binary file",), data=raw(bytes(range(256)) * 20)),
    Case("gzip-truncated", ("dataset.path: data/synth.csv.gz", "not a readable"), path("synth.csv.gz"),
         data=gz_truncated),
    Case("text-named-parquet", ("dataset.path: data/synth.parquet is named .parquet but is not a Parquet file",),
         path("synth.parquet"), data=csv_named_parquet),
    Case("damaged-parquet", ("dataset.path: data/synth.parquet is not a readable Parquet file",),
         path("synth.parquet"), data=raw(b"PAR1" + b"\x00garbage" * 10, "synth.parquet")),
    Case("latin-1", ("dataset.path: data/synth.csv is not utf-8 text", "dataset.encoding"),
         data=raw(GOOD.replace(",N\n", ",Nörd\n").encode("latin-1"))),
    Case("semicolons", ("dataset.time: column 'timestamp' is not in data/synth.csv",
                        "set dataset.separator"), data=csv(sep=";")),
    Case("unclosed-quote", ("dataset.path: data/synth.csv is not a readable CSV file",),
         data=raw(GOOD.replace("\n2020-01-01 05:00:00,", '\n"2020-01-01 05:00:00,', 1))),
    Case("target-text", ("dataset.target: column 'load' in data/synth.csv holds a non-numeric value 'high'",
                         "data row 11"), data=csv(with_cell("load", 10, "high"))),
    Case("feature-text", ("dataset.features: column 'lead' in data/synth.csv", "'unknown'",
                          "dataset.categorical", "dataset.na_values"), data=csv(with_cell("lead", 3, "unknown"))),
    Case("question-mark-marker", ("dataset.features: column 'temp'", "'?'", "dataset.na_values"),
         data=csv(with_cell("temp", 40, "?"))),
    Case("feature-all-empty", ("dataset.features: column 'temp' in data/synth.csv has no value at all",),
         data=csv(lambda f: f.assign(temp=None))),
    Case("missing-column", ("dataset.features: column 'humidity' is not in data/synth.csv", "it has:"),
         {"dataset": {"features": ["lead", "humidity"]}}),
    Case("missing-target-column", ("dataset.target: column 'Load' is not in data/synth.csv",),
         {"dataset": {"target": "Load"}}),
    Case("missing-file", ("dataset.path: 'data/absent.csv': no such file",), path("absent.csv")),
    Case("path-is-directory", ("dataset.path: 'data' is not a file",), {"dataset": {"path": "data"}}),
    Case("study-not-yaml", ("not valid YAML",), "dataset: [unclosed\n"),
    Case("study-tabs", ("not valid YAML",), "dataset:\n\tname: x\n"),
    Case("study-not-utf8", ("not UTF-8 text",), b"question: \xff\xfe caf\xe9\n"),
    Case("duplicate-yaml-key", ("line 3: key 'seeds' appears twice", "first on line 1"),
         "seeds: 2\nquestion: q\nseeds: 3\n"),
    Case("duplicate-nested-key", ("key 'lags' appears twice",),
         "task:\n  lags: 6\n  horizon: 2\n  lags: 12\n"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(hostile, case):
    hostile(case)


@pytest.mark.parametrize("name", ["synth.csv.gz", "synth.csv"])
def test_plain_csv_named_gz_and_gzip_named_csv_are_read(tmp_path, monkeypatch, capsys, name):
    """The format comes from the bytes, not the name: a plain CSV named .csv.gz (a traceback
    before) and a gzipped one named .csv are both read."""
    from conftest import tiny_study, write_study
    from tunelab.cli import main

    (tmp_path / "data").mkdir()
    body = GOOD.encode() if name.endswith(".gz") else gzip.compress(GOOD.encode())
    (tmp_path / "data" / name).write_bytes(body)
    write_study(tmp_path, "ok", tiny_study(dataset={"path": f"data/{name}"}))
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "ok"]) == 0, capsys.readouterr().err
    assert "valid" in capsys.readouterr().out
