"""What the benchmarks share: the options run_all.py passes to every benchmark, machine facts, RESULTS.md."""

import argparse
import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
DEFAULT_WORK_DIR = os.path.join(ROOT, "build", "bench")  # build/ is ignored by git and removed by `make clean`
SAMPLE_DEM = os.path.join(ROOT, "resources", "jacksboro_dem.tif")
from geogan_qgis.paths import SAMPLE_MODEL  # noqa: E402,F401  (the plugin's default MODEL)


def common_options() -> argparse.ArgumentParser:
    """Options every benchmark accepts (a benchmark may ignore one that does not concern it)."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("options shared by all benchmarks (run_all.py passes them on)")
    group.add_argument("--quick", action="store_true",
                       help="a short check that everything runs: little training, smaller rasters; not recorded")
    group.add_argument("--iterations", type=int, default=None,
                       help="training iterations for benchmarks that train (default: the product's default)")
    group.add_argument("--model", default=None,
                       help="an existing GeoGAN model (.pt) to benchmark instead of training one")
    group.add_argument("--work-dir", default=DEFAULT_WORK_DIR,
                       help="folder for rasters and models the benchmarks write (default: build/bench)")
    group.add_argument("--record", action=argparse.BooleanOptionalAction, default=None,
                       help="append the results to bench/RESULTS.md (default: only for runs at default settings)")
    return parser


def should_record(args, default_settings: bool) -> bool:
    return args.record if args.record is not None else default_settings


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """CPU model and core count from /proc/cpuinfo, memory, and the load averages (other work on the machine)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cores = sum(1 for line in cpuinfo if line.startswith("processor"))
    except OSError:
        cores = os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f", {kb / 1024 ** 2:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu_model()}, {cores} cores{memory}, {platform.system()} {platform.release()}"


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1 / 5 / 15 min)"
    except OSError:
        return "unknown"


def code_version() -> str:
    """The commit the benchmark ran on, and whether core/ had uncommitted changes then."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "core"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}" + (" with uncommitted changes in core/" if dirty else "")


def now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def display_path(path: str) -> str:
    """A path relative to the repository when it lies inside it, else absolute."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def command_line() -> str:
    return " ".join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])


def append_results(markdown: str) -> None:
    """Append one section to bench/RESULTS.md (created with a heading the first time)."""
    new = not os.path.exists(RESULTS)
    with open(RESULTS, "a") as results:
        if new:
            results.write("# GeoGAN benchmark results\n\nAppended by `make bench` (bench/run_all.py); newest last.\n")
        results.write("\n" + markdown.rstrip() + "\n")
    print(f"Results appended to {os.path.relpath(RESULTS, ROOT)}")


def markdown_table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: list, rows: list) -> str:
    """A plain fixed-width table for the terminal: first column left-aligned, the others right-aligned."""
    cells = [list(map(str, header))] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for number, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
