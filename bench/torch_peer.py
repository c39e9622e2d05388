"""PyTorch peer: realesrgan-x4plus (RRDBNet) in PyTorch 1.13 with the weights
of an ONNX file `real-esrgan-serve export-onnx` wrote (its initializers carry
basicsr names), timing forward passes on a random input.

usage: /usr/bin/python3 bench/torch_peer.py MODEL.onnx SIZE REPS THREADS
prints: torch_cpu_s min=... median=..."""
import os
import sys
import time

import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "fixtures"))
from sr_archs import RRDBNet  # noqa: E402

model_path, size, reps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
           for t in onnx.load(model_path).graph.initializer if t.name.endswith((".weight", ".bias"))}
net = RRDBNet().eval()
net.load_state_dict(weights)
x = torch.rand(1, 3, size, size)
times = []
with torch.no_grad():
    for _ in range(reps):
        start = time.perf_counter()
        net(x)
        times.append(time.perf_counter() - start)
times.sort()
print(f"torch_cpu_s min={times[0]:.3f} median={times[len(times) // 2]:.3f}")
