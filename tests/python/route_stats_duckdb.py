"""Per-route requests, errors and p50/p95/p99 with DuckDB over the rows the
route_stats benchmark stored (a CSV of service, route, duration_ns, failed).

    python route_stats_duckdb.py ROWS.csv RUNS

Loads the rows into an in-memory table (untimed), then times the query RUNS
times and prints JSON: the median in ms, DuckDB's version and the rows.
"""

import json
import statistics
import sys
import time

import duckdb

QUERY = """
SELECT service, route, count(*) AS requests, sum(failed) AS errors,
       quantile_cont(duration_ns, [0.5, 0.95, 0.99]) AS q
FROM spans GROUP BY service, route
"""


def main():
    path, runs = sys.argv[1], int(sys.argv[2])
    con = duckdb.connect()
    con.execute(f"CREATE TABLE spans AS SELECT * FROM read_csv_auto('{path}')")
    times, rows = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rows = con.execute(QUERY).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "median_ms": statistics.median(times),
                "version": duckdb.__version__,
                "rows": [
                    {
                        "service": s,
                        "route": r,
                        "requests": n,
                        "errors": int(e),
                        "p50_ms": q[0] / 1e6,
                        "p95_ms": q[1] / 1e6,
                        "p99_ms": q[2] / 1e6,
                    }
                    for s, r, n, e, q in rows
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
