"""The default study's report, in fast mode (one period, short training): the truth checks
(tunelab.report.truth) find nothing its own files contradict (issue 22: the same checks on the
default study). The full default study is the README's run; fast mode keeps this test cheap."""

import shutil

import pytest
from conftest import REPO, snakemake
from tunelab.report.truth import findings

pytestmark = pytest.mark.e2e


def test_the_default_study_report_agrees_with_its_files(tmp_path):
    (tmp_path / "params").mkdir()
    study = (REPO / "params" / "default.yaml").read_text()
    (tmp_path / "params" / "default.yaml").write_text(study + "\nfast: true\n")  # the study's own key
    (tmp_path / "data" / "raw").mkdir(parents=True)
    shutil.copy(REPO / "data" / "raw" / "beijing_pm25.csv.gz", tmp_path / "data" / "raw")
    snakemake(tmp_path, study="default")
    out = tmp_path / "results" / "default-fast"
    assert (out / "report.md").exists()
    assert findings(out) == []
