"""Sample sheet loading and validation.

The sample sheet (``config/samples.tsv``) has one row per sequencing unit (lane) of one library of
one patient. :func:`load_samples` reads it with explicit string dtypes, validates every row against
the JSON Schema in ``workflow/schemas/samples.schema.yaml`` and then runs the cross-row checks a
schema cannot express. All problems are collected and reported together, each naming the line of
the file, the column and what to do, so that a technician can fix the sheet in one pass.

The Snakefile calls :func:`load_samples` while it is parsed, so a bad sheet stops the run before
any job starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

#: Assays whose reads come from the patient's own DNA.
HOST_ASSAYS = ("host_wgs", "host_wes", "host_panel")
#: Assays whose reads come from a stool sample.
MICROBIOME_ASSAYS = ("16s", "shotgun")
ASSAYS = HOST_ASSAYS + MICROBIOME_ASSAYS
#: Columns with a fixed meaning; any other column is metadata.
RESERVED_PATIENT_ID = "cohort"  # results/reports/cohort.html
CORE_COLUMNS = (
    "patient_id",
    "sample_id",
    "assay",
    "unit",
    "fastq_1",
    "fastq_2",
    "pgx_outside_calls",
    "timepoint",
    "collection_date",
)
#: Optional column: PharmCAT outside-call TSV of the patient, on its host library's rows.
OUTSIDE_CALLS_COLUMN = "pgx_outside_calls"
DEFAULT_UNIT = "1"
#: Optional columns ordering a patient's stool samples (the first present one orders them).
TIMEPOINT_COLUMN, DATE_COLUMN = "timepoint", "collection_date"
TIME_COLUMNS = (TIMEPOINT_COLUMN, DATE_COLUMN)


@dataclass(frozen=True)
class SheetProblem:
    """One problem found in the sample sheet.

    Attributes
    ----------
    line : int or None
        1-based line number in the file (the header is line 1), or None for whole-sheet problems.
    column : str or None
        Column name the problem is in.
    message : str
        What is wrong and what to do about it.
    """

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


class SampleSheetError(ValueError):
    """The sample sheet is invalid; ``problems`` lists every :class:`SheetProblem` found."""

    def __init__(self, path: str | os.PathLike, problems: list[SheetProblem]):
        self.path = str(path)
        self.problems = problems
        lines = [f"Sample sheet {self.path} has {len(problems)} problem(s):"]
        lines += [f"  - {p}" for p in problems]
        lines.append("Nothing was run. Fix the sheet and start again.")
        super().__init__("\n".join(lines))


def _schema_message(err: jsonschema.ValidationError, value: object) -> str:
    """Turn a jsonschema error into a sentence a technician understands."""
    if err.validator == "enum":
        allowed = ", ".join(map(str, err.validator_value))
        return f"'{value}' is not a known assay; use one of: {allowed}."
    if err.validator == "pattern":
        if err.path and err.path[-1] == TIMEPOINT_COLUMN:
            return (
                f"timepoint '{value}' is not a number; give the collection time as a number "
                "in the study's unit (e.g. days since baseline: 0, 28, 56)."
            )
        if err.path and err.path[-1] == DATE_COLUMN:
            return f"collection_date '{value}' is not an ISO date; write it as YYYY-MM-DD."
        if err.path and err.path[-1] in ("fastq_1", "fastq_2"):
            return (
                f"'{value}' does not look like a FASTQ file name; it must end in .fastq.gz, "
                ".fq.gz, .fastq or .fq."
            )
        return (
            f"'{value}' is not safe in file names; use only letters, digits and '-', "
            "starting with a letter or digit (no spaces, '.', '_', '/' or accents)."
        )
    if err.validator == "maxLength":
        return f"'{value}' is longer than {err.validator_value} characters; use a shorter ID."
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        if missing == "fastq_2":
            return (
                "fastq_2 is empty; every assay is paired-end, so give the read-2 file of this "
                "unit (single-end data is not supported)."
            )
        return f"'{missing}' is empty; fill it in."
    return err.message


def _unquote(cell: str) -> str:
    """A cell without surrounding whitespace and the double quotes a spreadsheet export adds."""
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        cell = cell[1:-1].replace('""', '"').strip()
    return cell


def _read_table(path: Path) -> pd.DataFrame:
    """Read the TSV as strings, keeping each row's line number in the file.

    Blank lines and lines starting with ``#`` are skipped but counted, so every message names
    the line a text editor shows. ``df.attrs["lines"]`` holds the file line of each row and
    ``df.attrs["header_line"]`` that of the header. Export faults are reported as such: a
    duplicated or empty column name, rows with more fields than the header (a trailing tab)
    or fewer, text that is not UTF-8.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SampleSheetError(
            path, [SheetProblem(None, None, "the file does not exist.")]
        ) from None
    except IsADirectoryError:
        raise SampleSheetError(
            path, [SheetProblem(None, None, "is a directory; give the sample sheet file.")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SampleSheetError(
            path,
            [
                SheetProblem(
                    line,
                    None,
                    "the file is not UTF-8 text (a spreadsheet saved in another encoding?); "
                    "save it as 'UTF-8 tab-separated text'.",
                )
            ],
        ) from None
    rows: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append((number, line.split("\t")))
    if not rows:
        raise SampleSheetError(path, [SheetProblem(None, None, "the file is empty.")])
    (header_line, header), body = rows[0], rows[1:]
    if len(header) == 1 and "," in header[0]:
        raise SampleSheetError(
            path,
            [
                SheetProblem(
                    header_line,
                    None,
                    "the header has no tab but commas: the sheet is comma-separated; save it "
                    "as tab-separated text (.tsv).",
                )
            ],
        )
    columns = [_unquote(c) for c in header]
    problems: list[SheetProblem] = []
    while columns and columns[-1] == "":
        # a trailing tab on the header: harmless if the rows carry empty cells there too
        columns.pop()
    for i, name in enumerate(columns, start=1):
        if name == "":
            problems.append(
                SheetProblem(
                    header_line,
                    None,
                    f"column {i} of the header has no name; name it or delete the column.",
                )
            )
    for name in sorted(_duplicates(c for c in columns if c)):
        where = [str(i) for i, c in enumerate(columns, start=1) if c == name]
        problems.append(
            SheetProblem(
                header_line,
                name,
                f"the header names column '{name}' {len(where)} times (columns "
                f"{', '.join(where)}); each column name must be unique: rename or delete the "
                "extra one.",
            )
        )
    width = len(columns)
    cells: list[list[str]] = []
    lines: list[int] = []
    for number, fields in body:
        values = [_unquote(v) for v in fields]
        if len(values) > width:
            extra = values[width:]
            if all(v == "" for v in extra):
                problems.append(
                    SheetProblem(
                        number,
                        None,
                        f"the row has {len(values) - width} more tab(s) than the header, with "
                        "nothing after them: a trailing tab (common in spreadsheet exports). "
                        "Remove the tab(s) at the end of the line.",
                    )
                )
            else:
                problems.append(
                    SheetProblem(
                        number,
                        None,
                        f"the row has {len(values)} tab-separated fields but the header has "
                        f"{width}; a value contains a tab or the header lacks a column name.",
                    )
                )
            values = values[:width]
        elif len(values) < width:
            problems.append(
                SheetProblem(
                    number,
                    None,
                    f"the row has {len(values)} tab-separated fields but the header has "
                    f"{width} ({', '.join(columns[len(values) :])} missing); fill in every "
                    "column (leave a cell empty but keep its tab).",
                )
            )
            values = values + [""] * (width - len(values))
        cells.append(values)
        lines.append(number)
    if problems:
        raise SampleSheetError(path, problems)
    df = pd.DataFrame(cells, columns=columns, dtype=str)
    df.attrs["lines"] = lines
    df.attrs["header_line"] = header_line
    return df


def _duplicates(values: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    dups: set[str] = set()
    for v in values:
        (dups if v in seen else seen).add(v)
    return dups


def validate_samples(
    df: pd.DataFrame,
    schema: dict,
    *,
    base_dir: str | os.PathLike = ".",
    check_files: bool = True,
) -> list[SheetProblem]:
    """Check a sample sheet table and return every problem found.

    Parameters
    ----------
    df : pandas.DataFrame
        The sheet as read (all columns strings, empty cells as ``""``).
    schema : dict
        JSON Schema of one row (``workflow/schemas/samples.schema.yaml``).
    base_dir : path-like
        Directory that relative FASTQ paths are relative to.
    check_files : bool
        Also check that the FASTQ files exist and are readable.

    Returns
    -------
    list of SheetProblem
        Empty when the sheet is valid. Row problems carry the file line number (header = 1).

    Notes
    -----
    Cross-row checks: a unit listed twice, a sample_id under two patients or two assays, the
    same FASTQ file used twice, FASTQ files missing or unreadable, an empty sheet.
    """
    problems: list[SheetProblem] = []
    missing_cols = [
        c for c in ("patient_id", "sample_id", "assay", "fastq_1", "fastq_2") if c not in df.columns
    ]
    if missing_cols:
        problems.append(
            SheetProblem(
                df.attrs.get("header_line", 1),
                None,
                "missing column(s) " + ", ".join(missing_cols) + "; the header must have at "
                "least patient_id, sample_id, assay, fastq_1, fastq_2 (tab-separated).",
            )
        )
        return problems
    if len(df) == 0:
        return [SheetProblem(None, None, "the sheet has a header but no rows.")]

    line_numbers = df.attrs.get("lines") or list(range(2, len(df) + 2))
    validator = jsonschema.Draft202012Validator(schema)
    core = [c for c in CORE_COLUMNS if c in df.columns]
    for i, row in zip(line_numbers, df[core].to_dict("records"), strict=True):
        record = {k: v for k, v in row.items() if v != ""}
        for err in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
            column = err.path[-1] if err.path else None
            if err.validator == "required":
                column = err.message.split("'")[1] if "'" in err.message else None
            value = record.get(column) if column else None
            problems.append(SheetProblem(i, column, _schema_message(err, value)))

    lines = pd.Series(line_numbers, index=df.index)
    for i in lines[df["patient_id"].str.lower() == RESERVED_PATIENT_ID]:
        problems.append(
            SheetProblem(
                i,
                "patient_id",
                f"'{RESERVED_PATIENT_ID}' is reserved for the cohort report "
                "(results/reports/cohort.html); choose another patient ID.",
            )
        )
    units = df["unit"].where(df["unit"] != "", DEFAULT_UNIT) if "unit" in df.columns else None
    if units is None:
        units = pd.Series(DEFAULT_UNIT, index=df.index)
    key = df["sample_id"] + "\t" + units
    for dup in sorted(_duplicates(key)):
        rows = lines[key == dup].tolist()
        sample, unit = dup.split("\t")
        problems.append(
            SheetProblem(
                rows[-1],
                "unit",
                f"sample '{sample}' unit '{unit}' is listed on lines {', '.join(map(str, rows))}; "
                "give each lane of a sample its own unit name (e.g. L001, L002) or remove the "
                "duplicate row.",
            )
        )
    for col, what in (("patient_id", "patient"), ("assay", "assay")):
        per_sample = df.groupby("sample_id", sort=True)[col].unique()
        for sample, vals in per_sample.items():
            # Blank or unknown values were reported row by row already.
            vals = [v for v in vals if v != "" and (col != "assay" or v in ASSAYS)]
            if len(vals) > 1:
                rows = lines[df["sample_id"] == sample].tolist()
                problems.append(
                    SheetProblem(
                        rows[-1],
                        col,
                        f"sample '{sample}' is given {what}s {', '.join(sorted(vals))} on lines "
                        f"{', '.join(map(str, rows))}; a sample belongs to one {what} — use a new "
                        f"sample_id for each library.",
                    )
                )
    base = Path(base_dir)
    seen_files: dict[str, int] = {}
    for i, r1, r2 in zip(line_numbers, df["fastq_1"], df["fastq_2"], strict=True):
        for col, f in (("fastq_1", r1), ("fastq_2", r2)):
            if not f:
                continue
            p = Path(f) if os.path.isabs(f) else base / f
            resolved = str(p.resolve())
            if resolved in seen_files:
                problems.append(
                    SheetProblem(
                        i,
                        col,
                        f"file '{f}' is already used on line {seen_files[resolved]}; each FASTQ "
                        "file belongs to exactly one unit and read.",
                    )
                )
            else:
                seen_files[resolved] = i
            if not check_files:
                continue
            if not p.exists():
                problems.append(
                    SheetProblem(
                        i,
                        col,
                        f"file '{f}' does not exist; check the path (relative "
                        f"paths are relative to {base.resolve()}).",
                    )
                )
            elif not p.is_file() or not os.access(p, os.R_OK):
                problems.append(
                    SheetProblem(i, col, f"file '{f}' is not a readable file; check permissions.")
                )
        if r1 and r1 == r2:
            problems.append(
                SheetProblem(
                    i, "fastq_2", "fastq_2 is the same file as fastq_1; give the read-2 file."
                )
            )
    if OUTSIDE_CALLS_COLUMN in df.columns:
        problems += _outside_call_problems(df, line_numbers, base, check_files)
    problems += _timepoint_problems(df, line_numbers)
    return problems


def time_column(df: pd.DataFrame) -> str | None:
    """The column ordering a patient's stool samples: ``timepoint``, else ``collection_date``."""
    return next((c for c in TIME_COLUMNS if c in df.columns), None)


def _order_key(column: str, value: str):
    return float(value) if column == TIMEPOINT_COLUMN else value  # ISO dates sort as text


def _timepoint_problems(df, line_numbers) -> list[SheetProblem]:
    """Several stool samples of one patient and assay need distinct timepoints; the units of
    one sample share its timepoint; a collection date is a real date."""
    import datetime

    problems: list[SheetProblem] = []
    lines = pd.Series(line_numbers, index=df.index)
    if DATE_COLUMN in df.columns:
        for i, value in zip(line_numbers, df[DATE_COLUMN], strict=True):
            if value and len(value) == 10 and value[4] == value[7] == "-":
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    problems.append(
                        SheetProblem(
                            i,
                            DATE_COLUMN,
                            f"collection_date '{value}' is not a calendar date; check the "
                            "month and day (YYYY-MM-DD).",
                        )
                    )
    for col in TIME_COLUMNS:
        if col not in df.columns:
            continue
        for sample, vals in df.groupby("sample_id", sort=True)[col].unique().items():
            if len(vals) > 1:
                rows = lines[df["sample_id"] == sample].tolist()
                shown = ", ".join(f"'{v}'" for v in sorted(vals))
                problems.append(
                    SheetProblem(
                        rows[-1],
                        col,
                        f"sample '{sample}' is given {col} {shown} on lines "
                        f"{', '.join(map(str, rows))}; the units (lanes) of one sample share "
                        f"its {col}: give every row of the sample the same value, or use a new "
                        "sample_id for a stool sample collected at another time.",
                    )
                )
    column = time_column(df)
    stool = df[df["assay"].isin(MICROBIOME_ASSAYS)]
    for (patient, assay), rows in stool.groupby(["patient_id", "assay"], sort=True):
        first = rows.drop_duplicates("sample_id")
        if len(first) < 2:
            continue
        where = ", ".join(
            f"{s} (line {lines[k]})" for k, s in zip(first.index, first["sample_id"], strict=True)
        )
        if column is None:
            problems.append(
                SheetProblem(
                    int(lines[first.index[-1]]),
                    "sample_id",
                    f"patient '{patient}' has {len(first)} {assay} samples: {where}. Several "
                    "stool samples of one patient need a collection time: add a 'timepoint' "
                    "column (a number, e.g. days since baseline) or a 'collection_date' column "
                    "(YYYY-MM-DD) and fill it on these rows; or remove the extra library (lanes "
                    "of one library are units of one sample).",
                )
            )
            continue
        missing = [k for k in first.index if not df.at[k, column]]
        for k in missing:
            problems.append(
                SheetProblem(
                    int(lines[k]),
                    column,
                    f"patient '{patient}' has {len(first)} {assay} samples ({where}), and "
                    f"sample '{df.at[k, 'sample_id']}' has no {column}; fill in the {column} "
                    "of every one of them.",
                )
            )
        given = first.drop(index=missing)
        for value, same in given.groupby(column, sort=True):
            if len(same) > 1:
                dup = ", ".join(
                    f"{s} (line {lines[k]})"
                    for k, s in zip(same.index, same["sample_id"], strict=True)
                )
                problems.append(
                    SheetProblem(
                        int(lines[same.index[-1]]),
                        column,
                        f"patient '{patient}' has {len(same)} {assay} samples with {column} "
                        f"'{value}': {dup}; give each stool sample its own {column}, or remove "
                        "the repeated library (lanes of one library are units of one sample).",
                    )
                )
    return problems


def _outside_call_problems(df, line_numbers, base: Path, check_files: bool) -> list[SheetProblem]:
    """``pgx_outside_calls``: on host rows only, one file per sample, readable, well-formed."""
    from holobiont.pgx.outside import OutsideCallError, parse_outside_calls

    col = OUTSIDE_CALLS_COLUMN
    problems: list[SheetProblem] = []
    per_sample: dict[str, tuple[str, int]] = {}
    checked: set[str] = set()
    rows = zip(line_numbers, df["sample_id"], df["assay"], df[col], strict=True)
    for i, sample, assay, f in rows:
        if not f:
            continue
        if assay not in HOST_ASSAYS:
            problems.append(
                SheetProblem(
                    i,
                    col,
                    f"outside calls are read with the patient's host library; move '{f}' to "
                    f"the row of its host_wgs/host_wes/host_panel library (this is {assay}).",
                )
            )
            continue
        if sample in per_sample and per_sample[sample][0] != f:
            problems.append(
                SheetProblem(
                    i,
                    col,
                    f"sample '{sample}' gives two outside-call files ('{per_sample[sample][0]}' "
                    f"on line {per_sample[sample][1]}, '{f}' here); give one per patient.",
                )
            )
            continue
        per_sample.setdefault(sample, (f, i))
        if not check_files or f in checked:
            continue
        checked.add(f)
        p = Path(f) if os.path.isabs(f) else base / f
        if not p.is_file():
            problems.append(
                SheetProblem(
                    i,
                    col,
                    f"file '{f}' does not exist; check the path (relative paths are relative "
                    f"to {base.resolve()}).",
                )
            )
            continue
        try:
            parse_outside_calls(p)
        except OutsideCallError as e:
            problems.append(SheetProblem(i, col, str(e)))
    return problems


def load_samples(
    path: str | os.PathLike,
    schema_path: str | os.PathLike,
    *,
    base_dir: str | os.PathLike = ".",
    check_files: bool = True,
) -> pd.DataFrame:
    """Read and validate the sample sheet.

    Parameters
    ----------
    path : path-like
        The TSV sample sheet.
    schema_path : path-like
        JSON Schema (YAML) of one row.
    base_dir : path-like
        Directory that relative FASTQ paths are relative to.
    check_files : bool
        Check that FASTQ files exist and are readable.

    Returns
    -------
    pandas.DataFrame
        One row per unit, indexed by ``(sample_id, unit)``, all columns strings; ``unit``
        defaults to ``"1"``. Metadata columns are kept.

    Raises
    ------
    SampleSheetError
        Listing every problem with its line and column.
    """
    path = Path(path)
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    df = _read_table(path)
    problems = validate_samples(df, schema, base_dir=base_dir, check_files=check_files)
    if problems:
        raise SampleSheetError(path, problems)
    if "unit" not in df.columns:
        df["unit"] = DEFAULT_UNIT
    df["unit"] = df["unit"].where(df["unit"] != "", DEFAULT_UNIT)
    df = df.set_index(["sample_id", "unit"], drop=False).sort_index()
    df.index.names = ["sample_id_", "unit_"]
    return df


def stool_timepoints(df: pd.DataFrame) -> dict[str, dict]:
    """Stool sample -> ``{"timepoint", "collection_date", "order"}`` (``""`` / None when not
    given); ``order`` is the sort key of the ordering column (:func:`time_column`)."""
    column = time_column(df)
    out: dict[str, dict] = {}
    stool = df[df["assay"].isin(MICROBIOME_ASSAYS)].drop_duplicates("sample_id")
    for _, row in stool.iterrows():
        value = row[column] if column else ""
        out[row["sample_id"]] = {
            "timepoint": row.get(TIMEPOINT_COLUMN, "") or "",
            "collection_date": row.get(DATE_COLUMN, "") or "",
            "order": _order_key(column, value) if value else None,
        }
    return out


def latest_stool_samples(df: pd.DataFrame) -> dict[str, dict[str, str]]:
    """``{assay: {patient: sample}}``: the one stool sample per patient and assay that the
    reports and every cohort statistic use: the latest timepoint (the only sample when there
    is one). The sheet is valid (:func:`validate_samples`), so the timepoints are distinct."""
    times = stool_timepoints(df)
    out: dict[str, dict[str, str]] = {}
    stool = df[df["assay"].isin(MICROBIOME_ASSAYS)].drop_duplicates("sample_id")
    for (patient, assay), rows in stool.groupby(["patient_id", "assay"], sort=True):
        ids = list(rows["sample_id"])
        if len(ids) > 1:
            ids.sort(key=lambda s: times[s]["order"])
        out.setdefault(assay, {})[patient] = ids[-1]
    return out


def metadata_columns(df: pd.DataFrame) -> list[str]:
    """Names of the sheet's metadata columns (everything but the core columns)."""
    return [c for c in df.columns if c not in CORE_COLUMNS]


def check_workflow_needs(df: pd.DataFrame, config: dict) -> None:
    """Check what the sheet's assays need from the config and the sheet together.

    A patient has at most one host library (several lanes go under one sample as units); host
    libraries need ``references.host_fasta``; ``host_wes``/``host_panel`` need
    ``references.targets_bed``.

    Raises
    ------
    SampleSheetError
        Naming the rows or config keys to fix.
    """
    problems: list[SheetProblem] = []
    host = df[df["assay"].isin(HOST_ASSAYS)]
    per_patient = host.groupby("patient_id")["sample_id"].unique()
    for patient, ids in per_patient.items():
        if len(ids) > 1:
            problems.append(
                SheetProblem(
                    None,
                    "sample_id",
                    f"patient '{patient}' has several host libraries ({', '.join(sorted(ids))}); "
                    "give each patient one host sample and list extra lanes or runs as units "
                    "of it.",
                )
            )
    group_by = (config.get("report") or {}).get("group_by")
    meta = metadata_columns(df)
    if group_by and group_by not in meta:
        problems.append(
            SheetProblem(
                None,
                None,
                f"config report.group_by = '{group_by}' is not a column of the sample sheet "
                f"(its metadata columns: {', '.join(meta) or 'none'}); set report.group_by to "
                "one of them, or to null.",
            )
        )
    refs = config.get("references", {})
    needs = []
    if len(host):
        needs.append(("host_fasta", "host libraries"))
        needs.append(("pgx_catalog", "host libraries"))
    if host["assay"].isin(["host_wes", "host_panel"]).any():
        needs.append(("targets_bed", "host_wes/host_panel libraries"))
    if (df["assay"] == "16s").any():
        needs.append(("sintax_16s", "16s libraries"))
    for key, why in needs:
        value = refs.get(key)
        if key == "sintax_16s" and value in SINTAX_BUILT_IN:
            continue  # shipped (demo) or built by the pipeline on first use (greengenes_13_8)
        if not value:
            problems.append(
                SheetProblem(
                    None,
                    None,
                    f"config references.{key} is not set, but the sheet has "
                    f"{why}; set it in config/config.yaml.",
                )
            )
        elif not Path(value).exists():
            problems.append(
                SheetProblem(
                    None,
                    None,
                    f"config references.{key} = '{value}' does not exist "
                    "(relative paths are relative to the working directory).",
                )
            )
        elif key == "host_fasta":
            problems += [SheetProblem(None, None, m) for m in fasta_index_problems(value)]
    if problems:
        raise SampleSheetError("the sample sheet and config", problems)


#: Keywords of config references.sintax_16s that name a reference the pipeline provides.
SINTAX_BUILT_IN = ("demo", "greengenes_13_8")


def fasta_index_problems(fasta: str, key: str = "references.host_fasta") -> list[str]:
    """Why the pipeline could not index ``fasta`` where it lies ([] when it can, or need not).

    ``samtools faidx`` writes ``.fai`` (and ``.gzi`` for a bgzipped FASTA) beside the FASTA: a
    missing index in a folder the run cannot write stops the run here, not in a job. A FASTA
    compressed with plain gzip cannot be indexed at all.
    """
    path = Path(fasta)
    problems = []
    if path.is_dir():
        return [f"config {key} = '{fasta}' is a folder; give the FASTA file."]
    gzipped = False
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] == b"\x1f\x8b":
        gzipped = True
        # BGZF: gzip with the FEXTRA flag and a 'BC' subfield (SAM/BAM specification, 4.1)
        if not (head[3] & 4 and head[12:14] == b"BC"):
            return [
                f"config {key} = '{fasta}' is compressed with plain gzip, which samtools "
                f"cannot index; recompress it with bgzip (`zcat {fasta} | bgzip > "
                f"{path.with_suffix('').name}.bgz.fa.gz`) or decompress it, and point {key} "
                "at the new file."
            ]
    needed = [Path(f"{fasta}.fai")] + ([Path(f"{fasta}.gzi")] if gzipped else [])
    missing = [p for p in needed if not p.exists()]
    if missing and not os.access(path.parent, os.W_OK):
        problems.append(
            f"config {key} = '{fasta}' has no index ({', '.join(p.name for p in missing)}) and "
            f"its folder {path.parent.resolve()} is read-only, so the run cannot create it. "
            f"Index it once where you may write (`samtools faidx {fasta}`), or link the FASTA "
            f"into a writable folder (`ln -s {path.resolve()} refs/`) and point {key} there."
        )
    return problems
