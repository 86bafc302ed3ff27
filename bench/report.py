"""The results: a table on stdout, JSON files, and a PNG chart (matplotlib, installed on
demand into the venv when missing)."""

from __future__ import annotations

import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

Row = dict[str, Any]


# -- machine ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "nproc": int(nproc) if nproc.isdigit() else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": mem_gib,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": _versions(["uvicorn", "uvloop", "httptools", "fastapi", "orjson", "asyncpg"]),
    }


def _versions(names: list[str]) -> dict[str, str | None]:
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


# -- table -----------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _met(row: Row) -> str:
    if row.get("error"):
        return "ERROR"
    met = row.get("met")
    return "-" if met is None else ("yes" if met else "NO")


def table(rows: list[Row]) -> str:
    header = ["scenario", "req/s", "p50 ms", "p99 ms", "% limit", "target", "measured", "met?"]
    lines = [header]
    for row in rows:
        share = row.get("share_of_limit")
        lines.append(
            [
                row["title"],
                _num(row.get("rps")),
                _num(row.get("p50_ms"), 2),
                _num(row.get("p99_ms"), 2),
                "-" if share is None else f"{share * 100:.0f}%",
                row.get("target") or "-",
                row.get("measured") or "-",
                _met(row),
            ]
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [
            str(cell).ljust(widths[i]) if i in (0, 5, 6) else str(cell).rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [f"  {row['title']}: {row['note']}" for row in rows if row.get("note")]
    errors = [f"  {row['title']}: {row['error']}" for row in rows if row.get("error")]
    if notes:
        out += ["", "notes:", *notes]
    if errors:
        out += ["", "errors:", *errors]
    return "\n".join(out)


# -- files -----------------------------------------------------------------------------


def write_json(document: dict[str, Any], stamp: str, *, latest: bool = True) -> list[Path]:
    """<stamp>.json, and latest.json too for a complete run (not for a BENCH_ONLY subset)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, default=str) + "\n"
    paths = [RESULTS / f"{stamp}.json"] + ([RESULTS / "latest.json"] if latest else [])
    for path in paths:
        path.write_text(text)
    return paths


def ensure_matplotlib() -> bool:
    """Import matplotlib, installing it into this venv with uv when it is missing (it is no
    dependency of the project, so `uv sync` removes it again). The venv's uv, else the
    Makefile's (.tools/bin/uv), else one on PATH, else uv installed with pip first. False,
    with a message, when none of that works: the run still counts, without its chart."""
    try:
        importlib.import_module("matplotlib")
        return True
    except ImportError:
        pass
    bindir = Path(sys.executable).parent
    candidates = (bindir / "uv", ROOT / ".tools" / "bin" / "uv", shutil.which("uv"))
    uv = next((str(p) for p in candidates if p and Path(p).exists()), None)
    try:
        if uv is None:
            print("matplotlib missing: installing uv into the venv first", flush=True)
            has_pip = subprocess.run(
                [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
            )
            if has_pip.returncode != 0:
                subprocess.run([sys.executable, "-m", "ensurepip"], check=True, capture_output=True)
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "uv"], check=True)
            uv = str(bindir / "uv")
        print("matplotlib missing: uv pip install matplotlib (into the venv)", flush=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", sys.executable, "matplotlib"], check=True
        )
        importlib.invalidate_caches()
        importlib.import_module("matplotlib")
        return True
    except (subprocess.CalledProcessError, OSError, ImportError) as error:
        print(f"no PNG: matplotlib could not be installed ({error})", file=sys.stderr)
        return False


def _label(row: Row) -> str:
    """A row's name on the chart; * marks a run during which the machine was busy."""
    busy = row.get("note") and "machine busy" in row["note"]
    return row["title"] + (" *" if busy else "")


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: f"{value:,.0f}")


def write_png(document: dict[str, Any], stamp: str, *, latest: bool = True) -> Path | None:
    if os.environ.get("BENCH_PNG", "1") == "0" or not ensure_matplotlib():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows: list[Row] = [r for r in document["scenarios"] if not r.get("error")]
    saturating = [r for r in rows if r.get("kind") == "http" and r.get("rps")]
    latency = [r for r in rows if r.get("kind") in ("http", "paced") and r.get("p99_ms")]
    batch = [r for r in rows if r.get("kind") == "batch"]

    fig = plt.figure(figsize=(14, 9), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[3, 1.4])
    ax_rps = fig.add_subplot(grid[0, 0])
    ax_lat = fig.add_subplot(grid[0, 1])
    ax_batch = fig.add_subplot(grid[1, :])

    names = [_label(r) for r in saturating][::-1]
    values = [r["rps"] for r in saturating][::-1]
    colours = ["#888888" if r["key"] == "limit" else "#1f77b4" for r in saturating][::-1]
    bars = ax_rps.barh(names, values, color=colours)
    for bar, row in zip(bars, saturating[::-1], strict=True):
        share = row.get("share_of_limit")
        label = f" {row['rps']:,.0f}" + (f"  ({share * 100:.0f}%)" if share is not None else "")
        ax_rps.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, label, va="center")
    ax_rps.set_xlabel("requests/s (share of the limit)")
    ax_rps.set_title("Throughput, saturated (wrk)")
    ax_rps.set_xlim(0, max(values or [1]) * 1.35)
    ax_rps.xaxis.set_major_formatter(_thousands())

    lat_names = [_label(r) for r in latency][::-1]
    y = range(len(lat_names))
    ax_lat.barh([i + 0.2 for i in y], [r["p50_ms"] for r in latency][::-1], 0.4, label="p50")
    ax_lat.barh([i - 0.2 for i in y], [r["p99_ms"] for r in latency][::-1], 0.4, label="p99")
    ax_lat.set_yticks(list(y), lat_names)
    ax_lat.set_xlabel("latency, ms")
    ax_lat.set_title("Latency (paced rows: at half the saturating rate)")
    ax_lat.legend(loc="lower right")

    if batch:
        batch = batch[::-1]
        b_names = [r["title"] for r in batch]
        b_values = [r["checks_per_s"] for r in batch]
        ax_batch.barh(b_names, b_values, color="#2ca02c")
        for i, value in enumerate(b_values):
            ax_batch.text(value, i, f" {value:,.0f} checks/s", va="center")
        target = batch[0].get("target_value")
        if target:
            ax_batch.axvline(target, color="red", linestyle="--", label=f"target {target:,.0f}/s")
            ax_batch.legend(loc="lower right")
        ax_batch.set_xlim(0, max([*b_values, target or 0]) * 1.3)
        ax_batch.xaxis.set_major_formatter(_thousands())
        ax_batch.set_xlabel("customer checks per second, end to end (POST /contact-checks)")
    ratio = next((r for r in rows if r.get("key") == "scale_ratio"), None)
    title = "Batch checks"
    if ratio:
        title += f"  |  scale: rps 10k / rps 1M = {ratio['measured']} (target {ratio['target']})"
    ax_batch.set_title(title)

    if any(_label(r).endswith(" *") for r in rows):
        fig.text(0.01, 0.005, "* other processes were busy on the machine during that run")
    m = document["machine"]
    fig.suptitle(
        f"contact-restrictions bench {document['timestamp']} - {m['nproc']} cores "
        f"{m['cpu_model']}, Python {m['python']}, wrk -t{document['config']['threads']} "
        f"-c{document['config']['connections']} -d{document['config']['duration_s']}s"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp}.png"
    fig.savefig(path, dpi=100)
    if latest:
        path = RESULTS / "latest.png"
        fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str]) -> None:
    """`python -m bench.report [results.json]`: print the table of a run again and redraw
    latest.png from it (default: latest.json)."""
    path = Path(argv[0]) if argv else RESULTS / "latest.json"
    document = json.loads(path.read_text())
    print(table(document["scenarios"]))
    png = write_png(document, document["timestamp"])
    if png:
        print(f"wrote {png}")


if __name__ == "__main__":
    main(sys.argv[1:])
