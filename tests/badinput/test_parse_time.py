"""The same refusals at Snakemake's parse time: a handful of hostile cases of each kind through a
real `snakemake -n` and a real `snakemake`: exit 1, one line naming file and key, nothing written
under results/ or data/prepared/ (Snakemake's own .snakemake/ aside)."""

import pytest
import test_files
import test_sizes_names
import test_times
import test_types
from conftest import snakemake
from hostile import assert_refused, setup_case, snapshot

pytestmark = pytest.mark.e2e


def pick(module, *ids):
    return [c for c in module.CASES if c.id in ids]


DRY = [
    *pick(test_types, "seeds-float", "int-key-and-typo"),
    *pick(test_times, "duplicates", "day-first-text", "range-feb-30", "empty-time-cell"),
    *pick(test_files, "duplicate-yaml-key", "feature-text", "binary-file"),
    *pick(test_sizes_names, "gap-skips-a-candidate", "dataset-name-other-path", "max-runs",
          "study-name-space"),
]
REAL = pick(test_times, "duplicates") + pick(test_sizes_names, "horizon-longer-than-window")


def refused_by_snakemake(tmp_path, monkeypatch, case, *args):
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    setup_case(workdir, case)
    before = snapshot(workdir)
    proc = snakemake(workdir, *args, study=case.name, check=False, cores=1)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert snapshot(workdir) == before == {}
    lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("Using workflow specific profile")]
    message = "\n".join(lines).strip()  # all Snakemake prints besides its profile line
    assert message.startswith("tunelab: invalid study: "), message
    assert_refused(message, case, f"params/{case.name}.yaml")


@pytest.mark.parametrize("case", DRY, ids=str)
def test_dry_run_refuses(tmp_path, monkeypatch, case):
    refused_by_snakemake(tmp_path, monkeypatch, case, "-n")


@pytest.mark.parametrize("case", REAL, ids=str)
def test_real_run_refuses_before_writing(tmp_path, monkeypatch, case):
    refused_by_snakemake(tmp_path, monkeypatch, case)


MUTANTS = ["dataset.encoding:unknown", "search.fidelity.min_epochs:above-epochs", "study:subfolder",
           "load:all-empty", "resources.slurm_extra:--qos", "search.then:nothing-to-search"]


def mutant(ident):
    import test_mutations

    return next(m for m in test_mutations.all_mutants() if m.id == ident)


@pytest.mark.parametrize(("ident", "dry"), [
    *[(ident, True) for ident in [*MUTANTS, "device:cuda-without-gpu"]],
    ("device:cuda-without-gpu", False), ("load:all-empty", False),  # a real run: nothing starts
])
def test_generated_refusals_stop_snakemake_too(tmp_path, monkeypatch, ident, dry):
    """Issue 21's classes through the real Snakemake: the same one line before anything is written
    (a cuda study on a machine without a GPU started training jobs before)."""
    import test_mutations
    from conftest import synthetic_frame
    from tunelab.machine import gpu_visible

    if ident.startswith("device") and gpu_visible():
        pytest.skip("this machine has a GPU")
    m = mutant(ident)
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TUNELAB_GPU_CHECK", raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    test_mutations.write(workdir, m, synthetic_frame(months=6).to_csv(index=False).encode())
    proc = snakemake(workdir, *(["-n"] if dry else []), study=m.name, check=False, cores=1)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()
             and not ln.startswith("Using workflow specific profile")]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith(f"tunelab: invalid study: params/{m.name}.yaml: "), lines[0]
    assert all(word in lines[0] for word in m.expect), lines[0]
    assert snapshot(workdir) == {}
