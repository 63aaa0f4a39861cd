"""Generation benchmark (issue 4): time and peak memory to write large synthetic DEMs on the CPU.

Each size runs core.generate.generate_to_geotiff in a fresh Python process, which reports its wall time
and its peak resident memory (VmHWM from /proc/self/status). getrusage(RUSAGE_CHILDREN).ru_maxrss is not
used: Linux folds the forking parent's memory into it at exec, so it reports the parent's size.
Speed depends on the model's architecture, not on how long it was trained: without --model, the
realism benchmark's model in the work folder is used if there is one, else one is trained for a few steps.
Goals: 8192 x 8192 pixels in under 60 s and under 2 GB of peak memory.

    python bench/generation.py [--model model.pt] [--sizes 2048 4096 8192] [--quick]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import common

SIZES = (2048, 4096, 8192)
QUICK_SIZES = (512, 1024, 2048)
GOAL_SIZE, GOAL_SECONDS, GOAL_MB = 8192, 60.0, 2048.0
TINY_ITERATIONS = 10


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(model_path: str, size: int, output: str, seed: int) -> None:
    """Run in a fresh process: generate one raster and print a JSON line of measurements."""
    import torch

    from core.generate import generate_to_geotiff, load_model

    load_model(model_path, "cpu")  # imports and first-use costs out of the timing; generate_to_geotiff loads again
    baseline = peak_rss_mb()
    started = time.perf_counter()
    generate_to_geotiff(model_path, output, seed, size, size, device="cpu")
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb(), "baseline_mb": baseline,
                      "file_mb": os.path.getsize(output) / 2 ** 20, "threads": torch.get_num_threads()}))


def default_model(work_dir: str) -> str:
    """The realism benchmark's model when it is there and loads (run_all.py runs that first), else a quick one."""
    from core.generate import load_model
    from core.progress import Reporter
    from core.settings import TrainSettings
    from core.train import train

    path = os.path.join(work_dir, "realism_model.pt")
    if os.path.exists(path):
        try:
            load_model(path, "cpu")
            print(f"Using the realism benchmark's model {common.display_path(path)}.", flush=True)
            return path
        except ValueError as error:
            print(f"Not using {path}: {error}", flush=True)
    path = os.path.join(work_dir, "generation_model.pt")
    settings = TrainSettings(iterations=TINY_ITERATIONS, device="cpu")
    print(f"Training a model with the default architecture for {TINY_ITERATIONS} steps (speed does not depend on "
          f"training length) ...", flush=True)
    train([common.SAMPLE_DEM], path, settings, Reporter())
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/generation.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help=f"square raster sides in pixels (default {' '.join(map(str, SIZES))}; "
                             f"with --quick {' '.join(map(str, QUICK_SIZES))})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the generated GeoTIFFs (default: delete each)")
    parser.add_argument("--check-goals", action="store_true",
                        help=f"exit with status 1 when {GOAL_SIZE} px misses {GOAL_SECONDS:.0f} s or {GOAL_MB:.0f} MB")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--output", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.model, args.child, args.output, args.seed)
        return 0

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    os.makedirs(args.work_dir, exist_ok=True)
    load_before = common.load_average()
    model_path = args.model or default_model(args.work_dir)
    rows, results = [], []
    for size in sizes:
        output = os.path.join(args.work_dir, f"generation_{size}.tif")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(size), "--model", model_path,
                               "--output", output, "--seed", str(args.seed)], capture_output=True, text=True)
        process_seconds = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            print(f"Generating {size} x {size} px failed (exit {done.returncode}).", file=sys.stderr)
            return 1
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        measured["process_seconds"] = process_seconds
        measured["size"] = size
        results.append(measured)
        if not args.keep:
            for leftover in (output, output + ".aux.xml"):
                if os.path.exists(leftover):
                    os.remove(leftover)
        print(f"  {size} x {size}: {measured['seconds']:.1f} s, peak {measured['peak_mb']:.0f} MB", flush=True)

    first = results[0]
    header = ["size px", "seconds", "Mpixels/s", "peak MB", "of which before generating", "file MB",
              "time ratio", "area ratio", "time/area"]
    for r in results:
        area_ratio = (r["size"] / first["size"]) ** 2
        time_ratio = r["seconds"] / first["seconds"]
        rows.append([f"{r['size']} x {r['size']}", f"{r['seconds']:.1f}", f"{r['size'] ** 2 / r['seconds'] / 1e6:.2f}",
                     f"{r['peak_mb']:.0f}", f"{r['baseline_mb']:.0f}", f"{r['file_mb']:.0f}", f"{time_ratio:.2f}",
                     f"{area_ratio:.0f}", f"{time_ratio / area_ratio:.2f}"])
    print("\nGenerating square GeoTIFFs on the CPU (generate_to_geotiff, each size in a fresh process; time/area 1.00 "
          "= linear in area)")
    print(common.text_table(header, rows))
    goal = next((r for r in results if r["size"] == GOAL_SIZE), None)
    if goal:
        met = goal["seconds"] < GOAL_SECONDS and goal["peak_mb"] < GOAL_MB
        verdict = (f"Goal for {GOAL_SIZE} x {GOAL_SIZE} px (under {GOAL_SECONDS:.0f} s and {GOAL_MB:.0f} MB): "
                   f"{'met' if met else 'MISSED'} ({goal['seconds']:.1f} s, {goal['peak_mb']:.0f} MB peak).")
    else:
        met, verdict = True, f"The {GOAL_SIZE} px goal was not measured (sizes {', '.join(map(str, sizes))})."
    print(verdict)
    print(f"torch threads: {first['threads']}; model: {common.display_path(model_path)}.")

    default_settings = not args.quick and args.sizes is None
    if common.should_record(args, default_settings):
        model_note = f"model {common.display_path(model_path)}"
        common.append_results(f"""## Generation (issue 4), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; torch with {first['threads']} threads, code \
{common.code_version()}, {model_note}. Load average before {load_before}, after {common.load_average()} (a load \
near or above the core count means other work shared the CPU and the times are inflated).

{common.markdown_table(header, rows)}

{verdict} Seconds: the generate_to_geotiff call (model load, generation window by window, writing the tiled \
compressed GeoTIFF, statistics). Peak MB: VmHWM of the fresh process, imports and torch included (the column \
"before generating" is that peak after imports and a first model load).
""")
    return 1 if args.check_goals and not met else 0


if __name__ == "__main__":
    sys.exit(main())
