#!/usr/bin/env python3
"""Trains SegStation's demo instance model brats-instances-2d (issue 17; dev-only tool).

  pip install -r Scripts/train/requirements.txt torchvision
  nice -n 19 python3 Scripts/train/train_maskrcnn.py --max-minutes 40     # -> --work-dir/brats-instances-2d.pt
  python3 Scripts/train/instances_package.py                              # export, check, evaluate, package

A small torchvision Mask R-CNN (export_maskrcnn.small_maskrcnn: narrow ResNet-50-style backbone,
1/8 of the planes, one Bottleneck block per stage, 32-channel FPN) on AXIAL slices of three BraTS 2013
cases (the held-out case is the other demo models': brats_2013_pat0006_1). Input: FLAIR and T1c,
normalised and cropped exactly as SegStation's pipeline does (train_demo.load_case: zscore-foreground,
crop to the channels' foreground box, LPS, tensor [C, j, i]), each slice placed in a SIZE x SIZE canvas
of zeros (the manifest's padValue). Targets: 2D 8-connected components of the whole tumour
(OTMultiClass > 0) on the slice; components under MIN_PIXELS pixels are ignored. One class, label 1.

torchvision's PyPI wheel cannot load its C++ operators here: it is imported through
export_maskrcnn.import_torchvision(); for TRAINING, roi_align must carry gradients, so the box and
mask poolers call torchvision's plain-torch _roi_align directly (autograd traces through it), and
the ground-truth mask projection uses 2 samples per bin (the adaptive default would build a
[K, 1, 28, 28, H, W] tensor in the pure-torch kernel). Export is unaffected (instances_package.py).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "engine"))
import export_maskrcnn as em  # noqa: E402
import train_demo as td  # noqa: E402

NAME = "brats-instances-2d"
SIZE = 192          # square slice canvas (covers every case's cropped brain: at most 169 x 146 here)
MIN_PIXELS = 10     # smaller 2D components are not instances
ANCHORS = ((8,), (16,), (32,), (64,), (128,))


def build_model(tv):
    """The demo network (one definition for training and export)."""
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    return em.small_maskrcnn(
        tv, in_channels=2, size=SIZE, width_div=8, fpn=32, representation=64, mask_layers=(32, 32, 32),
        proposals=100, detections=20,
        image_mean=[0.0, 0.0], image_std=[1.0, 1.0],
        rpn_anchor_generator=AnchorGenerator(ANCHORS, ((0.5, 1.0, 2.0),) * len(ANCHORS)),
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        box_batch_size_per_image=128, box_score_thresh=0.05)


def grid_roi_align(input, rois, spatial_scale, oh, ow, sampling_ratio, aligned):
    """RoiAlign (torchvision semantics, sampling_ratio > 0) through F.grid_sample: the same sample
    points as torchvision's _roi_align, border clamping as its bilinear_interpolate (align_corners,
    border padding), zero for points beyond one pixel outside the map. Differentiable and far
    faster on CPU than the pure-torch kernel's advanced indexing (training only)."""
    import torch.nn.functional as F
    _, c, h, w = input.shape
    s = sampling_ratio
    off = 0.5 if aligned else 0.0
    x0, y0 = rois[:, 1] * spatial_scale - off, rois[:, 2] * spatial_scale - off
    rw, rh = rois[:, 3] * spatial_scale - off - x0, rois[:, 4] * spatial_scale - off - y0
    if not aligned:
        rw, rh = rw.clamp(min=1.0), rh.clamp(min=1.0)
    sub = (torch.arange(s, dtype=input.dtype) + 0.5) / s
    y = y0[:, None, None] + (torch.arange(oh, dtype=input.dtype)[None, :, None] + sub[None, None, :]) * (rh / oh)[:, None, None]
    x = x0[:, None, None] + (torch.arange(ow, dtype=input.dtype)[None, :, None] + sub[None, None, :]) * (rw / ow)[:, None, None]
    k = rois.shape[0]
    if k == 0:
        return input.new_zeros((0, c, oh, ow)) + 0 * input.sum()
    yy = y[:, :, :, None, None].expand(k, oh, s, ow, s)
    xx = x[:, None, None, :, :].expand(k, oh, s, ow, s)
    valid = ((yy >= -1) & (yy <= h) & (xx >= -1) & (xx <= w)).to(input.dtype)
    grid = torch.stack([xx / max(w - 1, 1) * 2 - 1, yy / max(h - 1, 1) * 2 - 1], -1).reshape(k, -1, 2)
    out = input.new_zeros((k, c, oh * s * ow * s))
    batch = rois[:, 0].long()
    for b in torch.unique(batch).tolist():
        sel = torch.nonzero(batch == b).flatten()
        g = F.grid_sample(input[b:b + 1], grid[sel][None], mode="bilinear", padding_mode="border",
                          align_corners=True)  # [1, C, K_b, P]
        out = out.index_copy(0, sel, g[0].permute(1, 0, 2))
    out = out.reshape(k, c, oh, s, ow, s) * valid[:, None]
    return out.sum((3, 5)) / (s * s)


def fast_nms(boxes, scores, iou_threshold):
    """Greedy NMS (export_maskrcnn.nms_cpu's rule) on a precomputed IoU matrix (training only)."""
    order = torch.argsort(scores, descending=True, stable=True)
    iou = (tv_box_iou(boxes[order], boxes[order]) > iou_threshold).numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if not suppressed[i]:
            keep.append(i)
            suppressed[i + 1:] |= iou[i, i + 1:]
    return order[torch.as_tensor(keep, dtype=torch.int64)]


def tv_box_iou(a, b):
    from torchvision.ops.boxes import box_iou
    return box_iou(a, b)


def training_ops(tv):
    """Training only: differentiable, fast RoiAlign (grid_roi_align) in the box and mask poolers and
    the ground-truth mask projection (2 samples per bin there instead of the adaptive count), and
    fast_nms in the RPN. The export (instances_package.py) uses export_maskrcnn's kernels."""
    convert = sys.modules["torchvision.ops._utils"].convert_boxes_to_roi_format

    def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
        rois = boxes if isinstance(boxes, torch.Tensor) else convert(boxes)
        oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
        return grid_roi_align(input, rois.to(input.dtype), spatial_scale, oh, ow,
                              sampling_ratio if sampling_ratio > 0 else 2, aligned)

    sys.modules["torchvision.ops.poolers"].roi_align = roi_align
    sys.modules["torchvision.models.detection.roi_heads"].roi_align = roi_align
    sys.modules["torchvision.ops.boxes"].nms = fast_nms


def slice_instances(wt_slice):
    """2D 8-connected components of a whole-tumour slice, >= MIN_PIXELS: list of bool masks."""
    from scipy import ndimage
    lab, n = ndimage.label(wt_slice > 0, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    return [lab == v for v in range(1, n + 1) if sizes[v] >= MIN_PIXELS]


def place(shape, rng=None):
    """Offsets (row, col) of a slice of `shape` in the SIZE canvas: centred as the pipeline pads
    (nnU-Net: floor half before), or, with rng, anywhere it fits (training jitter)."""
    out = []
    for s in shape:
        if s > SIZE:
            raise SystemExit(f"slice extent {s} exceeds the canvas {SIZE}")
        out.append(int(rng.integers(0, SIZE - s + 1)) if rng is not None else (SIZE - s) // 2)
    return out


def canvas(x_slice, masks, offset):
    """x_slice [C, j, i], masks list of [j, i] -> image [C, SIZE, SIZE], target dict."""
    c, h, w = x_slice.shape
    r0, c0 = offset
    img = np.zeros((c, SIZE, SIZE), dtype=np.float32)
    img[:, r0:r0 + h, c0:c0 + w] = x_slice
    ms = np.zeros((len(masks), SIZE, SIZE), dtype=np.uint8)
    boxes = np.zeros((len(masks), 4), dtype=np.float32)
    for n, m in enumerate(masks):
        ms[n, r0:r0 + h, c0:c0 + w] = m
        rows, cols = np.nonzero(ms[n])
        boxes[n] = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
    return img, {"boxes": torch.from_numpy(boxes), "labels": torch.ones(len(masks), dtype=torch.int64),
                 "masks": torch.from_numpy(ms)}


class SliceSampler:
    """Axial slices of the training cases: 75 % with a tumour instance, 25 % brain without one."""

    def __init__(self, cases, rng):
        self.cases, self.rng = cases, rng
        self.pos, self.neg = [], []
        for ci, (x, y) in enumerate(cases):
            for k in range(y.shape[0]):
                if slice_instances(y[k]):
                    self.pos.append((ci, k))
                elif np.any(x[:, k] != 0):
                    self.neg.append((ci, k))

    def one(self):
        pool = self.pos if self.rng.random() < 0.75 else self.neg
        ci, k = pool[self.rng.integers(len(pool))]
        x, y = self.cases[ci]
        xs, ys = x[:, k].copy(), y[k].copy()
        for ax in (0, 1):  # flips (j, i), per-channel intensity scale and shift inside the foreground
            if self.rng.random() < 0.5:
                xs, ys = np.flip(xs, 1 + ax), np.flip(ys, ax)
        xs = np.ascontiguousarray(xs)
        for c in range(xs.shape[0]):
            m = xs[c] != 0
            xs[c] = xs[c] * self.rng.uniform(0.9, 1.1) + m * self.rng.uniform(-0.1, 0.1)
        img, tgt = canvas(xs, slice_instances(np.ascontiguousarray(ys)), place(ys.shape, self.rng))
        return torch.from_numpy(img), tgt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    repo = os.path.abspath(os.path.join(HERE, "..", ".."))
    ap.add_argument("--data-dir", default=os.path.join(repo, "..", "shared", "data", "brats2013"))
    ap.add_argument("--holdout", default="brats_2013_pat0006_1")
    ap.add_argument("--iterations", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--max-minutes", type=float, default=40.0, help="wall-time cap; the lr schedule follows it")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20131)
    ap.add_argument("--work-dir", default="/tmp/segstation-train")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.work_dir, exist_ok=True)
    tv = em.import_torchvision()
    training_ops(tv)
    train_cases = [c for c in td.CASES if c != args.holdout]
    data = [td.load_case(args.data_dir, c) for c in train_cases]
    sampler = SliceSampler(data, rng)
    print(f"train {train_cases}: {len(sampler.pos)} tumour slices, {len(sampler.neg)} without", flush=True)
    model = build_model(tv)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    t0, history, running, done = time.time(), [], None, args.iterations
    ckpt = os.path.join(args.work_dir, f"{NAME}.pt")
    for it in range(args.iterations):
        progress = max(it / args.iterations, (time.time() - t0) / (args.max_minutes * 60))
        lr = args.lr * min(1.0, (it + 1) / 100) * max(1 - progress, 0.0) ** 0.9
        for g in opt.param_groups:
            g["lr"] = lr
        imgs, tgts = zip(*(sampler.one() for _ in range(args.batch)))
        losses = model(list(imgs), list(tgts))
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if it % 25 == 0:
            el = time.time() - t0
            parts = " ".join(f"{k[5:]} {v.item():.3f}" for k, v in losses.items())
            print(f"it {it} loss {loss.item():.3f} avg {running:.3f} ({parts}) lr {lr:.2e} {el:.0f}s", flush=True)
            history.append({"iteration": it, "loss": round(running, 4), "seconds": round(el)})
        if it % 500 == 499:
            torch.save(model.state_dict(), ckpt)
        if time.time() - t0 > args.max_minutes * 60:
            done = it + 1
            print(f"wall-time stop after {done} iterations", flush=True)
            break
    torch.save(model.state_dict(), ckpt)
    training = {"iterationsPlanned": args.iterations, "iterationsDone": done, "batch": args.batch,
                "seconds": round(time.time() - t0), "threads": args.threads, "seed": args.seed,
                "torch": torch.__version__, "torchvision": tv.__version__, "lossHistory": history,
                "trainCases": train_cases, "heldOutCase": args.holdout,
                "tumourSlices": len(sampler.pos), "otherSlices": len(sampler.neg),
                "command": " ".join(["nice -n 19 python3 Scripts/train/train_maskrcnn.py"] + sys.argv[1:])}
    with open(os.path.join(args.work_dir, f"{NAME}-training.json"), "w") as f:
        json.dump(training, f, indent=1)
    print(f"saved {ckpt} after {training['seconds']} s", flush=True)


if __name__ == "__main__":
    main()
