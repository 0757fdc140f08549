#!/usr/bin/env python3
"""Trains, exports and validates SegStation's bundled demo whole-tumour models (dev-only tool).

  pip install -r Scripts/train/requirements.txt
  python3 Scripts/train/train_demo.py --variant 2d    # -> Models/brats-wt-2d/
  python3 Scripts/train/train_demo.py --variant 3d    # -> Models/brats-wt-3d/
  python3 Scripts/train/train_demo.py --variant regions-3d  # -> Models/brats-regions-3d/

Data: ../shared/data/brats2013 (BraTS 2013, CC BY-NC-SA 3.0 CH). Channels FLAIR then T1c; target =
whole tumour (OTMultiClass labels 1-4 merged); for `regions-3d` three sigmoid regions as nnU-Net's
region-based BraTS training (whole tumour 1-4, tumour core 1+3+4, enhancing 4; see regions.py).
Three cases train, --holdout is validated on.
The validation Dice is computed with onnxruntime on the exported model.onnx with the documented
inference (demo_inference.py), not with PyTorch. Checkpoints go to --work-dir (not committed).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_inference as di  # noqa: E402
import package  # noqa: E402
import regions as rg  # noqa: E402
from unet import UNet  # noqa: E402

CASES = [f"brats_2013_pat000{n}_1" for n in (3, 4, 5, 6)]
CHANNEL_FILES = ["Flair_subtrMeanDivStd.nii.gz", "T1c_subtrMeanDivStd.nii.gz"]
LABEL_FILE = "OTMultiClass.nii.gz"

VARIANTS = {
    "2d": dict(dim=2, features=(8, 16, 32, 64, 128), patch=(128, 128), batch=4, iterations=2000),
    "3d": dict(dim=3, features=(8, 16, 32, 64), patch=(48, 48, 48), batch=2, iterations=1000),
    "regions-3d": dict(dim=3, features=(8, 16, 32, 64), patch=(48, 48, 48), batch=2, iterations=1000,
                       regions=True),
}


def case_paths(data_dir, case):
    return [os.path.join(data_dir, case, f) for f in CHANNEL_FILES]


def load_case(data_dir, case, keep_labels=False):
    """Network-ready arrays exactly as inference prepares them: ([C,k,j,i] float32, [k,j,i] uint8).

    The target is whole tumour (0/1), or with keep_labels the OTMultiClass labels 0-4 (regions)."""
    x, ref, xform = di.load_channels(case_paths(data_dir, case), "LPS")
    xn, fg = di.normalize_zscore_foreground(x)
    box = di.bbox(fg)
    import nibabel as nib
    seg = np.asarray(nib.load(os.path.join(data_dir, case, LABEL_FILE)).dataobj)
    seg = nib.orientations.apply_orientation(seg, xform)
    wt = (seg if keep_labels else (seg > 0)).astype(np.uint8)[box]
    return (np.ascontiguousarray(xn[(slice(None),) + box].transpose(0, 3, 2, 1)),
            np.ascontiguousarray(wt.transpose(2, 1, 0)))


class Sampler:
    """Random patches; half centred near a tumour voxel. 2D patches are axial slices (k fixed)."""

    def __init__(self, cases, patch, rng):
        self.cases, self.patch, self.rng = cases, patch, rng
        self.fg = [np.argwhere(y > 0) for _, y in cases]

    def one(self):
        ci = self.rng.integers(len(self.cases))
        x, y = self.cases[ci]
        two_d = len(self.patch) == 2
        shape = x.shape[1:]
        if self.rng.random() < 0.5 and len(self.fg[ci]):
            centre = self.fg[ci][self.rng.integers(len(self.fg[ci]))]
        else:
            centre = np.array([self.rng.integers(s) for s in shape])
        full_patch = ((1,) + tuple(self.patch)) if two_d else tuple(self.patch)
        lo = []
        for c, p, s in zip(centre, full_patch, shape):
            jitter = 0 if p == 1 else int(self.rng.integers(-p // 4, p // 4 + 1))
            lo.append(int(np.clip(c - p // 2 + jitter, min(0, s - p), max(0, s - p))))
        px = np.zeros((x.shape[0],) + full_patch, dtype=np.float32)
        py = np.zeros(full_patch, dtype=np.int64)
        src = tuple(slice(max(a, 0), min(a + p, s)) for a, p, s in zip(lo, full_patch, shape))
        dst = tuple(slice(sl.start - a, sl.stop - a) for sl, a in zip(src, lo))
        px[(slice(None),) + dst] = x[(slice(None),) + src]
        py[dst] = y[src]
        if two_d:
            px, py = px[:, 0], py[0]
        # augmentation: flips on every spatial axis (so mirroring at test time is valid),
        # per-channel intensity scale and a shift applied inside the foreground only.
        for ax in range(py.ndim):
            if self.rng.random() < 0.5:
                px, py = np.flip(px, 1 + ax), np.flip(py, ax)
        px = px.copy()
        for c in range(px.shape[0]):
            m = px[c] != 0
            px[c] = px[c] * self.rng.uniform(0.9, 1.1) + m * self.rng.uniform(-0.1, 0.1)
        return px, py.copy()

    def batch(self, n):
        xs, ys = zip(*(self.one() for _ in range(n)))
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def loss_fn(logits, target):
    ce = F.cross_entropy(logits, target)
    prob = torch.softmax(logits, 1)[:, 1]
    tgt = (target == 1).float()
    inter = (prob * tgt).sum()
    soft_dice = (2 * inter + 1e-5) / (prob.sum() + tgt.sum() + 1e-5)
    return ce + (1 - soft_dice)


def region_loss_fn(logits, labels):
    """nnU-Net's region-based loss: BCE with logits + soft Dice, per region, over the batch."""
    tgt = rg.region_targets(labels)  # [N, R, ...] float
    bce = F.binary_cross_entropy_with_logits(logits, tgt)
    prob = torch.sigmoid(logits)
    axes = [0] + list(range(2, logits.ndim))
    inter = (prob * tgt).sum(axes)
    soft_dice = (2 * inter + 1e-5) / (prob.sum(axes) + tgt.sum(axes) + 1e-5)
    return bce + (1 - soft_dice.mean())


def init_from_onnx(model, path):
    """Loads the weights of an exported U-Net of the same architecture (ONNX initialisers keep the
    PyTorch names). A 2-class head (background, whole tumour) becomes one logit per output equal to
    the whole-tumour minus background logit: sigmoid of it is the softmax whole-tumour probability,
    so every region starts as the whole-tumour model and training specialises them."""
    import onnx
    from onnx import numpy_helper
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
               for t in onnx.load(path).graph.initializer}
    state = model.state_dict()
    for name, value in weights.items():
        if name not in state:
            continue
        if name.startswith("head.") and value.shape != state[name].shape:
            diff = value[1] - value[0]
            value = diff.unsqueeze(0).repeat((state[name].shape[0],) + (1,) * diff.dim())
        state[name] = value
    model.load_state_dict(state)
    print(f"initialised from {path}", flush=True)


def export_onnx(model, dim, path):
    model.eval()
    dummy = torch.zeros((1, 2) + ((64, 64) if dim == 2 else (32, 32, 32)))
    names = {0: "batch"} if dim == 2 else {}
    spatial = ["height", "width"] if dim == 2 else ["depth", "height", "width"]
    for i, n in enumerate(spatial):
        names[2 + i] = n
    torch.onnx.export(model, dummy, path, opset_version=17, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": names, "logits": names},
                      dynamo=False, do_constant_folding=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", ".."))
    ap.add_argument("--data-dir", default=os.path.join(repo, "..", "shared", "data", "brats2013"))
    ap.add_argument("--holdout", default="brats_2013_pat0006_1")
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--max-minutes", type=float, default=40.0, help="safety stop; recorded if hit")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20131)
    ap.add_argument("--work-dir", default="/tmp/segstation-train")
    ap.add_argument("--eval-only", action="store_true", help="re-validate an existing model.onnx")
    ap.add_argument("--init-from", default=None,
                    help="start from a trained package's model.onnx (same architecture; see init_from_onnx)")
    ap.add_argument("--reuse-results", action="store_true",
                    help="with --eval-only: rewrite the package files from reference_inference.json")
    args = ap.parse_args()

    cfg = dict(VARIANTS[args.variant])
    if args.iterations:
        cfg["iterations"] = args.iterations
    is_regions = cfg.get("regions", False)
    name = "brats-regions-3d" if is_regions else f"brats-wt-{args.variant}"
    out_dir = os.path.join(repo, "Models", name)
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(args.work_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train_cases = [c for c in CASES if c != args.holdout]
    history = []
    t0 = time.time()
    done = cfg["iterations"]
    if not args.eval_only:
        data = [load_case(args.data_dir, c, keep_labels=is_regions) for c in train_cases]
        print(f"loaded {train_cases} shapes {[d[0].shape for d in data]}", flush=True)
        model = UNet(cfg["dim"], 2, len(rg.REGIONS) if is_regions else 2, cfg["features"])
        if args.init_from:
            init_from_onnx(model, args.init_from)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-5)
        sampler = Sampler(data, cfg["patch"], rng)
        model.train()
        running = 0.0
        for it in range(cfg["iterations"]):
            # poly decay over the planned iterations; if the wall-time cap would cut training short,
            # the schedule follows elapsed time instead so the run still ends at a low rate.
            progress = max(it / cfg["iterations"], (time.time() - t0) / (args.max_minutes * 60))
            lr = 2e-3 * max(1 - progress, 0.0) ** 0.9
            for g in opt.param_groups:
                g["lr"] = lr
            xb, yb = sampler.batch(cfg["batch"])
            loss = (region_loss_fn if is_regions else loss_fn)(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running = 0.98 * running + 0.02 * loss.item() if it else loss.item()
            if it % 25 == 0 or it == cfg["iterations"] - 1:
                el = time.time() - t0
                print(f"it {it} loss {loss.item():.4f} avg {running:.4f} lr {lr:.2e} {el:.0f}s", flush=True)
                history.append({"iteration": it, "loss": round(running, 4), "seconds": round(el)})
            if time.time() - t0 > args.max_minutes * 60:
                done = it + 1
                print(f"safety stop after {done} iterations", flush=True)
                break
        torch.save(model.state_dict(), os.path.join(args.work_dir, f"{name}.pt"))
        export_onnx(model, cfg["dim"], onnx_path)
        training = {"iterationsPlanned": cfg["iterations"], "iterationsDone": done,
                    "seconds": round(time.time() - t0), "threads": args.threads, "seed": args.seed,
                    "torch": torch.__version__, "lossHistory": history, "initFrom": args.init_from,
                    "command": " ".join(["python3", "Scripts/train/train_demo.py"] + sys.argv[1:])}
        with open(os.path.join(args.work_dir, f"{name}-training.json"), "w") as f:
            json.dump(training, f, indent=1)
    else:
        with open(os.path.join(args.work_dir, f"{name}-training.json")) as f:
            training = json.load(f)

    if args.reuse_results:
        with open(os.path.join(out_dir, "reference_inference.json")) as f:
            results = json.load(f)["allCases"]
        (rg.write_package if is_regions else package.write_package)(
            out_dir, name, args, cfg, training, results, train_cases)
        return
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    import nibabel as nib
    results = {}
    if is_regions:
        results = rg.evaluate(sess, CASES, args, cfg, case_paths, LABEL_FILE)
        rg.write_package(out_dir, name, args, cfg, training, results, train_cases)
        return
    for case in CASES:
        t1 = time.time()
        lab, info = di.segment(sess, case_paths(args.data_dir, case), cfg["patch"], 0.5)
        ref = np.asarray(nib.load(os.path.join(args.data_dir, case, LABEL_FILE)).dataobj) > 0
        results[case] = {"dice": round(di.dice(lab, ref), 4), "seconds": round(time.time() - t1, 1),
                         "predictedVoxels": int(lab.sum()), "referenceVoxels": int(ref.sum()),
                         "role": "held-out" if case == args.holdout else "training"}
        print(case, results[case], flush=True)
    package.write_package(out_dir, name, args, cfg, training, results, train_cases)


if __name__ == "__main__":
    main()
