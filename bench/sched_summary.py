#!/usr/bin/env python3
"""What the two cores did during a `perf sched record -a`: each CPU's idle time, each thread
name's run time per CPU, and how long the bus's threads waited to run once woken (the
scheduling delay) — BENCHMARKS.md, twelfth pass.

    perf sched record -a -o sched.data -- sleep 2      # during a bench/b3_rerun.sh run
    perf sched timehist -i sched.data | bench/sched_summary.py [--prefix egov]
"""
import argparse
import collections
import statistics
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", default="egov", help="the threads whose waits are summed")
    args = parser.parse_args()
    run = collections.defaultdict(lambda: collections.defaultdict(float))  # name -> cpu -> ms
    delays = []
    first = last = None
    for line in sys.stdin:
        # time, [cpu], task[tid/pid], wait time, sch delay, run time (ms)
        fields = line.split()
        if len(fields) < 6 or not fields[1].startswith("["):
            continue
        try:
            when, delay, ran = float(fields[0]), float(fields[-2]), float(fields[-1])
        except ValueError:
            continue
        first = when if first is None else first
        last = when
        name = fields[2].split("[")[0]
        run[name][fields[1]] += ran
        if name.startswith(args.prefix):
            delays.append(delay)
    if first is None:
        sys.exit("no perf sched timehist lines on stdin")
    print(f"window: {(last - first) * 1000:.0f} ms")
    cpus = sorted({cpu for per_cpu in run.values() for cpu in per_cpu})
    window = (last - first) * 1000
    for cpu in cpus:
        # Idle as the time no task ran: this kernel gives no <idle> lines for some CPUs.
        busy = sum(per_cpu.get(cpu, 0.0) for name, per_cpu in run.items() if name != "<idle>")
        print(f"CPU {cpu}: tasks ran {busy:.0f} ms, idle {max(0.0, window - busy):.0f} ms")
    busiest = sorted(run.items(), key=lambda item: -sum(item[1].values()))
    for name, per_cpu in busiest[:10]:
        if name == "<idle>":
            continue
        print(f"{name}: " + ", ".join(f"{cpu} {ms:.0f} ms" for cpu, ms in sorted(per_cpu.items())))
    if delays:
        delays.sort()
        at = lambda q: delays[min(len(delays) - 1, int(len(delays) * q))]
        print(f"{args.prefix}* threads: {len(delays)} times switched in, waited {sum(delays):.0f} ms "
              f"in all once woken (median {statistics.median(delays):.3f} ms, p90 {at(0.9):.3f}, "
              f"p99 {at(0.99):.3f}, max {delays[-1]:.3f})")


if __name__ == "__main__":
    main()
