"""What grew in each process of a `make soak --tracemalloc` run: for every process that wrote at
least two snapshots (tests/load/memprobe/sitecustomize.py), the traced Python memory and the live
objects by type at the first snapshot after the warm-up and at the last, and the allocation sites
that grew most in between.

    python -m tests.load.memprobe_report artifacts/soak/memprobe [--top 12]
"""

import argparse
import json
import re
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--skip", type=int, default=1, help="snapshots left out as the warm-up (the first N)")
    args = parser.parse_args()
    by_process = defaultdict(list)
    for path in sorted(args.folder.glob("*.snap")):
        match = re.fullmatch(r"(\w+)-(\d+)-(\d+)", path.stem)
        if match:
            by_process[(match[1], int(match[2]))].append(path)
    for (role, pid), paths in sorted(by_process.items()):
        if len(paths) < args.skip + 2:
            continue
        first, last = paths[args.skip], paths[-1]
        info = [json.loads(p.with_suffix(".types").read_text()) for p in (first, last)]
        minutes = (info[1]["t"] - info[0]["t"]) / 60
        traced = [i["traced"] / 2**20 for i in info]
        print(
            f"== {role} {pid}: snapshots {first.stem[-3:]}..{last.stem[-3:]} ({minutes:.1f} min): "
            f"traced {traced[0]:.1f} -> {traced[1]:.1f} MB"
        )
        types = info[1]["types"]
        grown = sorted(((types.get(k, 0) - v, k) for k, v in info[0]["types"].items()), reverse=True)
        grown += [(n, k) for k, n in types.items() if k not in info[0]["types"]]
        print("   objects grown:", ", ".join(f"{k} +{n}" for n, k in sorted(grown, reverse=True)[:8] if n > 0))
        diff = tracemalloc.Snapshot.load(str(last)).compare_to(tracemalloc.Snapshot.load(str(first)), "lineno")
        for stat in diff[: args.top]:
            if stat.size_diff <= 0:
                break
            frame = stat.traceback[0]
            print(f"   {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {frame.filename}:{frame.lineno}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
