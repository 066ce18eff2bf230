#!/usr/bin/python3
"""Loads a KernelGen safetensors checkpoint into the equivalent torch nn.Sequential and checks Predict's outputs.

Usage: /usr/bin/python3 tests/interop/torch_roundtrip.py DIR   (DIR holds FashionMlp.safetensors and FashionMlp.json,
written by PyTorchInteropTests with KG_INTEROP_OUT=DIR). Needs only numpy and torch (Debian's python3-torch): the
safetensors file is read by hand: 8-byte little-endian header length, JSON header, raw little-endian data.
Exits 1 if any output differs from KernelGen's by more than 1e-5 relative (floor 1e-3).
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"]).copy()
    return tensors, header.get("__metadata__", {})


class Maxout(nn.Module):
    """KernelGen's maxout: unit u of row r is max_j x[r, j*n + u]."""
    def __init__(self, pieces, units):
        super().__init__()
        self.pieces, self.units = pieces, units

    def forward(self, x):
        return x.view(-1, self.pieces, self.units).max(dim=1).values


def build(spec, tensors):
    """nn.Sequential in the layers' order, PyTorch modules with KernelGen's tensors (names L{k}.*)."""
    modules = []
    for k, l in enumerate(spec["layers"]):
        t = lambda s: torch.from_numpy(tensors[f"L{k}.{s}"])
        kind, act = l["kind"], l["activation"]
        if kind == "Dense":
            m = nn.Linear(l["inputs"], l["outputs"], bias=l["bias"])
            m.weight.data = t("weight")            # canonical [outputs, inputs] = torch's layout
            if l["bias"]:
                m.bias.data = t("bias")
        elif kind == "BatchNorm":
            # KernelGen's Momentum is the weight of the old value; torch's momentum is the weight of the new one.
            m = nn.BatchNorm1d(l["outputs"], eps=l["epsilon"], momentum=1 - l["momentum"])
            m.weight.data, m.bias.data = t("weight"), t("bias")
            m.running_mean.data, m.running_var.data = t("running_mean"), t("running_var")
        elif kind == "Dropout":
            m = nn.Dropout(l["rate"])
        elif kind == "Maxout":
            m = Maxout(l["pieces"], l["outputs"])
        elif act == "PReLU":
            m = nn.PReLU(l["outputs"])
            m.weight.data = t("alpha")
        else:
            m = {"Identity": lambda: nn.Identity(), "ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh,
                 "Softplus": nn.Softplus, "GELU": nn.GELU, "SiLU": nn.SiLU,
                 "LeakyReLU": lambda: nn.LeakyReLU(l["alpha"]), "ELU": lambda: nn.ELU(l["alpha"])}[act]()
        modules.append(m)
    if spec["loss"] == "SoftmaxCrossEntropy":
        modules.append(nn.Softmax(dim=1))
    return nn.Sequential(*modules)


def main():
    d = sys.argv[1]
    tensors, meta = read_safetensors(f"{d}/FashionMlp.safetensors")
    spec = json.load(open(f"{d}/FashionMlp.json"))
    model = build(spec, tensors).eval()
    rows = spec["rows"]
    x = torch.tensor(spec["inputs"], dtype=torch.float32).view(rows, -1)
    expected = np.array(spec["outputs"], dtype=np.float64).reshape(rows, -1)
    with torch.no_grad():
        actual = model(x).double().numpy()
    rel = np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-3))
    print(f"torch {torch.__version__}: {meta.get('network')} ({meta.get('layers')}) as {len(model)} modules; "
          f"{rows} rows, max relative difference PyTorch vs KernelGen Predict {rel:.2e}")
    sys.exit(0 if rel <= 1e-5 else 1)


if __name__ == "__main__":
    main()
