"""Region-based demo model (`brats-regions-3d`): targets, reference inference, package files.

As nnU-Net's region-based BraTS training, the network has one sigmoid output per nested region,
listed outermost first; the label map gives each voxel the label of the last region (in this
order) whose probability is strictly above its threshold (docs/MODEL_PACKAGE.md, "Region-based
models"). BraTS 2013 OTMultiClass labels: 1 necrosis, 2 oedema, 3 non-enhancing tumour,
4 enhancing tumour.
"""
import json
import os
import time

import numpy as np
import torch

import demo_inference as di
import package

# (name, OTMultiClass labels in the region, label written by the decision, threshold)
REGIONS = [
    ("Whole tumour", (1, 2, 3, 4), 1, 0.5),
    ("Tumour core", (1, 3, 4), 2, 0.5),
    ("Enhancing tumour", (4,), 3, 0.5),
]
LABELS = [
    {"value": 1, "name": "Peritumoural oedema", "colorRGB": [255, 200, 0],
     "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
     "type": {"code": "79654002", "scheme": "SCT", "meaning": "Edema"}},
    {"value": 2, "name": "Non-enhancing tumour core", "colorRGB": [255, 96, 0],
     "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
     "type": {"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"}},
    {"value": 3, "name": "Enhancing tumour", "colorRGB": [220, 0, 40],
     "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
     "type": {"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"}},
]


def region_targets(labels):
    """labels [N, ...] int (OTMultiClass) -> [N, R, ...] float32 region masks."""
    return torch.stack([sum((labels == v) for v in members).float()
                        for _, members, _, _ in REGIONS], dim=1)


def decide(logits):
    """Averaged logits [R, ...] -> label map: later regions overwrite earlier ones."""
    lab = np.zeros(logits.shape[1:], dtype=np.uint8)
    for r, (_, _, label, t) in enumerate(REGIONS):
        lab[logits[r] > np.log(t / (1 - t))] = label
    return lab


def segment(session, paths, patch, step_fraction, axis_codes="LPS"):
    """demo_inference.segment with the region decision instead of argmax."""
    x, ref, xform = di.load_channels(paths, axis_codes)
    xn, fg = di.normalize_zscore_foreground(x)
    box = di.bbox(fg)
    net_in = np.ascontiguousarray(xn[(slice(None),) + box].transpose(0, 3, 2, 1))
    lab_kji = decide(di.sliding_window_logits(session, net_in, patch, step_fraction))
    lab = np.zeros(x.shape[1:], dtype=np.uint8)
    lab[box] = lab_kji.transpose(2, 1, 0)
    import nibabel as nib
    inverse = nib.orientations.ornt_transform(di.axis_codes_to_ornt(axis_codes),
                                              nib.orientations.io_orientation(ref.affine))
    return nib.orientations.apply_orientation(lab, inverse).astype(np.uint8)


def evaluate(session, cases, args, cfg, case_paths, label_file):
    """Dice per region (predicted label >= the region's label vs OTMultiClass members) per case."""
    import nibabel as nib
    results = {}
    for case in cases:
        t1 = time.time()
        lab = segment(session, case_paths(args.data_dir, case), cfg["patch"], 0.5)
        seg = np.asarray(nib.load(os.path.join(args.data_dir, case, label_file)).dataobj)
        per = {}
        for name, members, label, _ in REGIONS:
            pred, ref = lab >= label, np.isin(seg, members)
            per[name] = {"dice": round(di.dice(pred, ref), 4), "predictedVoxels": int(pred.sum()),
                         "referenceVoxels": int(ref.sum())}
        results[case] = {"regions": per, "seconds": round(time.time() - t1, 1),
                         "role": "held-out" if case == args.holdout else "training"}
        print(case, results[case], flush=True)
    return results


def write_package(out_dir, name, args, cfg, training, results, train_cases):
    onnx_path = os.path.join(out_dir, "model.onnx")
    ops, opset, params = package.check_ops(onnx_path)
    digest = package.sha256(onnx_path)
    size = os.path.getsize(onnx_path)
    man = package.manifest(name, cfg, digest, opset)
    man["description"] = ("Demo region-based segmentation of glioma from brain MR (FLAIR + T1c): whole "
                          "tumour, tumour core and enhancing tumour as nested sigmoid regions, 3D U-Net "
                          "trained on three BraTS 2013 cases. Demonstration only, not for clinical use.")
    man["output"] = {"kind": "logits", "classes": len(REGIONS), "aggregation": "weighted-mean-logits",
                     "decision": "regions",
                     "regions": [{"name": n, "label": lab, "threshold": t} for n, _, lab, t in REGIONS]}
    man["labels"] = LABELS
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    held = results[args.holdout]["regions"]
    ref = {
        "model": name, "heldOutCase": args.holdout,
        "channels": ["Flair_subtrMeanDivStd.nii.gz", "T1c_subtrMeanDivStd.nii.gz"],
        "reference": "OTMultiClass.nii.gz: whole tumour 1-4, tumour core 1+3+4, enhancing 4",
        "inference": {"patchSizeIJK": man["patchSizeIJK"], "stepFraction": 0.5,
                      "importance": "nnU-Net v2 compute_gaussian (sigma = patch/8)",
                      "decision": "logits > 0 per region, later regions overwrite earlier",
                      "mirroring": False, "engine": "onnxruntime CPUExecutionProvider"},
        "regions": {n: dict(r, diceFloorForTests=round(r["dice"] - 0.03, 4)) for n, r in held.items()},
        "allCases": results, "sha256": digest,
    }
    with open(os.path.join(out_dir, "reference_inference.json"), "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w") as f:
        f.write(model_card(name, args, cfg, training, results, train_cases, ops, digest, size, man, params))
    print(f"{name}: {size} bytes sha256 {digest} ops {ops} held-out {held}")


def model_card(name, args, cfg, training, results, train_cases, ops, digest, size, man, params):
    names = [n for n, _, _, _ in REGIONS]
    rows = "\n".join(f"| {c} | {r['role']} | " + " | ".join(f"{r['regions'][n]['dice']:.4f}" for n in names)
                     + f" | {r['seconds']} |" for c, r in results.items())
    held = results[args.holdout]["regions"]
    stop = ("" if training["iterationsDone"] == training["iterationsPlanned"] else
            f" (safety stop: {training['iterationsDone']} of {training['iterationsPlanned']})")
    return f"""# Model card: {name}

**Demonstration model, not for clinical use.** Region-based segmentation of glioma from brain MR,
as nnU-Net's BraTS region training: three nested sigmoid regions, whole tumour (BraTS 2013 labels
1-4) ⊇ tumour core (necrosis 1, non-enhancing 3, enhancing 4) ⊇ enhancing tumour (4). The label map
(precedence: later regions overwrite earlier ones) is 1 oedema (whole tumour outside the core),
2 non-enhancing core, 3 enhancing tumour.

## Data and licence
- BraTS 2013 (Menze et al., IEEE TMI 2015), four cases from SegStation's shared test data:
  training {", ".join(train_cases)}; held out **{args.holdout}**.
- Channels, in this order: FLAIR (`Flair_subtrMeanDivStd.nii.gz`), T1c (`T1c_subtrMeanDivStd.nii.gz`);
  240x240x155 voxels, 1 mm isotropic, skull-stripped, orientation LPS.
- Licence: **{package.LICENCE}** (Creative Commons Attribution-NonCommercial-ShareAlike), inherited from
  the training data. Non-commercial use only; derivatives under the same licence.

## Recipe
- Architecture: 3D U-Net (Scripts/train/unet.py), features {list(cfg["features"])}, two (3x3x3 conv,
  instance norm, leaky ReLU 0.01) per level, strided-conv downsampling, transposed-conv upsampling,
  1x1 head with {len(REGIONS)} region logits. Parameters: {params} (float32).
- ONNX operators: {", ".join(ops)}; opset {man["network"]["opset"]}; dynamic spatial axes.
- Patch {list(cfg["patch"])} (tensor order k, j, i), batch {cfg["batch"]};
  half of the patches centred (with jitter) on a tumour voxel.
- Initialisation: {("the weights of `" + training["initFrom"] + "` (its whole-tumour minus background logit for every region), then fine-tuned") if training.get("initFrom") else "random (PyTorch defaults, seeded)"}.
- Loss: binary cross-entropy with logits + soft Dice per region (mean over regions, over the batch),
  as nnU-Net's region-based trainer. Optimiser: Adam, lr 2e-3 with poly decay (power 0.9), weight
  decay 1e-5. Iterations: {training["iterationsDone"]}{stop};
  {training["seconds"]} s wall time on {training["threads"]} CPU thread(s) of a 2-core Intel Xeon (AVX-512)
  shared with other builds and benchmarks (training ran at nice 19), torch {training["torch"]}, seed {training["seed"]}.
- Augmentation and preprocessing: as brats-wt-3d (flips on every axis, intensity scale/shift;
  `zscore-foreground`, crop to the foreground box).

## Validation (onnxruntime on model.onnx, documented inference)
Sliding window patch {man["patchSizeIJK"]} (i, j, k), step 0.5, Gaussian importance (sigma = patch/8),
logits averaged, region decision (logit > 0, i.e. probability > 0.5), no mirroring. Dice per region
(predicted label >= the region's label against the OTMultiClass members):

| case | role | {" | ".join(names)} | seconds |
| --- | --- | {" | ".join("---" for _ in names)} | --- |
{rows}

**Held-out Dice: {", ".join(f"{n} {held[n]['dice']:.4f}" for n in names)}** (one case only: a rough
estimate, not a benchmark).

## Files
- `model.onnx`: {size} bytes, SHA-256 `{digest}`.
- `manifest.json`: package manifest (docs/MODEL_PACKAGE.md), `output.decision` "regions".
- `reference_inference.json`: held-out case and Dice per region for SegStation's pipeline test
  (floor = Dice - 0.03).

## Regenerate
```
pip install -r Scripts/train/requirements.txt
{training.get("command", "python3 Scripts/train/train_demo.py --variant regions-3d")}
```
Validation only (re-exports nothing): add `--eval-only` (needs the training record in --work-dir).
"""
