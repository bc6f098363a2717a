"""FASTQ integrity checks: each corruption is caught with a message naming file and record."""

import gzip
import hashlib
import json

import pytest

from holobiont.pipeline.fastq import FastqError, check_pair, write_check


def test_valid_pair_counts(fastq_pair, tmp_path):
    r1, r2 = fastq_pair(n=37, length=100)
    stats = write_check(str(r1), str(r2), str(tmp_path / "c.json"))
    assert stats.read_pairs == 37
    assert stats.bases_r1 == stats.bases_r2 == 3700
    assert json.loads((tmp_path / "c.json").read_text())["read_pairs"] == 37
    # checksums of the raw (compressed) bytes, computed in the same pass
    assert stats.sha256_r1 == hashlib.sha256(r1.read_bytes()).hexdigest()
    assert stats.sha256_r2 == hashlib.sha256(r2.read_bytes()).hexdigest()


def test_plain_uncompressed_pair_accepted(fastq_pair):
    r1, r2 = fastq_pair(n=5, compress=False)
    stats = check_pair(r1, r2)
    assert stats.read_pairs == 5
    assert stats.sha256_r1 == hashlib.sha256(r1.read_bytes()).hexdigest()


def test_truncated_gzip(fastq_pair):
    r1, r2 = fastq_pair(n=2000)
    data = r1.read_bytes()
    r1.write_bytes(data[: len(data) // 2])
    with pytest.raises(FastqError, match="truncated or corrupt.*copy it again"):
        check_pair(r1, r2)


def test_corrupt_gzip_bytes(fastq_pair):
    r1, r2 = fastq_pair(n=2000)
    data = bytearray(r2.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 50] = b"\x00" * 50
    r2.write_bytes(bytes(data))
    with pytest.raises(
        FastqError, match=r"R2\.fastq\.gz: the compressed file is truncated or corrupt"
    ):
        check_pair(r1, r2)


def _rewrite(path, fn):
    with gzip.open(path, "rt") as fh:
        lines = fh.read().splitlines()
    lines = fn(lines)
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")


def test_record_without_plus_line(fastq_pair):
    r1, r2 = fastq_pair(n=10)
    _rewrite(r1, lambda ls: ls[:14] + ["-"] + ls[15:])  # record 4's third line
    with pytest.raises(FastqError, match=r"record 4 \(line 13\).*'\+'"):
        check_pair(r1, r2)


def test_quality_length_mismatch(fastq_pair):
    r1, r2 = fastq_pair(n=10)
    _rewrite(r2, lambda ls: ls[:7] + [ls[7][:-3]] + ls[8:])
    with pytest.raises(FastqError, match=r"record 2 .*150 bases but quality has 147"):
        check_pair(r1, r2)


def test_header_not_at(fastq_pair):
    r1, r2 = fastq_pair(n=10)
    _rewrite(r1, lambda ls: ls[:8] + ["garbage" + ls[8]] + ls[9:])
    with pytest.raises(FastqError, match=r"record 3 .*does not start with '@'"):
        check_pair(r1, r2)


def test_file_ends_mid_record(fastq_pair):
    r1, r2 = fastq_pair(n=10)
    _rewrite(r1, lambda ls: ls[:-2])
    with pytest.raises(FastqError, match="ends in the middle of a record"):
        check_pair(r1, r2)


def test_mates_differ_in_count(fastq_pair):
    r1, r2 = fastq_pair(n=10)
    _rewrite(r2, lambda ls: ls[:-4])
    with pytest.raises(FastqError, match=r"unpaired: .*R2\.fastq\.gz ends after 9 reads"):
        check_pair(r1, r2)


def test_mates_differ_in_names(fastq_pair):
    r1, r2 = fastq_pair(n=10)
    _rewrite(r2, lambda ls: ls[:20] + ["@other 2:N:0:ACGT"] + ls[21:])
    with pytest.raises(FastqError, match=r"unpaired at record 6.*'other'"):
        check_pair(r1, r2)


def test_slash_mate_suffixes_match(tmp_path):
    r1, r2 = tmp_path / "x_R1.fq", tmp_path / "x_R2.fq"
    r1.write_text("@read7/1\nACGT\n+\nFFFF\n")
    r2.write_text("@read7/2\nACGT\n+\nFFFF\n")
    assert check_pair(r1, r2).read_pairs == 1


def test_non_base_characters(tmp_path):
    r1, r2 = tmp_path / "x_R1.fq", tmp_path / "x_R2.fq"
    r1.write_text("@r\nAC1T\n+\nFFFF\n")
    r2.write_text("@r\nACGT\n+\nFFFF\n")
    with pytest.raises(FastqError, match="not bases"):
        check_pair(r1, r2)


def test_empty_files(tmp_path):
    r1, r2 = tmp_path / "e_R1.fastq.gz", tmp_path / "e_R2.fastq.gz"
    for p in (r1, r2):
        with gzip.open(p, "wb"):
            pass
    with pytest.raises(FastqError, match="contain no reads"):
        check_pair(r1, r2)


def test_gz_name_but_not_gzip(tmp_path):
    r1, r2 = tmp_path / "p_R1.fastq.gz", tmp_path / "p_R2.fastq.gz"
    r1.write_text("@r\nACGT\n+\nFFFF\n")
    r2.write_text("@r\nACGT\n+\nFFFF\n")
    with pytest.raises(FastqError, match="not gzip-compressed"):
        check_pair(r1, r2)


# ------------------------------------------------------------ encodings (issue 11, item 3)
def _recode(path, fn):
    text = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.write_bytes(
        gzip.compress(("\n".join(fn(i, x) for i, x in enumerate(text)) + "\n").encode())
    )


def test_phred64_qualities_are_refused(fastq_pair):
    r1, r2 = fastq_pair(n=30, length=50)
    rng = iter(range(10**6))

    def phred64(i, line):  # qualities Q2..Q40 shifted by 64: 'B'..'h'
        return "".join(chr(64 + 2 + (next(rng) % 39)) for _ in line) if i % 4 == 3 else line

    _recode(r2, phred64)
    with pytest.raises(FastqError, match=r"from 'B' to 'h'.*Phred\+64") as exc:
        check_pair(r1, r2)
    assert str(r2) in str(exc.value) and "seqtk seq -Q64 -V" in str(exc.value)


def test_high_phred33_qualities_pass(fastq_pair):
    r1, r2 = fastq_pair(n=30, length=50)  # all 'F' (Q37): above '@' but Phred+33
    _recode(r1, lambda i, x: ("#" + x[1:-1] + "J") if i % 4 == 3 else x)
    assert check_pair(r1, r2).read_pairs == 30


def test_lowercase_bases_are_refused(fastq_pair):
    r1, r2 = fastq_pair(n=30, length=50)
    _recode(r1, lambda i, x: x.lower() if i == 4 * 12 + 1 else x)
    with pytest.raises(FastqError, match=r"record 13 .*lowercase bases.*seqtk seq -U"):
        check_pair(r1, r2)


def test_read2_copy_of_read1_is_refused(fastq_pair):
    r1, r2 = fastq_pair(n=30)
    r2.write_bytes(r1.read_bytes())
    with pytest.raises(FastqError, match="hold the same bytes: read 2 is a copy of read 1"):
        check_pair(r1, r2)
    # same reads, headers relabelled as read 2 (an export of one mate under both names)
    _recode(r2, lambda i, x: x.replace(" 1:N", " 2:N") if i % 4 == 0 else x)
    with pytest.raises(FastqError, match="hold the same sequences"):
        check_pair(r1, r2)
