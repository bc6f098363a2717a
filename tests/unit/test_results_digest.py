"""tools/results_digest.py: the digest that proves two runs wrote the same results."""

import hashlib
import subprocess
import sys

from conftest import ROOT

TOOL = ROOT / "tools" / "results_digest.py"


def digest(run):
    res = subprocess.run([sys.executable, str(TOOL), str(run)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


def test_every_result_is_hashed_and_run_metadata_is_named(tmp_path):
    (tmp_path / "results/16s").mkdir(parents=True)
    (tmp_path / "results/qc/multiqc").mkdir(parents=True)
    (tmp_path / "results/16s/table.tsv").write_text("a\t1\n")
    (tmp_path / "results/qc/multiqc/multiqc_report.html").write_text("<html>created now</html>")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs/x.log").write_text("not a result")
    lines = digest(tmp_path)
    hashed = [line for line in lines if not line.startswith("#")]
    expected = hashlib.sha256(b"a\t1\n").hexdigest()
    assert hashed == [f"{expected}  results/16s/table.tsv"]
    assert any("results/qc/multiqc/*" in line and "creation time" in line for line in lines)


def test_a_changed_byte_changes_the_digest(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results/r.json").write_text('{"x": 1}')
    before = digest(tmp_path)
    (tmp_path / "results/r.json").write_text('{"x": 2}')
    assert digest(tmp_path) != before


def test_a_folder_without_results_is_refused(tmp_path):
    res = subprocess.run([sys.executable, str(TOOL), str(tmp_path)], capture_output=True, text=True)
    assert res.returncode != 0 and "no results folder" in res.stderr
