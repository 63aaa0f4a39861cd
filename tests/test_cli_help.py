"""The command lines explain themselves: every option says what it does and its default (issue 12)."""

import functools
import os
import re
import subprocess
import sys

import pytest

from core.settings import FillSettings, SuperResolutionSettings, TrainSettings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIRED_OPTIONS = {"--help", "--output"}  # nothing to default


@functools.lru_cache(maxsize=None)  # one --help run per command line (a few seconds each: torch loads)
def option_help(module: str) -> dict:
    """{long option name: its help text, lines joined} from `python -m <module> --help` (module may name a
    subcommand after a space: "core.train_conditional fill")."""
    done = subprocess.run([sys.executable, "-m", *module.split(), "--help"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100"}, timeout=120)
    assert done.returncode == 0, done.stderr
    options, current = {}, None
    for line in done.stdout.splitlines():
        if line.startswith("  -"):
            invocation, _, text = line.strip().partition("  ")
            current = re.findall(r"--[\w-]+", invocation)[-1]
            options[current] = text.strip()
        elif current and line.startswith("    "):
            options[current] = f"{options[current]} {line.strip()}".strip()
        else:
            current = None
    return options


@pytest.mark.parametrize("module", ["core.train", "core.generate", "core.train_conditional fill",
                                    "core.train_conditional superres", "core.fill_voids", "core.super_resolve"])
def test_every_option_says_what_it_does_and_its_default(module):
    options = option_help(module)
    assert {"--output", "--seed", "--device"} <= set(options)
    for name, text in options.items():
        assert len(text) > 15, f"{module} {name} has no help"
        if name not in REQUIRED_OPTIONS:
            assert "(default:" in text, f"{module} {name} does not say its default: {text!r}"


def test_training_defaults_shown_are_train_settings():
    options, defaults = option_help("core.train"), TrainSettings()
    for name, value in (("--band", defaults.band), ("--tile-size", defaults.tile_size),
                        ("--iterations", defaults.iterations), ("--batch-size", defaults.batch_size),
                        ("--device", defaults.device), ("--seed", defaults.seed)):
        assert f"(default: {value})" in options[name], (name, options[name])
    assert f"(default: {defaults.device})" in option_help("core.generate")["--device"]


@pytest.mark.parametrize("task, settings", [("fill", FillSettings()), ("superres", SuperResolutionSettings())])
def test_conditional_training_defaults_shown_are_their_settings(task, settings):
    options = option_help(f"core.train_conditional {task}")
    for name, value in (("--band", settings.band), ("--tile-size", settings.tile_size),
                        ("--iterations", settings.iterations), ("--batch-size", settings.batch_size),
                        ("--device", settings.device), ("--seed", settings.seed)):
        assert f"(default: {value})" in options[name], (name, options[name])
    if task == "superres":
        assert f"(default: {settings.factor})" in options["--factor"]
