#!/usr/bin/env python3
"""Training steps per second of densecell's 2D–3D network in PyTorch, for comparison with
`densecell train` on the same window and threads (docs/ARCHITECTURE.md, "Training").

The network is built layer by layer as Architecture.graph in
Sources/DenseCellEngine/Network/Architecture.swift builds it (3×3×3 first convolutions, the
3-D pyramid, both heads). One step: forward on a random window, cross-entropy on both heads
(the 2-D one weighted 0.33), backward, Adam. Augmentation and loss weights are left out: they
are a small share of densecell's step (see `DENSECELL_PROFILE=1 densecell train`).

    python3 scripts/pytorch_train_speed.py --width 16 --window 5x128x128 --threads 2 --steps 60
    python3 scripts/pytorch_train_speed.py --width 8 --window 5x64x64 --threads 1 --no-pyramid

Needs torch (the CPU wheel from PyPI is enough).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv(nn.Module):
    def __init__(self, cin, cout, kernel, relu=True):
        super().__init__()
        pad = tuple((k - 1) // 2 for k in kernel)
        self.conv = nn.Conv3d(cin, cout, kernel, padding=pad)
        self.relu = relu

    def forward(self, x):
        x = self.conv(x)
        return F.relu(x) if self.relu else x


class Up(nn.Module):
    """Transposed convolution 1×2×2, stride (1, 2, 2), with ReLU."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.ConvTranspose3d(cin, cout, (1, 2, 2), stride=(1, 2, 2))

    def forward(self, x):
        return F.relu(self.conv(x))


def pool(x):
    return F.max_pool3d(x, (1, 2, 2), stride=(1, 2, 2))


class Network(nn.Module):
    def __init__(self, width, classes=7, conv333=True, pyramid=True):
        super().__init__()
        w, c = width, classes
        k3, k2, k1 = (3, 3, 3), (1, 3, 3), (1, 1, 1)
        first = k3 if conv333 else k2
        self.enc0 = nn.Sequential(Conv(1, w // 2, first), Conv(w // 2, w, k2), Conv(w, w, k2))
        self.enc1 = nn.Sequential(Conv(w, w, first), Conv(w, 2 * w, k2), Conv(2 * w, 2 * w, k2))
        self.bottom = nn.Sequential(Conv(2 * w, 4 * w, k2), Conv(4 * w, 4 * w, k2))
        self.up1 = Up(4 * w, 2 * w)
        self.dec1 = nn.Sequential(Conv(4 * w, w, first), Conv(w, 2 * w, k2), Conv(2 * w, 2 * w, k2))
        self.up0 = Up(2 * w, w)
        self.dec0 = nn.Sequential(Conv(2 * w, w // 2, first), Conv(w // 2, w, k2), Conv(w, w, k2))
        self.pred2d = Conv(w, c, k1, relu=False)
        self.pyramid = pyramid
        if pyramid:
            h = w + c
            self.p0 = nn.Sequential(Conv(h, w, k3), Conv(w, w, k3), Conv(w, w, k3))
            self.p1 = nn.Sequential(Conv(h, 2 * w, k3), *[Conv(2 * w, 2 * w, k3) for _ in range(4)], Conv(2 * w, w, k1))
            self.p1up = Up(w, w)
            self.pred3d = Conv(w, c, k1, relu=False)

    def forward(self, x):
        enc0 = self.enc0(x)
        enc1 = self.enc1(pool(enc0))
        t = self.up1(self.bottom(pool(enc1)))
        t = self.up0(self.dec1(torch.cat([t, enc1], 1)))
        dec0 = self.dec0(torch.cat([t, enc0], 1))
        logits2d = self.pred2d(dec0)
        if not self.pyramid:
            return None, logits2d
        h = torch.cat([dec0, F.softmax(logits2d, 1)], 1)
        summed = self.p0(h) + self.p1up(self.p1(pool(h)))
        return logits2d, self.pred3d(summed)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--window", default="5x128x128", help="ZxYxX")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=60, help="timed steps (after 5 warm-up steps)")
    p.add_argument("--classes", type=int, default=7)
    p.add_argument("--no-pyramid", action="store_true")
    p.add_argument("--no-conv333", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    z, y, x = (int(v) for v in a.window.split("x"))
    net = Network(a.width, a.classes, conv333=not a.no_conv333, pyramid=not a.no_pyramid)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    image = torch.randn(1, 1, z, y, x)
    labels = torch.randint(0, a.classes, (1, z, y, x))

    def step():
        opt.zero_grad(set_to_none=True)
        l2d, l3d = net(image)
        loss = F.cross_entropy(l3d, labels)
        if l2d is not None:
            loss = loss + 0.33 * F.cross_entropy(l2d, labels)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    elapsed = time.perf_counter() - start
    params = sum(t.numel() for t in net.parameters())
    print(f"pytorch {torch.__version__}: width {a.width} ({params} parameters), window {a.window}, "
          f"{a.threads} thread(s): {a.steps / elapsed:.3g} steps/s ({1000 * elapsed / a.steps:.1f} ms/step)")


if __name__ == "__main__":
    main()
