"""Sample sheet validation: every bad sheet stops with its line, column and what to do."""

from pathlib import Path

import pytest

from conftest import ROOT, write_sheet
from holobiont.pipeline.sheet import SampleSheetError, load_samples, metadata_columns

SCHEMA = ROOT / "workflow" / "schemas" / "samples.schema.yaml"


@pytest.fixture
def files(tmp_path):
    """Six empty FASTQ files (the sheet only checks they exist and are readable)."""
    paths = {}
    for name in ("a", "b", "c"):
        for r in (1, 2):
            p = tmp_path / f"{name}_R{r}.fastq.gz"
            p.write_bytes(b"")
            paths[f"{name}{r}"] = str(p)
    return paths


def good_rows(f):
    return [
        {
            "patient_id": "P01",
            "sample_id": "P01-host",
            "assay": "host_wgs",
            "unit": "L001",
            "fastq_1": f["a1"],
            "fastq_2": f["a2"],
            "group": "A",
        },
        {
            "patient_id": "P01",
            "sample_id": "P01-host",
            "assay": "host_wgs",
            "unit": "L002",
            "fastq_1": f["b1"],
            "fastq_2": f["b2"],
            "group": "A",
        },
        {
            "patient_id": "P01",
            "sample_id": "P01-16S",
            "assay": "16s",
            "unit": "",
            "fastq_1": f["c1"],
            "fastq_2": f["c2"],
            "group": "A",
        },
    ]


def problems(tmp_path, rows, **kw):
    sheet = write_sheet(tmp_path / "samples.tsv", rows, extra_cols=("group",))
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA, **kw)
    return exc.value


def test_valid_sheet_loads_with_metadata_and_default_unit(tmp_path, files):
    sheet = write_sheet(tmp_path / "samples.tsv", good_rows(files), extra_cols=("group",))
    df = load_samples(sheet, SCHEMA)
    assert len(df) == 3
    assert df.loc[("P01-16S", "1"), "unit"] == "1"  # empty unit defaults to "1"
    assert metadata_columns(df) == ["group"]
    assert sorted(df.loc["P01-host", "unit"]) == ["L001", "L002"]


def test_unknown_assay_names_line_column_and_choices(tmp_path, files):
    rows = good_rows(files)
    rows[2]["assay"] = "16S-V4"
    err = problems(tmp_path, rows)
    (p,) = err.problems
    assert (p.line, p.column) == (4, "assay")
    assert "'16S-V4' is not a known assay" in p.message and "host_wgs" in p.message
    assert "line 4, column 'assay'" in str(err)


def test_duplicate_unit(tmp_path, files):
    rows = good_rows(files)
    rows[1]["unit"] = "L001"
    (p,) = problems(tmp_path, rows).problems
    assert (p.line, p.column) == (3, "unit")
    assert "listed on lines 2, 3" in p.message


def test_reserved_patient_id(tmp_path, files):
    rows = good_rows(files)
    for r in rows:
        r["patient_id"] = "Cohort"
    err = problems(tmp_path, rows)
    assert [(p.line, p.column) for p in err.problems] == [
        (2, "patient_id"),
        (3, "patient_id"),
        (4, "patient_id"),
    ]
    assert "reserved for the cohort report" in err.problems[0].message


def test_sample_under_two_patients(tmp_path, files):
    rows = good_rows(files)
    rows[1]["patient_id"] = "P02"
    (p,) = problems(tmp_path, rows).problems
    assert p.column == "patient_id" and p.line == 3
    assert "P01, P02" in p.message


def test_sample_under_two_assays(tmp_path, files):
    rows = good_rows(files)
    rows[1]["assay"] = "host_wes"
    (p,) = problems(tmp_path, rows).problems
    assert p.column == "assay" and "host_wes, host_wgs" in p.message


def test_missing_file_and_directory_instead_of_file(tmp_path, files):
    rows = good_rows(files)
    rows[0]["fastq_1"] = str(tmp_path / "nowhere_R1.fastq.gz")
    (tmp_path / "dir_R2.fastq.gz").mkdir()
    rows[0]["fastq_2"] = str(tmp_path / "dir_R2.fastq.gz")
    ps = problems(tmp_path, rows).problems
    assert [(p.line, p.column) for p in ps] == [(2, "fastq_1"), (2, "fastq_2")]
    assert "does not exist" in ps[0].message
    assert "not a readable file" in ps[1].message


def test_paired_assay_without_fastq_2(tmp_path, files):
    rows = good_rows(files)
    rows[2]["fastq_2"] = ""
    (p,) = problems(tmp_path, rows).problems
    assert (p.line, p.column) == (4, "fastq_2")
    assert "paired-end" in p.message


@pytest.mark.parametrize("bad", ["P 01", "P01/x", "../P01", "P01_a", "Pé01", ".hidden"])
def test_ids_unsafe_in_file_names(tmp_path, files, bad):
    rows = good_rows(files)
    rows[0]["patient_id"] = bad
    rows[1]["patient_id"] = bad
    rows[2]["patient_id"] = bad
    ps = problems(tmp_path, rows).problems
    assert {(p.line, p.column) for p in ps} == {
        (2, "patient_id"),
        (3, "patient_id"),
        (4, "patient_id"),
    }
    assert "not safe in file names" in ps[0].message


def test_same_file_used_twice(tmp_path, files):
    rows = good_rows(files)
    rows[1]["fastq_1"] = rows[0]["fastq_1"]
    (p,) = problems(tmp_path, rows).problems
    assert (p.line, p.column) == (3, "fastq_1") and "already used on line 2" in p.message


def test_not_a_fastq_name(tmp_path, files):
    rows = good_rows(files)
    rows[0]["fastq_1"] = files["a1"].replace(".fastq.gz", ".bam")
    ps = problems(tmp_path, rows, check_files=False).problems
    assert ps[0].column == "fastq_1" and "does not look like a FASTQ" in ps[0].message


def test_missing_column_and_empty_sheet(tmp_path):
    sheet = tmp_path / "s.tsv"
    sheet.write_text("patient_id\tsample_id\tfastq_1\n")
    with pytest.raises(SampleSheetError, match="missing column.*assay, fastq_2"):
        load_samples(sheet, SCHEMA)
    sheet.write_text("patient_id\tsample_id\tassay\tfastq_1\tfastq_2\n")
    with pytest.raises(SampleSheetError, match="no rows"):
        load_samples(sheet, SCHEMA)
    with pytest.raises(SampleSheetError, match="does not exist"):
        load_samples(tmp_path / "absent.tsv", SCHEMA)


def test_all_problems_reported_together(tmp_path, files):
    rows = good_rows(files)
    rows[0]["assay"] = "rnaseq"
    rows[2]["sample_id"] = "bad id"
    rows[2]["fastq_2"] = str(Path(files["c2"]).with_name("gone_R2.fastq.gz"))
    err = problems(tmp_path, rows)
    cols = sorted(p.column for p in err.problems)
    assert cols == ["assay", "fastq_2", "sample_id"]
    assert "Nothing was run" in str(err)


def test_relative_paths_resolve_against_base_dir(tmp_path, files):
    rows = good_rows(files)
    for r in rows:
        r["fastq_1"] = Path(r["fastq_1"]).name
        r["fastq_2"] = Path(r["fastq_2"]).name
    sheet = write_sheet(tmp_path / "samples.tsv", rows, extra_cols=("group",))
    assert len(load_samples(sheet, SCHEMA, base_dir=tmp_path)) == 3
    with pytest.raises(SampleSheetError, match="does not exist"):
        load_samples(sheet, SCHEMA, base_dir=tmp_path / "elsewhere")


# --------------------------------------------------------------- export faults (issue 11, item 8)
def _raw_sheet(tmp_path, files, lines):
    sheet = write_sheet(tmp_path / "samples.tsv", good_rows(files), extra_cols=("group",))
    header, *rows = sheet.read_text().splitlines()
    sheet.write_text("\n".join(lines(header, rows)) + "\n")
    return sheet


def test_blank_and_comment_lines_are_skipped_but_counted(tmp_path, files):
    def lines(header, rows):
        bad = rows[2].replace("\t16s\t", "\tmetagenome\t")
        return ["# exported 2026-12-01", header, "", rows[0], "# lane 2", rows[1], "", bad]

    err = _raw_sheet_error(tmp_path, files, lines)
    (p,) = err.problems
    assert (p.line, p.column) == (8, "assay")  # the line an editor shows, not the 4th row


def _raw_sheet_error(tmp_path, files, lines):
    sheet = _raw_sheet(tmp_path, files, lines)
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA)
    return exc.value


def test_comment_lines_load(tmp_path, files):
    sheet = _raw_sheet(tmp_path, files, lambda h, rows: ["# note", h, *rows, ""])
    df = load_samples(sheet, SCHEMA)
    assert len(df) == 3 and metadata_columns(df) == ["group"]


def test_trailing_tab_on_data_rows_is_named(tmp_path, files):
    err = _raw_sheet_error(tmp_path, files, lambda h, rows: [h, *(r + "\t" for r in rows)])
    assert [p.line for p in err.problems] == [2, 3, 4]
    assert "a trailing tab" in str(err.problems[0])
    assert "Remove the tab(s) at the end of the line" in str(err)


def test_duplicated_column_name_is_named(tmp_path, files):
    err = _raw_sheet_error(
        tmp_path, files, lambda h, rows: [h + "\tgroup", *(r + "\tB" for r in rows)]
    )
    (p,) = err.problems
    assert p.line == 1 and p.column == "group"
    assert "names column 'group' 2 times (columns 7, 8)" in p.message


def test_short_row_and_comma_separated_sheet(tmp_path, files):
    err = _raw_sheet_error(
        tmp_path, files, lambda h, rows: [h, rows[0], rows[1].rsplit("\t", 2)[0], rows[2]]
    )
    (p,) = err.problems
    assert p.line == 3 and "(fastq_2, group missing)" in p.message
    err = _raw_sheet_error(tmp_path, files, lambda h, rows: [h.replace("\t", ","), *rows])
    assert "comma-separated" in str(err)


def test_quoted_cells_and_bom_are_read(tmp_path, files):
    def lines(header, rows):
        quoted = "\t".join(f'"{c}"' for c in rows[0].split("\t"))
        return ["\ufeff" + header, quoted, *rows[1:]]

    df = load_samples(_raw_sheet(tmp_path, files, lines), SCHEMA)
    assert df.loc[("P01-host", "L001"), "patient_id"] == "P01"


# ------------------------------------------------------ references before the run (item 6)
def test_fasta_index_problems(tmp_path, monkeypatch):
    import gzip as gz
    import os
    import subprocess

    from holobiont.pipeline import sheet

    plain = tmp_path / "ref.fa.gz"
    plain.write_bytes(gz.compress(b">chr1\nACGT\n"))
    (msg,) = sheet.fasta_index_problems(str(plain))
    assert "plain gzip, which samtools cannot index" in msg and "bgzip" in msg
    fa = tmp_path / "ro" / "ref.fa"
    fa.parent.mkdir()
    fa.write_text(">chr1\nACGT\n")
    assert sheet.fasta_index_problems(str(fa)) == []  # writable: the run indexes it
    # a read-only mount (root passes a chmod, so the mount is emulated at os.access)
    real_access = os.access
    monkeypatch.setattr(
        sheet.os, "access", lambda p, m: False if Path(p) == fa.parent else real_access(p, m)
    )
    (msg,) = sheet.fasta_index_problems(str(fa))
    assert "has no index (ref.fa.fai)" in msg and "is read-only" in msg
    assert f"samtools faidx {fa}" in msg
    subprocess.run(["samtools", "faidx", str(fa)], check=True)
    assert sheet.fasta_index_problems(str(fa)) == []  # indexed: nothing to write


def test_group_by_must_be_a_sheet_column(tmp_path, files):
    from holobiont.pipeline.sheet import check_workflow_needs

    sheet = write_sheet(tmp_path / "samples.tsv", good_rows(files), extra_cols=("group",))
    df = load_samples(sheet, SCHEMA)
    with pytest.raises(SampleSheetError) as exc:
        check_workflow_needs(df, {"references": {"host_fasta": ""}, "report": {"group_by": "arm"}})
    assert "config report.group_by = 'arm' is not a column of the sample sheet" in str(exc.value)
    assert "(its metadata columns: group)" in str(exc.value)


def _with_outside(rows, values):
    for r, v in zip(rows, values, strict=True):
        r["pgx_outside_calls"] = v
    return rows


def test_outside_calls_column_is_core_and_checked(tmp_path, files):
    calls = tmp_path / "P01.outside.tsv"
    calls.write_text("CYP2D6\t*1/*4\n", encoding="utf-8")
    rows = _with_outside(good_rows(files), [str(calls), str(calls), ""])
    sheet = write_sheet(tmp_path / "ok.tsv", rows, extra_cols=("group", "pgx_outside_calls"))
    df = load_samples(sheet, SCHEMA)
    assert "pgx_outside_calls" not in metadata_columns(df)  # a path: never report metadata


@pytest.mark.parametrize(
    ("values", "content", "message"),
    [
        (["", "", "X"], "CYP2D6\t*1/*4\n", "line 4, column 'pgx_outside_calls': outside calls"),
        (["X", "Y", ""], "CYP2D6\t*1/*4\n", "gives two outside-call files"),
        (["missing", "", ""], None, "missing.tsv' does not exist"),
        (["X", "", ""], "CYP2D6\t*1/*4\nCYP2D6\t*4/*4\n", "line 2: CYP2D6 is given twice"),
    ],
)
def test_outside_calls_problems_name_line_and_fix(tmp_path, files, values, content, message):
    x, y = tmp_path / "x.tsv", tmp_path / "y.tsv"
    for p in (x, y):
        p.write_text(content or "", encoding="utf-8")
    named = {"X": str(x), "Y": str(y), "missing": str(tmp_path / "missing.tsv"), "": ""}
    rows = _with_outside(good_rows(files), [named[v] for v in values])
    sheet = write_sheet(tmp_path / "bad.tsv", rows, extra_cols=("group", "pgx_outside_calls"))
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA)
    assert message in str(exc.value)


# --- several stool samples of one patient: timepoints (issue 16, change over time)
@pytest.fixture
def stool_files(tmp_path):
    paths = {}
    for name in ("t0", "t1", "t2"):
        for r in (1, 2):
            p = tmp_path / f"{name}_R{r}.fastq.gz"
            p.write_bytes(b"")
            paths[f"{name}{r}"] = str(p)
    return paths


def stool_rows(f, times, column="timepoint"):
    return [
        {
            "patient_id": "P09",
            "sample_id": f"P09-16S-{name}",
            "assay": "16s",
            "unit": "L001",
            "fastq_1": f[f"{name}1"],
            "fastq_2": f[f"{name}2"],
            column: t,
        }
        for name, t in zip(("t0", "t1", "t2"), times, strict=True)
    ]


def test_timepoints_order_stool_samples_and_pick_the_latest(tmp_path, stool_files):
    from holobiont.pipeline.sheet import latest_stool_samples, stool_timepoints

    rows = stool_rows(stool_files, ["56", "0", "28"])
    sheet = write_sheet(tmp_path / "s.tsv", rows, extra_cols=("timepoint",))
    df = load_samples(sheet, SCHEMA)
    assert "timepoint" not in metadata_columns(df)  # per sample, never patient metadata
    # numeric order: 56 is the latest although "28" > "0" > ... as text would agree, "56" > "28"
    assert latest_stool_samples(df) == {"16s": {"P09": "P09-16S-t0"}}
    times = stool_timepoints(df)
    assert [times[s]["order"] for s in ("P09-16S-t0", "P09-16S-t1", "P09-16S-t2")] == [56, 0, 28]
    # numeric, not text order: 100 after 28
    rows = stool_rows(stool_files, ["100", "28", "9"])
    df = load_samples(write_sheet(tmp_path / "s2.tsv", rows, ("timepoint",)), SCHEMA)
    assert latest_stool_samples(df)["16s"]["P09"] == "P09-16S-t0"


def test_collection_date_orders_when_no_timepoint_column(tmp_path, stool_files):
    from holobiont.pipeline.sheet import latest_stool_samples

    rows = stool_rows(stool_files, ["2026-03-01", "2026-01-15", "2026-02-10"], "collection_date")
    sheet = write_sheet(tmp_path / "s.tsv", rows, extra_cols=("collection_date",))
    df = load_samples(sheet, SCHEMA)
    assert latest_stool_samples(df) == {"16s": {"P09": "P09-16S-t0"}}


def test_several_stool_samples_without_timepoint_column(tmp_path, stool_files):
    rows = stool_rows(stool_files, ["", "", ""])
    sheet = write_sheet(tmp_path / "s.tsv", rows)  # no timepoint column at all
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA)
    msg = str(exc.value)
    assert "patient 'P09' has 3 16s samples" in msg
    assert "P09-16S-t0 (line 2), P09-16S-t1 (line 3), P09-16S-t2 (line 4)" in msg
    assert "add a 'timepoint' column" in msg


def test_missing_and_duplicate_timepoints_name_rows(tmp_path, stool_files):
    rows = stool_rows(stool_files, ["0", "", "0"])
    sheet = write_sheet(tmp_path / "s.tsv", rows, extra_cols=("timepoint",))
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA)
    probs = [str(p) for p in exc.value.problems]
    assert len(probs) == 2, probs
    assert probs[0].startswith("line 3, column 'timepoint'")
    assert "sample 'P09-16S-t1' has no timepoint" in probs[0]
    assert probs[1].startswith("line 4, column 'timepoint'")
    assert "2 16s samples with timepoint '0': P09-16S-t0 (line 2), P09-16S-t2 (line 4)" in probs[1]
    assert "give each stool sample its own timepoint" in probs[1]


def test_bad_timepoint_and_date_values(tmp_path, stool_files):
    rows = stool_rows(stool_files, ["day 0", "28", "56"])
    rows[0]["collection_date"] = "2026-02-30"
    rows[1]["collection_date"] = "01/02/2026"
    sheet = write_sheet(tmp_path / "s.tsv", rows, extra_cols=("timepoint", "collection_date"))
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA)
    msg = str(exc.value)
    assert "line 2, column 'timepoint': timepoint 'day 0' is not a number" in msg
    assert (
        "line 3, column 'collection_date': collection_date '01/02/2026' is not an ISO date" in msg
    )
    assert "line 2, column 'collection_date': collection_date '2026-02-30' is not a calendar" in msg


def test_units_of_one_sample_share_its_timepoint(tmp_path, stool_files):
    rows = stool_rows(stool_files, ["0", "28", "56"])[:2]
    rows[1]["sample_id"] = rows[0]["sample_id"]
    rows[1]["unit"] = "L002"
    sheet = write_sheet(tmp_path / "s.tsv", rows, extra_cols=("timepoint",))
    with pytest.raises(SampleSheetError) as exc:
        load_samples(sheet, SCHEMA)
    assert "sample 'P09-16S-t0' is given timepoint '0', '28' on lines 2, 3" in str(exc.value)


def test_one_stool_sample_per_assay_needs_no_timepoint(tmp_path, files):
    df = load_samples(write_sheet(tmp_path / "s.tsv", good_rows(files), ("group",)), SCHEMA)
    from holobiont.pipeline.sheet import latest_stool_samples

    assert latest_stool_samples(df) == {"16s": {"P01": "P01-16S"}}
