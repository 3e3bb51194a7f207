#!/usr/bin/env python3
"""B3's product path with two or more binaries, alternating, on a folder kept by
`bench/bench.py --only b3 --keep` (BENCHMARKS.md, twelfth pass): each round runs
bench/b3_rerun.sh once per binary, in the order given; prints every run, then for each binary
the median wall and CPU seconds and its wall time divided by the first binary's of the same
round. The machine's speed drifts by a sixth within minutes here, so only ratios taken within
a round say which binary is faster.

    bench/b3_compare.py /tmp/egovbus-bench-XXXX OLD/egovbus build/egovbus [--rounds 6]
        [--service posizioni.carica-xslt]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
RUN = re.compile(r"(\d+) rows in ([\d.]+) s: \d+ rows/s, bus CPU ([\d.]+) s")


def rerun(folder, binary):
    """One bench/b3_rerun.sh run: (rows, wall seconds, CPU seconds)."""
    out = subprocess.run(["bash", os.path.join(BENCH, "b3_rerun.sh"), folder, binary],
                         capture_output=True, text=True, check=True).stdout
    match = RUN.search(out)
    if not match:
        raise RuntimeError(f"b3_rerun.sh printed no result:\n{out}")
    return int(match.group(1)), float(match.group(2)), float(match.group(3))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--service", help="the csv source's route instead of the kept one's")
    args = parser.parse_args()
    tenant = os.path.join(args.folder, "b3-bus0", "tenants", "072006-bari.yaml")
    kept = open(tenant).read()
    if args.service:
        with open(tenant, "w") as f:
            f.write(re.sub(r"^    service: .*$", f"    service: {args.service}", kept, flags=re.M))
    runs = {b: [] for b in args.binaries}
    try:
        for n in range(args.rounds):
            for binary in args.binaries:
                rows, wall, cpu = rerun(args.folder, binary)
                runs[binary].append((wall, cpu))
                print(f"round {n + 1} {binary}: {rows} rows in {wall:.2f} s, CPU {cpu:.2f} s", flush=True)
    finally:
        with open(tenant, "w") as f:
            f.write(kept)
    first = runs[args.binaries[0]]
    for binary, measured in runs.items():
        ratios = [w / f[0] for (w, _), f in zip(measured, first)]
        print(f"{binary}: wall median {statistics.median(w for w, _ in measured):.2f} s, "
              f"CPU median {statistics.median(c for _, c in measured):.2f} s, "
              f"wall / first binary's median {statistics.median(ratios):.3f} "
              f"({', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    sys.exit(main())
