"""Training under torchrun: two CPU processes (gloo) train one model that the plugin then uses."""

import os
import subprocess
import sys

import processing
from osgeo import gdal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_two_processes_train_one_model_the_plugin_can_use(geogan_plugin, sample_dem, tmp_path):
    model = tmp_path / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "core.train", sample_dem, "--output", str(model),
               "--tile-size", "32", "--iterations", "6", "--batch-size", "4", "--device", "cpu"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "2 processes trained in step; their generators are identical." in run.stdout
    assert run.stdout.count("model written to") == 1  # rank 0 alone writes

    import torch

    checkpoint = torch.load(model, weights_only=True)
    assert checkpoint["processes"] == 2 and checkpoint["iterations_done"] == 6

    output = tmp_path / "from_ddp.tif"
    processing.run("geogan:generatedem", {"MODEL": str(model), "WIDTH": 80, "HEIGHT": 64, "SEED": 1, "DEVICE": 1,
                                          "OUTPUT": str(output)})
    values = gdal.Open(str(output)).ReadAsArray()
    assert values.shape == (64, 80) and values.std() > 0
