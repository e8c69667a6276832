"""The contract's own cost: `fts_connector.validation.check_pages` on batches of reference-API records, in this process.

    python -m benchmarks.contract [--seconds S]

For each batch size (pages of 100 records), checks the same batch over and over for about S seconds (default 3)
and prints the milliseconds per batch and the microseconds per record. The connector checks the pages fetched
in batches of 4,000 records (`fts_connector.sync.BATCH_RECORDS`).
"""

import argparse
import sys
import time

from fts_connector.validation import check_pages
from tools.fts_api import generate_record

BATCH_SIZES = (100, 1000, 4000)
PAGE_SIZE = 100


def seconds_per_batch(pages: list, budget: float) -> float:
    check_pages(pages)  # warm-up: pandera builds its backends on first use
    runs, began = 0, time.perf_counter()
    while time.perf_counter() - began < budget:
        check_pages(pages)
        runs += 1
    return (time.perf_counter() - began) / runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contract", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each batch size (default 3)")
    args = parser.parse_args(argv)
    records = [generate_record(42, i) for i in range(max(BATCH_SIZES))]
    print("| records per batch | ms per batch | µs per record |")
    print("|---:|---:|---:|")
    for size in BATCH_SIZES:
        pages = [records[start:start + PAGE_SIZE] for start in range(0, size, PAGE_SIZE)]
        seconds = seconds_per_batch(pages, args.seconds)
        print(f"| {size:,} | {seconds * 1000:.1f} | {seconds / size * 1e6:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
