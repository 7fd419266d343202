"""Sampling the processes of a load run (tests/load/stack.py) from /proc: each one's resident memory,
with its children, and its open connections to PostgreSQL and Redis; and the growth of a series."""

import os
from pathlib import Path

from tests.load.stack import Stack


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _established(ports: set[int]) -> dict[str, int]:
    """inode -> remote port of every established TCP connection to one of `ports`."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and remote_port in ports:  # 01: ESTABLISHED
                found[fields[9]] = remote_port
    return found


def sample(stack: Stack, ports: dict[str, int]) -> dict:
    """{process role: {"rss_mb": total of the tree, "pids": n, "connections": {"postgresql": n, "redis": n},
    "rss_by_pid": {pid: MB}}}."""
    established = _established(set(ports.values()))
    by_port = {port: name for name, port in ports.items()}
    out = {}
    for role in ("web", "worker", "beat", "redis"):
        proc = stack.procs.get(role)
        if proc is None or proc.poll() is not None:
            continue
        pids = tree(proc.pid)
        counts = dict.fromkeys(ports, 0)
        for pid in pids:
            for inode in _socket_inodes(pid):
                if inode in established:
                    counts[by_port[established[inode]]] += 1
        each = {pid: round(rss_mb(pid), 1) for pid in pids}
        out[role] = {
            "rss_mb": round(sum(each.values()), 1),
            "pids": len(pids),
            "connections": counts,
            "rss_by_pid": each,
        }
    return out


def growth_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (minute, MB), as % of the mean per hour."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    if not var or not my:
        return None
    slope = sum((x - mx) * (y - my) for x, y in points) / var  # MB per minute
    return round(slope * 60 / my * 100, 2)
