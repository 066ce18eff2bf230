"""PyTorch side of compare.sh: FashionMlp's training step and inference, one thread.

Same network as src/KernelGen.Cli/Networks/FashionMlp.cs: 784 -> 256 BatchNorm ReLU Dropout(0.2) -> 128 BatchNorm
LeakyReLU(0.01) Dropout(0.2) -> 10, softmax cross-entropy, AdamW(lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay
1e-4 on the dense weights only: KernelGen decays W, not biases, gamma or beta). BatchNorm1d(momentum=0.1) is
KernelGen's Momentum = 0.9 (running = 0.9 running + 0.1 batch). Step: zero_grad, forward, loss, backward, step,
in train mode; inference: eval mode under torch.inference_mode(), softmax probabilities (as Predict writes).
Timing as kernelgen compare: warm-up, a loop calibrated to a minimum duration, median of repeated loops.
Prints 'pytorch OP BATCH MICROSECONDS' lines.
"""
import statistics
import sys
import time

import torch
from torch import nn

quick = "--quick" in sys.argv
MIN_S, LOOPS = (0.002, 5) if quick else (0.010, 21)
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
torch.set_num_threads(THREADS)
torch.manual_seed(1)


def timed_us(fn):
    for _ in range(5):
        fn()
    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t >= MIN_S or reps >= 1 << 24:
            break
        reps *= 2
    per = []
    for _ in range(LOOPS):
        t = time.perf_counter_ns()
        for _ in range(reps):
            fn()
        per.append((time.perf_counter_ns() - t) / reps / 1000)
    return statistics.median(per)


def fashion_mlp():
    return nn.Sequential(
        nn.Linear(784, 256), nn.BatchNorm1d(256, eps=1e-5, momentum=0.1), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 128), nn.BatchNorm1d(128, eps=1e-5, momentum=0.1), nn.LeakyReLU(0.01), nn.Dropout(0.2),
        nn.Linear(128, 10))


print(f"# pytorch {torch.__version__}, threads {torch.get_num_threads()}, median of {LOOPS} loops of >= {MIN_S * 1000:g} ms")
for batch in (1, 32, 128, 256):
    model = fashion_mlp()
    decay = [m.weight for m in model if isinstance(m, nn.Linear)]
    others = [p for p in model.parameters() if all(p is not w for w in decay)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-4}, {"params": others, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if batch >= 2:  # BatchNorm1d in train mode refuses one row, as KernelGen does
        model.train()
        print(f"pytorch\ttrain_step\t{batch}\t{timed_us(step):.3f}")
    model.eval()

    def predict():
        with torch.inference_mode():
            return torch.softmax(model(x), dim=1)

    print(f"pytorch\tpredict\t{batch}\t{timed_us(predict):.3f}")
