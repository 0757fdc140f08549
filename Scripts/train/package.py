"""Writes a SegStation model package (manifest.json, MODEL_CARD.md, reference_inference.json).

The schema is documented in docs/MODEL_PACKAGE.md; keep both in step.
"""
import hashlib
import json
import os

import numpy as np
import onnx

ALLOWED_OPS = {"Conv", "ConvTranspose", "InstanceNormalization", "LeakyRelu", "Relu", "Concat",
               "Add", "Softmax", "MaxPool"}
LICENCE = "CC BY-NC-SA 3.0 CH"
NORMALIZATION = {"kind": "zscore-foreground", "foreground": "greater-than-minimum"}
LABELS = [{
    "value": 1, "name": "Whole tumour", "colorRGB": [255, 96, 0],
    "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
    "type": {"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"},
}]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_ops(path, allowed=ALLOWED_OPS):
    """(operators, opset, parameter count) of an ONNX file; refuses operators outside `allowed`."""
    model = onnx.load(path)
    onnx.checker.check_model(model)
    ops = sorted({n.op_type for n in model.graph.node})
    bad = [o for o in ops if o not in allowed]
    if bad:
        raise SystemExit(f"{path}: operators outside SegStation's set: {bad}")
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    return ops, opset, params


def manifest(name, cfg, digest, opset):
    dim = cfg["dim"]
    patch = list(cfg["patch"])
    patch_ijk = [patch[1], patch[0], 1] if dim == 2 else [patch[2], patch[1], patch[0]]
    return {
        "schemaVersion": 1,
        "name": name,
        "version": "1.0.0",
        "description": f"Demo whole-tumour segmentation of glioma from brain MR (FLAIR + T1c), "
                       f"{dim}D U-Net trained on three BraTS 2013 cases. Demonstration only, "
                       f"not for clinical use.",
        "licence": LICENCE,
        "network": {"file": "model.onnx", "format": "onnx", "opset": opset, "sha256": digest,
                    "inputName": "image", "outputName": "logits",
                    "tensorAxes": ["k", "C", "j", "i"] if dim == 2 else ["N", "C", "k", "j", "i"]},
        "inputs": [
            {"name": "FLAIR", "modality": "MR", "sequence": "FLAIR", "normalization": NORMALIZATION},
            {"name": "T1c", "modality": "MR", "sequence": "T1 post-contrast",
             "normalization": NORMALIZATION},
        ],
        "orientation": "LPS",
        "targetSpacingMM": [1.0, 1.0, 1.0],
        "dimensionality": f"{dim}d",
        "sliceAxis": "k" if dim == 2 else None,
        "patchSizeIJK": patch_ijk,
        "cropToForeground": True,
        "slidingWindow": {"stepFraction": 0.5, "importance": "gaussian", "sigmaFraction": 0.125,
                          "padValue": 0.0},
        "mirrorAxes": ["i", "j"] if dim == 2 else ["i", "j", "k"],
        "output": {"kind": "logits", "classes": 2, "aggregation": "weighted-mean-logits",
                   "decision": "argmax"},
        "labels": LABELS,
    }


def write_package(out_dir, name, args, cfg, training, results, train_cases):
    onnx_path = os.path.join(out_dir, "model.onnx")
    ops, opset, params = check_ops(onnx_path)
    man_params = params
    digest = sha256(onnx_path)
    size = os.path.getsize(onnx_path)
    if size > 10 * 1024 * 1024:
        raise SystemExit(f"{onnx_path}: {size} bytes exceeds 10 MiB")
    man = manifest(name, cfg, digest, opset)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    held = results[args.holdout]
    ref = {
        "model": name, "heldOutCase": args.holdout,
        "channels": ["Flair_subtrMeanDivStd.nii.gz", "T1c_subtrMeanDivStd.nii.gz"],
        "reference": "OTMultiClass.nii.gz, labels 1-4 merged (> 0)",
        "preprocessing": "files used as given (no external mask); manifest normalisation applied "
                         "to them: per channel z-score over voxels > channel minimum, 0 elsewhere; "
                         "crop to the union foreground box; orientation LPS (already the files' own); "
                         "spacing already 1 mm",
        "inference": {"patchSizeIJK": man["patchSizeIJK"], "stepFraction": 0.5,
                      "importance": "gaussian sigma = patch/8", "mirroring": False,
                      "engine": "onnxruntime CPUExecutionProvider"},
        "dice": held["dice"], "diceFloorForTests": round(held["dice"] - 0.02, 4),
        "predictedVoxels": held["predictedVoxels"], "referenceVoxels": held["referenceVoxels"],
        "allCases": results,
    }
    ref_path = os.path.join(out_dir, "reference_inference.json")
    if os.path.exists(ref_path):  # keep eval_mirroring.py's result if the model is unchanged
        with open(ref_path) as f:
            old = json.load(f)
        if "diceWithMirroring" in old and old.get("sha256") == digest:
            ref["diceWithMirroring"] = old["diceWithMirroring"]
    ref["sha256"] = digest
    with open(ref_path, "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w") as f:
        f.write(model_card(name, args, cfg, training, results, train_cases, ops, digest, size, man,
                           man_params,
                           ref.get("diceWithMirroring")))
    print(f"{name}: {size} bytes sha256 {digest} ops {ops} held-out Dice {held['dice']}")


def model_card(name, args, cfg, training, results, train_cases, ops, digest, size, man, params,
               mirrored=None):
    dim = cfg["dim"]
    rows = "\n".join(f"| {c} | {r['role']} | {r['dice']:.4f} | {r['predictedVoxels']} | "
                     f"{r['referenceVoxels']} | {r['seconds']} |" for c, r in results.items())
    held = results[args.holdout]
    stop = ("" if training["iterationsDone"] == training["iterationsPlanned"] else
            f" (safety stop: {training['iterationsDone']} of {training['iterationsPlanned']})")
    return f"""# Model card: {name}

**Demonstration model, not for clinical use.** Whole-tumour (oedema + enhancing + non-enhancing
tumour + necrosis, BraTS labels 1-4 merged) segmentation of glioma from brain MR.

## Data and licence
- BraTS 2013 (Menze et al., IEEE TMI 2015), four cases from SegStation's shared test data:
  training {", ".join(train_cases)}; held out **{args.holdout}**.
- Channels, in this order: FLAIR (`Flair_subtrMeanDivStd.nii.gz`), T1c (`T1c_subtrMeanDivStd.nii.gz`);
  240x240x155 voxels, 1 mm isotropic, skull-stripped, orientation LPS.
- Licence: **{LICENCE}** (Creative Commons Attribution-NonCommercial-ShareAlike), inherited from
  the training data. Non-commercial use only; derivatives under the same licence.

## Recipe
- Architecture: {dim}D U-Net, features {list(cfg["features"])}, two (3x3{"x3" if dim == 3 else ""} conv,
  instance norm, leaky ReLU 0.01) per level, strided-conv downsampling, transposed-conv upsampling,
  1x1 head with 2 logits. Parameters: {params} (float32).
- ONNX operators: {", ".join(ops)}; opset {man["network"]["opset"]}; dynamic spatial axes.
- Patch {list(cfg["patch"])} (tensor order {"j, i" if dim == 2 else "k, j, i"}), batch {cfg["batch"]};
  half of the patches centred (with jitter) on a tumour voxel.
- Loss: cross-entropy + soft Dice (foreground, over the batch). Optimiser: Adam, lr 2e-3 with
  poly decay (power 0.9), weight decay 1e-5. Iterations: {training["iterationsDone"]}{stop};
  {training["seconds"]} s wall time on {training["threads"]} CPU thread(s) of a 2-core machine shared with
  compilers (load average ~17), torch {training["torch"]},
  seed {training["seed"]}.
- Augmentation: random flips on every spatial axis; per-channel intensity scale U(0.9, 1.1) and
  shift U(-0.1, 0.1) inside the foreground.
- Preprocessing (training = inference): normalisation `zscore-foreground` per channel (foreground =
  voxels greater than the channel minimum; z-score there; 0 elsewhere), crop to the foreground box.

## Validation (onnxruntime on model.onnx, documented inference)
Sliding window patch {man["patchSizeIJK"]} (i, j, k), step 0.5, Gaussian importance (sigma = patch/8),
logits averaged, argmax, no mirroring. Dice of whole tumour against OTMultiClass > 0:

| case | role | Dice | predicted voxels | reference voxels | seconds |
| --- | --- | --- | --- | --- | --- |
{rows}

**Held-out Dice: {held["dice"]:.4f}** (one case only: a rough estimate, not a benchmark).
{"" if not mirrored else f"With test-time mirroring (`--tta`; all flips of axes {', '.join(mirrored['axes'])}, "
 f"`Scripts/train/eval_mirroring.py`): {mirrored['dice']:.4f}."}

## Files
- `model.onnx`: {size} bytes, SHA-256 `{digest}`.
- `manifest.json`: package manifest (docs/MODEL_PACKAGE.md).
- `reference_inference.json`: held-out case, preprocessing and Dice for SegStation's pipeline test
  (floor = Dice - 0.02).

## Regenerate
```
pip install -r Scripts/train/requirements.txt
{training.get("command", f"python3 Scripts/train/train_demo.py --variant {dim}d")}
```
Validation only (re-exports nothing): add `--eval-only` (needs the training record in --work-dir).
CPU results vary slightly with thread count and library versions even with fixed seeds.
"""


def instance_manifest(name, size, digest, opset, settings):
    """The `instances` kind (docs/MODEL_PACKAGE.md "Instance models"): brats-wt-2d's preprocessing,
    one [C, j, i] slice of size x size in, torchvision Mask R-CNN's four outputs out."""
    man = manifest(name, {"dim": 2, "patch": (size, size)}, digest, opset)
    man["description"] = ("Demo whole-tumour instance detection of glioma from brain MR (FLAIR + T1c): a small "
                          "Mask R-CNN on axial slices, trained on three BraTS 2013 cases; SegStation links its "
                          "slice detections into 3D lesions. Demonstration only, not for clinical use.")
    man["network"].update(outputName="masks", tensorAxes=["C", "j", "i"])
    man["mirrorAxes"] = []  # unused by instance models (--tta is refused)
    man["output"] = {"kind": "probabilities", "classes": 2, "decision": "instances", "instances": settings}
    return man


def write_instance_package(out_dir, name, size, settings, card_text):
    """Writes manifest.json and MODEL_CARD.md next to an exported model.onnx (size-checked)."""
    onnx_path = os.path.join(out_dir, "model.onnx")
    digest = sha256(onnx_path)
    if os.path.getsize(onnx_path) > 10 * 1024 * 1024:
        raise SystemExit(f"{onnx_path}: exceeds 10 MiB")
    opset = max(o.version for o in onnx.load(onnx_path, load_external_data=False).opset_import
                if o.domain in ("", "ai.onnx"))
    man = instance_manifest(name, size, digest, opset, settings)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w") as f:
        f.write(card_text(man, digest, os.path.getsize(onnx_path)))
    return man
