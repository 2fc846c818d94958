"""Generated hostile input (issue 21): every key of the study schema mutated, every column of the
dataset corrupted, and each result run through `tunelab validate` (in-process, as the `hostile`
fixture does). Each case must end in exactly one line on stderr that names the study file and the
key or column, exit status 1, no traceback, and nothing written under results/ or data/prepared/.

Study mutations, generated from workflow/schemas/study.schema.yaml: wrong type, out of range
(below minimum, above maximum, at an exclusive minimum), wrong enum, float for int (2.5 and 3.0),
string for number, too short or too long, pattern broken, a required key missing, a key given twice;
plus every built-in hyperparameter out of its limits, and the rules only code can state (encoding,
device, rungs, kernel width, sbatch options, a study file in a subfolder). Dataset corruptions, for
each column: one text cell, all empty, constant, a duplicated header, the column missing; and
duplicated rows, mixed UTC offsets, a Parquet file with damaged data pages. Shuffled rows, one UTC
offset and constant features are accepted (features with a note) and must plan exactly as the
clean data does.

`python -m pytest -q -s tests/badinput/test_mutations.py` prints the count; on 2026-12-06:
"mutations: 398 cases generated, 398 refused as promised" (the number moves with the schema;
the same generator run on the code before issue 21 counted 399 cases, 345 refused as promised).
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import synthetic_frame, tiny_study
from hostile import snapshot
from tunelab.machine import gpu_visible
from tunelab.study import schema
from tunelab.study.checks import SLURM_OWN
from tunelab.study.limits import LIMITS

STUDY = "params/tiny.yaml"
# Sections tiny_study() leaves out, given their smallest valid content so a key inside can be mutated.
PARENTS = {("search", "then"): {"algorithm": "bayesian"}, ("search", "fidelity"): {"min_epochs": 1},
           ("fidelity",): {}, ("model",): {"factory": "my_models:build"},
           ("trainer",): {"command": "python train.py"}}
CURATED = {("hyperparameters",), ("baseline",), ("periods", "ranges")}  # shapes of their own: below


@dataclass
class Mutant:
    id: str
    expect: tuple[str, ...]  # substrings of the one line: the key or column, maybe the value
    study: dict | str  # the study file (a dict, or its text)
    data: object = None  # edit(frame) -> frame of the synthetic data, or None: the clean data
    name: str = "tiny"
    header: list[str] | None = None  # the CSV's header row, when the edit renames columns
    writer: object = None  # writer(workdir) of a data file of another kind
    extra: dict = field(default_factory=dict)


# --- the study file ------------------------------------------------------------------------------

def schema_keys(spec: dict, path: tuple = ()):
    """(dotted key, its schema, its parent's schema) for every key the schema names."""
    for name, sub in spec.get("properties", {}).items():
        key = (*path, name)
        if key in CURATED:
            continue
        yield key, sub, spec
        if "properties" in sub:
            yield from schema_keys(sub, key)


def bad_values(sub: dict) -> list[tuple[str, object]]:
    """Values that break `sub`, each with the kind of mutation."""
    kind = sub.get("type")
    out = {"integer": [("float-for-int", 2.5), ("int-as-float", float(sub.get("minimum", 1) + 1)),
                       ("string-for-number", "3"), ("wrong-type", [1])],
           "number": [("string-for-number", "1e-4"), ("wrong-type", [0.5])],
           "string": [("wrong-type", 7)], "boolean": [("wrong-type", "yes")],
           "array": [("wrong-type", "text")], "object": [("wrong-type", 5)]}.get(kind, [("wrong-type", 5)])
    if "enum" in sub:
        out.append(("wrong-enum", "bogus"))
    if "minimum" in sub:
        out.append(("below-minimum", sub["minimum"] - (1 if kind == "integer" else 0.5)))
    if "maximum" in sub:
        out.append(("above-maximum", sub["maximum"] + 1))
    if "exclusiveMinimum" in sub:
        out.append(("at-exclusive-minimum", sub["exclusiveMinimum"]))
    if sub.get("minLength", 0) >= 1:
        out.append(("too-short", "x" * (sub["minLength"] - 1)))
    if "maxLength" in sub:
        out.append(("too-long", "x" * (sub["maxLength"] + 1)))
    if "pattern" in sub:
        out.append(("pattern", "not a match!"))
    items = sub.get("items", {})
    if kind == "array" and items.get("type") == "string":
        out.append(("wrong-item", [7]))
    if kind == "array" and sub.get("minItems"):
        out.append(("too-few-items", []))
    return out


def put(study: dict, key: tuple, value=None, delete: bool = False) -> dict:
    """`study` with `key` set to `value` (or deleted); missing sections get their PARENTS content."""
    study = copy.deepcopy(study)
    node = study
    for i, part in enumerate(key[:-1]):
        if not isinstance(node.get(part), dict):
            node[part] = copy.deepcopy(PARENTS.get(key[: i + 1], {}))
        node = node[part]
    if delete:
        node.pop(key[-1], None)
    else:
        node[key[-1]] = value
    return study


def schema_mutants() -> list[Mutant]:
    base, out = tiny_study(), []
    for key, sub, parent in schema_keys(schema()):
        dotted = ".".join(key)
        for kind, value in bad_values(sub):
            out.append(Mutant(f"{dotted}:{kind}", (dotted,), put(base, key, value)))
        if key[-1] in parent.get("required", []):
            out.append(Mutant(f"{dotted}:missing", (dotted, "required key is missing"),
                              put(base, key, delete=True)))
    out.append(Mutant("architecture:missing", ("architecture", "required key is missing"),
                      put(base, ("architecture",), delete=True)))
    for top in base:  # a key given twice: YAML would keep the last one silently
        text = yaml.safe_dump(base, sort_keys=False) + yaml.safe_dump({top: base[top]}, sort_keys=False)
        out.append(Mutant(f"{top}:duplicated", (f"key {top!r} appears twice",), text))
    return out


def hyperparameter_mutants() -> list[Mutant]:
    """Every built-in hyperparameter out of its limits (fixed, as a feasible point, as a range's
    bound, in the baseline), and entries of the wrong shape."""
    base, out = tiny_study(), []
    conditions = {"momentum": {"optimizer": "sgd"}, "beta1": {"optimizer": "adam"},
                  "beta2": {"optimizer": "adam"}, "eps": {"optimizer": "adam"},
                  "step_size": {"schedule": "step"}, "decay_factor": {"schedule": "step"}}
    for name, (kind, low, high, low_open, _) in LIMITS.items():
        good = low + 1 if kind == "int" or high == float("inf") else (low + high) / 2
        arch = "cnn" if name in ("channels", "kernel_size") else "mlp"
        bad = low - 1 if kind == "int" or not low_open else -1.0
        study = put(put(base, ("architecture",), arch), ("hyperparameters", name), bad)
        if arch == "cnn":
            study["hyperparameters"].pop("hidden_size")
        for parent, value in conditions.get(name, {}).items():
            study["hyperparameters"][parent] = value
        key = f"hyperparameters.{name}"
        out.append(Mutant(f"{key}:out-of-limits", (key, "out of range"), study))
        out.append(Mutant(f"{key}:text", (key, "'abc' is text"), put(study, ("hyperparameters", name), "abc")))
        out.append(Mutant(f"baseline.{name}:out-of-limits", (f"baseline.{name}", "out of range"),
                          put({**study, "hyperparameters": {**study["hyperparameters"], name: good}},
                              ("baseline", name), bad)))
        if kind == "int":
            out.append(Mutant(f"{key}:fraction", (key, "2.5"), put(study, ("hyperparameters", name), 2.5)))
    hs = ("hyperparameters", "hidden_size")
    for kind, entry, words in [
        ("wrong-role", {"role": "bogus", "value": 8}, "hyperparameters.hidden_size"),
        ("wrong-scaling", {"role": "nuisance", "min": 4, "max": 8, "scaling": "cubic"}, "hyperparameters.hidden_size"),
        ("no-points", {"role": "nuisance", "feasible_points": []}, "hyperparameters.hidden_size"),
        ("value-and-range", {"role": "nuisance", "value": 8, "min": 4, "max": 8}, "hyperparameters.hidden_size"),
        ("unknown-field", {"role": "nuisance", "value": 8, "step": 2}, "hyperparameters.hidden_size"),
        ("range-reversed", {"role": "nuisance", "min": 16, "max": 4, "type": "int"}, "min 16 >= max 4"),
    ]:
        out.append(Mutant(f"hyperparameters.hidden_size:{kind}", (words,), put(base, hs, entry)))
    out.append(Mutant("baseline.unknown", ("baseline.kernel_size",), put(base, ("baseline", "kernel_size"), 3)))
    out.append(Mutant("hyperparameters:unknown", ("hyperparameters.colour",),
                      put(base, ("hyperparameters", "colour"), 3)))
    return out


def rule_mutants() -> list[Mutant]:
    """Rules the schema cannot state: each needs code (and, for the device, the machine)."""
    base = tiny_study()
    rungs = put(base, ("search", "fidelity"), {"min_epochs": 1, "brackets": 3, "eta": 2})
    rungs["hyperparameters"].update(epochs=8, hidden_size=8)
    per_value = put(base, ("search", "fidelity"), {"min_epochs": 1, "brackets": 2, "eta": 2})
    per_value["hyperparameters"].update(epochs=8)  # hidden_size scientific: 1 trial per value
    cnn = put(base, ("architecture",), "cnn")
    cnn["hyperparameters"] = {"kernel_size": 50, "epochs": 2, "learning_rate": 0.01,
                              "channels": {"role": "scientific", "feasible_points": [4, 8]}}
    out = [
        Mutant("dataset.encoding:unknown", ("dataset.encoding", "'klingon'"),
               put(base, ("dataset", "encoding"), "klingon")),
        Mutant("dataset.encoding:binary-codec", ("dataset.encoding", "'base64'"),
               put(base, ("dataset", "encoding"), "base64")),
        Mutant("search.fidelity.min_epochs:above-epochs", ("search.fidelity.min_epochs", "one rung"),
               put(base, ("search", "fidelity"), {"min_epochs": 5})),
        Mutant("search.fidelity.min_epochs:epochs-1", ("search.fidelity.min_epochs",),
               put(put(base, ("search", "fidelity"), {"min_epochs": 1}), ("hyperparameters", "epochs"), 1)),
        Mutant("search.fidelity.brackets:one-trial", ("search.fidelity.brackets", "1 trial(s)"), rungs),
        Mutant("search.fidelity.brackets:one-trial-per-value",
               ("search.fidelity.brackets", "1 trial(s) of hidden_size=", "brackets of its own"), per_value),
        Mutant("hyperparameters.kernel_size:above-lags", ("hyperparameters.kernel_size", "task.lags 6"), cnn),
        Mutant("search.then:nothing-to-search", ("search.then",),
               put(put(base, ("search", "then"), {"algorithm": "bayesian"}),
                   ("hyperparameters", "learning_rate"), 0.01)),
        Mutant("fidelity.train:longer-than-training", ("fidelity.train", "'12m'", "training window"),
               put(base, ("fidelity",), {"train": ["12m"]})),
        Mutant("study:subfolder", ("study files live directly in params/",), base, name="sub/tiny",
               extra={STUDY: base}),
    ]
    if not gpu_visible():
        out.append(Mutant("device:cuda-without-gpu", ("device: 'cuda'", "no GPU"), put(base, ("device",), "cuda")))
    for pattern in SLURM_OWN:
        for option in pattern.split("|"):
            extra = f"--mail-type=END {option}{'=x' if option.startswith('--') else ' x'}"
            out.append(Mutant(f"resources.slurm_extra:{option}", ("resources.slurm_extra", option),
                              put(base, ("resources", "slurm_extra"), extra)))
    return out


# --- the dataset ---------------------------------------------------------------------------------

COLUMNS = {"timestamp": "dataset.time", "load": "dataset.target", "lead": "dataset.features",
           "temp": "dataset.features", "wind": "dataset.categorical"}


def with_value(col, value, rows=slice(10, 11)):
    def edit(frame):
        frame = frame.astype({col: object})
        frame.iloc[rows, frame.columns.get_loc(col)] = value
        return frame
    return edit


def data_mutants() -> list[Mutant]:
    base, out = tiny_study(), []
    for col, key in COLUMNS.items():
        if key != "dataset.categorical":  # text is what a categorical column holds
            out.append(Mutant(f"{col}:text-cell", (key, repr(col), "data row 11"), base, with_value(col, "garbage")))
        out.append(Mutant(f"{col}:all-empty", (key, repr(col)), base, with_value(col, None, slice(None))))
        out.append(Mutant(f"{col}:duplicated-header", (key, repr(col), "appears 2 times"), base,
                          lambda f, c=col: f.assign(copy=f[c]), header=[*COLUMNS, col]))
        out.append(Mutant(f"{col}:missing", (key, repr(col), "is not in"), base, lambda f, c=col: f.drop(columns=c)))
    out += [
        Mutant("load:constant", ("dataset.target", "'load'", "constant"), base, with_value("load", 5.0, slice(None))),
        Mutant("timestamp:constant", ("dataset.duplicates",), base,
               with_value("timestamp", "2020-01-01 00:00:00", slice(None))),
        Mutant("rows:duplicated", ("dataset.duplicates", "1 duplicate timestamps"), base,
               lambda f: f.iloc[np.r_[0:20, 10, 20:len(f)]]),
        Mutant("timestamp:mixed-offsets", ("dataset.time", "mixes UTC offsets"), base,
               lambda f: f.assign(timestamp=f["timestamp"].astype(str)
                                  + np.where(np.arange(len(f)) < 2000, "+01:00", "+02:00"))),
        Mutant("parquet:damaged-pages", ("dataset.path", "not a readable Parquet file"),
               put(base, ("dataset", "path"), "data/synth.parquet"), writer=damaged_parquet),
    ]
    return out


def damaged_parquet(workdir: Path) -> None:
    """A Parquet file whose footer (the schema) reads but whose data pages do not."""
    path = workdir / "data" / "synth.parquet"
    synthetic_frame(months=6).to_parquet(path, compression=None)
    data = bytearray(path.read_bytes())
    for i in range(200, len(data) // 2, 7):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def all_mutants() -> list[Mutant]:
    return [*schema_mutants(), *hyperparameter_mutants(), *rule_mutants(), *data_mutants()]


# --- running them --------------------------------------------------------------------------------

def write(workdir: Path, m: Mutant, clean_csv: bytes) -> None:
    path = workdir / "params" / f"{m.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(m.study if isinstance(m.study, str) else yaml.safe_dump(m.study, sort_keys=False))
    for rel, content in m.extra.items():
        (workdir / rel).write_text(yaml.safe_dump(content, sort_keys=False))
    csv = workdir / "data" / "synth.csv"
    csv.parent.mkdir(exist_ok=True)
    if m.writer is not None:
        m.writer(workdir)
        return
    if m.data is None and m.header is None:
        if not csv.exists():
            csv.write_bytes(clean_csv)
        return
    frame = synthetic_frame(months=6)
    frame = m.data(frame) if m.data else frame
    if m.header:
        frame.columns = m.header
    frame.to_csv(csv, index=False)


def problem(m: Mutant, workdir: Path, clean_csv: bytes, capsys) -> str | None:
    """Why the refusal of `m` is not the promised one (None: it is)."""
    from tunelab.cli import main

    write(workdir, m, clean_csv)
    try:
        rc = main(["validate", m.name if m.name.isidentifier() else f"params/{m.name}.yaml"])
    except Exception as exc:  # noqa: BLE001 (a crash is what this counts, with the rest)
        capsys.readouterr()
        return f"{m.id}: Traceback: {type(exc).__name__}: {exc}"
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    missing = [w for w in (f"params/{m.name}.yaml", *m.expect) if w not in err]
    if rc == 0 or "Traceback" in err or len(lines) != 1 or missing or snapshot(workdir):
        return f"{m.id}: rc {rc}, {len(lines)} line(s), missing {missing}: {err.strip()[:300]}"
    return None


def test_every_generated_mutation_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("sys.argv", ["tunelab", "validate"])
    clean = synthetic_frame(months=6).to_csv(index=False).encode()
    mutants = all_mutants()
    assert len({m.id for m in mutants}) == len(mutants)
    failures = []
    shared = tmp_path / "shared"  # the clean data: profiled once, every study-only case reuses it
    for i, m in enumerate(mutants):
        alone = m.data is not None or m.header is not None or m.extra or m.writer is not None
        workdir = tmp_path / f"w{i}" if alone else shared
        workdir.mkdir(exist_ok=True)
        monkeypatch.chdir(workdir)
        failure = problem(m, workdir, clean, capsys)
        if failure:
            failures.append(failure)
        if workdir != shared:
            shutil.rmtree(workdir)
    with capsys.disabled():
        print(f"\nmutations: {len(mutants)} cases generated, {len(mutants) - len(failures)} refused as promised")
    assert not failures, f"{len(failures)} of {len(mutants)} not refused as promised:\n" + "\n".join(failures)
    assert len(mutants) > 250  # the generator still walks the whole schema


@pytest.mark.parametrize(("edit", "note"), [
    (lambda f: f.sample(frac=1, random_state=0), None),  # shuffled rows: sorted by time
    (lambda f: f.assign(timestamp=f["timestamp"].astype(str) + "+01:00"), None),  # one UTC offset
    (lambda f: f.assign(lead=1.0), "dataset.features: lead constant in data/synth.csv"),
    (lambda f: f.assign(lead=1.0, temp=0.0, wind="N"), "every feature is constant"),
], ids=["shuffled", "one-offset", "one-constant-feature", "every-feature-constant"])
def test_data_that_is_fine_plans_as_the_clean_data_does(tmp_path, monkeypatch, capsys, edit, note):
    from tunelab.cli import main

    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "tiny.yaml").write_text(yaml.safe_dump(tiny_study(), sort_keys=False))
    (tmp_path / "data").mkdir()
    synthetic_frame(months=6).to_csv(tmp_path / "data" / "synth.csv", index=False)
    assert main(["plan", "tiny"]) == 0
    clean = capsys.readouterr().out
    edit(synthetic_frame(months=6)).to_csv(tmp_path / "data" / "synth.csv", index=False)
    assert main(["plan", "tiny"]) == 0
    out = capsys.readouterr()
    assert out.out == clean
    assert (note in out.err) if note else "note:" not in out.err, out.err
