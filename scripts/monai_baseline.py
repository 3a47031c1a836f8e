#!/usr/bin/env python3
"""The reference a new user would reach for: MONAI's 2-D U-Net (channels 16-32-64-128, two
residual units per level), Dice + cross-entropy, Adam at 10^-3, batches of 4 random 128×128
crops with random flips, trained slice by slice on a densecell study's /image and
/labels/truth, then scored on a held-out study as `densecell evaluate` scores: MIoU(all) over
the classes present in truth or prediction, and each class's IoU.

    python3 scripts/monai_baseline.py --train train.h5 --eval eval.h5 --classes 7 --steps 600
    python3 scripts/monai_baseline.py --train train.h5 --eval eval.h5 --classes 2 --steps 1500 \\
        --out monai-pred.h5    # the prediction as labels/monai, to compare or view

Needs torch, monai and h5py (pip).
"""
import argparse
import time

import h5py
import numpy as np
import torch
from monai.losses import DiceCELoss
from monai.networks.nets import UNet


def load(path):
    with h5py.File(path, "r") as f:
        image = f["image"][...].astype(np.float32)
        truth = f["labels/truth"][...].astype(np.int64)
    image = (image - image.mean()) / max(image.std(), 1e-6)
    return image, truth


def miou(truth, prediction, classes):
    ious = []
    for c in range(classes):
        t, p = truth == c, prediction == c
        union = np.logical_or(t, p).sum()
        ious.append(np.logical_and(t, p).sum() / union if union else None)
    defined = [v for v in ious if v is not None]
    return float(np.mean(defined)), ious


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--eval", required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="write the evaluation prediction as labels/monai into this HDF5 file")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    image, truth = load(a.train)
    net = UNet(spatial_dims=2, in_channels=1, out_channels=a.classes, channels=(16, 32, 64, 128),
               strides=(2, 2, 2), num_res_units=2)
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    z, h, w = image.shape
    c = a.crop
    start = time.perf_counter()
    net.train()
    for step in range(a.steps):
        xs, ys = [], []
        for _ in range(a.batch):
            k, y0, x0 = rng.integers(z), rng.integers(h - c + 1), rng.integers(w - c + 1)
            xi, yi = image[k, y0:y0 + c, x0:x0 + c], truth[k, y0:y0 + c, x0:x0 + c]
            if rng.random() < 0.5:
                xi, yi = xi[:, ::-1], yi[:, ::-1]
            if rng.random() < 0.5:
                xi, yi = xi[::-1, :], yi[::-1, :]
            xs.append(xi.copy()); ys.append(yi.copy())
        x = torch.from_numpy(np.stack(xs))[:, None]
        y = torch.from_numpy(np.stack(ys))[:, None]
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if (step + 1) % 100 == 0:
            print(f"step {step + 1}: loss {loss.item():.4f}", flush=True)
    elapsed = time.perf_counter() - start
    eval_image, eval_truth = load(a.eval)
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(eval_image)[:, None])
    prediction = logits.argmax(1).numpy().astype(np.uint8)
    m, ious = miou(eval_truth, prediction, a.classes)
    print(f"monai unet: {a.steps} steps in {elapsed:.0f} s ({a.steps / elapsed:.2f} steps/s), "
          f"MIoU(all) {m:.4f}, IoU per class " + " ".join("n/a" if v is None else f"{v:.3f}" for v in ious))
    if a.out:
        with h5py.File(a.out, "a") as f:
            if "labels/monai" in f:
                del f["labels/monai"]
            d = f.create_dataset("labels/monai", data=prediction, compression="gzip")
            d.attrs["role"] = "algorithm"


if __name__ == "__main__":
    main()
