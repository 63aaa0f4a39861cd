"""Training under torchrun: two CPU processes (gloo) train one model that the plugin then uses."""

import os
import socket
import subprocess
import sys

import processing
from osgeo import gdal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_two_processes_train_one_model_the_plugin_can_use(geogan_plugin, sample_dem, tmp_path):
    model = tmp_path / "ddp.pt"
    # Numeric loopback address and a free port: a bare machine or chroot may not resolve "localhost".
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
               "--master_addr=127.0.0.1", f"--master_port={port}",
               "-m", "core.train", sample_dem, "--output", str(model),
               "--tile-size", "32", "--iterations", "6", "--batch-size", "4", "--device", "cpu"]
    environment = {**os.environ, "GLOO_SOCKET_IFNAME": "lo"}
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)
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
