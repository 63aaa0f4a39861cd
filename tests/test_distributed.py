"""Training under torchrun: two CPU processes (gloo) train one model that the plugin then uses."""

import os
import socket
import subprocess
import sys

import processing
from osgeo import gdal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _torchrun_can_make_its_store() -> bool:
    """Debian's python3-torch (2.6 in Debian 13, 2.14 in unstable) is built without libuv, and torchrun's
    rendezvous asks TCPStore for libuv whatever USE_LIBUV says, so torchrun cannot start there (README)."""
    from torch.distributed import TCPStore

    try:
        TCPStore("127.0.0.1", 0, 1, True, multi_tenant=True)
    except RuntimeError as error:
        if "libuv" in str(error):
            return False
        raise
    return True


def _two_processes_as_torchrun_starts_them(command, environment, port):
    """What the README tells users of Debian's PyTorch: the processes started by hand with torchrun's variables
    and USE_LIBUV=0 (which torch.distributed's own env:// rendezvous honours); one result with both outputs."""
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**environment, "USE_LIBUV": "0", "MASTER_ADDR": "127.0.0.1",
                                       "MASTER_PORT": str(port), "WORLD_SIZE": "2", "RANK": str(rank),
                                       "LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": "2"})
                 for rank in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    return subprocess.CompletedProcess(command, max(process.returncode for process in processes),
                                       "".join(out for out, _ in outputs), "".join(err for _, err in outputs))


def test_two_processes_train_one_model_the_plugin_can_use(geogan_plugin, sample_dem, tmp_path):
    model = tmp_path / "ddp.pt"
    # Numeric loopback address and a free port: a bare machine or chroot may not resolve "localhost".
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    train = ["-m", "core.train", sample_dem, "--output", str(model),
             "--tile-size", "32", "--iterations", "6", "--batch-size", "4", "--device", "cpu"]
    environment = {**os.environ, "GLOO_SOCKET_IFNAME": "lo"}
    if _torchrun_can_make_its_store():
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
                   "--master_addr=127.0.0.1", f"--master_port={port}"] + train
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)
    else:
        run = _two_processes_as_torchrun_starts_them([sys.executable] + train, environment, port)
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
