"""Write the small Parquet files of the golden diagnostics (tests/golden/diagnostics/E*-*.parquet) with DuckDB.

Each file is defined here, as a query or as bytes, so that a binary in the repository is always the output of a
script anyone can read; tests/test_parquet.py checks that the files committed hold what these definitions give.
Run from the repository root: `python scripts/golden_parquet.py`.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "tests" / "golden" / "diagnostics"

# stem -> the query whose rows the file holds
QUERIES = {
    "E318-parquet-bad-row": "SELECT * FROM (VALUES ('Redcar & Cleveland', 'robbery', '2005/06', 75), "
                            "('Redcar & Cleveland', 'Robbery', '2006/07', 76)) AS t(area, indicator, period, value)",
    "E319-parquet-column-type": "SELECT 'Redcar & Cleveland' AS area, 'robbery' AS indicator, "
                                "DATE '2006-04-01' AS period, 75 AS value",
    "E707-parquet-columns": "SELECT 'Redcar & Cleveland' AS area, 'robbery' AS indicator, '2006/07' AS period, "
                            "76 AS value, NULL::VARCHAR AS note",
}
# stem -> the file's bytes: not Parquet (a CSV file), and damaged (the magic bytes around nothing readable)
BYTES = {
    "E316-not-parquet": b"area,indicator,period,value\nRedcar & Cleveland,robbery,2005/06,75\n",
    "E317-damaged-parquet": b"PAR1" + b"\x15\x00" * 8 + b"PAR1",
}


def write(folder: Path = FOLDER) -> list[Path]:
    """Write every file into `folder`; return their paths."""
    import duckdb

    written = []
    with duckdb.connect() as connection:
        for stem, query in QUERIES.items():
            path = folder / f"{stem}.parquet"
            connection.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
            written.append(path)
    for stem, data in BYTES.items():
        path = folder / f"{stem}.parquet"
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
