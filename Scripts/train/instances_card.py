"""MODEL_CARD.md and manifest.json of brats-instances-2d from its reference_inference.json record."""
import os

import package
import train_maskrcnn as tm


def write(out_dir, result):
    package.write_instance_package(out_dir, tm.NAME, tm.SIZE, result["instances"],
                                   lambda man, digest, size: text(man, digest, size, result))


def _rows(per_case):
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    return "\n".join(f"| {c} | {r['role']} | {r['truePositives']} | {r['falsePositives']} | {r['falseNegatives']} | "
                     f"{fmt(r['f1'])} | {fmt(r['meanInstanceDice'])} | {r['seconds']} |" for c, r in per_case.items())


def _notes(l3):
    notes = sorted({n for r in l3["cases"].values() for n in r.get("segmentNotes", [])})
    return "".join(f"SegStation's notes: {n}\n" for n in notes)


def _lesion_section(result):
    l3 = result.get("lesionLevel3D")
    if not l3:
        return ("Not yet measured: needs SegStation with the `instances` model kind "
                "(`python3 Scripts/train/instances_3d_eval.py --segstation PATH`).")
    rows = "\n".join(f"| {c} | {r['role']} | {r['referenceInstances']} | {r['predictedInstances']} | "
                     f"{r['truePositives']} | {r['falsePositives']} | {r['falseNegatives']} | {r['f1']:.4f} | "
                     f"{r['panopticQuality']:.4f} | {'-' if r['meanInstanceDice'] is None else format(r['meanInstanceDice'], '.4f')} |"
                     for c, r in l3["cases"].items())
    return f"""`segstation segment --model Models/{tm.NAME}` (SegStation {l3.get('segstation', '')}, backend as chosen by
SegStation), then `segstation evaluate --instances values` of its `instances.nii.gz` against the reference
instance map (26-connected components of OTMultiClass > 0, written by `Scripts/train/instances_3d_eval.py`).
Matching IoU > 0.5; per-instance Dice = 2 IoU / (1 + IoU) of each matched pair, averaged.
{_notes(l3)}
| case | role | reference lesions | predicted lesions | TP | FP | FN | lesion F1 | PQ | mean instance Dice |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}
"""


def text(man, digest, size, result):
    t = result["training"]
    held = result["heldOutCase"]
    h = result["sliceLevel"][held]
    inst = man["output"]["instances"]
    stop = ("" if t["iterationsDone"] == t["iterationsPlanned"] else
            f" (wall-time stop: {t['iterationsDone']} of {t['iterationsPlanned']} planned)")
    check = result["ortVsTorch"]
    return f"""# Model card: {tm.NAME}

**Demonstration model, not for clinical use.** Instance detection of glioma whole tumour (oedema +
enhancing + non-enhancing tumour + necrosis, BraTS labels 1-4 merged) in brain MR: a 2D Mask R-CNN finds
each tumour piece on each axial slice; SegStation links the slice detections into 3D lesions
(docs/INSTANCES.md).

## Data and licence
- BraTS 2013 (Menze et al., IEEE TMI 2015), four cases from SegStation's shared test data:
  training {", ".join(t["trainCases"])}; held out **{held}** (as the other demo models).
- Channels, in this order: FLAIR (`Flair_subtrMeanDivStd.nii.gz`), T1c (`T1c_subtrMeanDivStd.nii.gz`);
  240x240x155 voxels, 1 mm isotropic, skull-stripped, orientation LPS.
- Targets per axial slice: the 8-connected components of the whole tumour with at least {tm.MIN_PIXELS}
  pixels, each one instance of the single class "Whole tumour" (label 1). {t["tumourSlices"]} training
  slices have a tumour instance, {t["otherSlices"]} show brain without one.
- Licence: **{package.LICENCE}** (Creative Commons Attribution-NonCommercial-ShareAlike), inherited from
  the training data. Non-commercial use only; derivatives under the same licence.

## Recipe
- Architecture: torchvision Mask R-CNN (`Scripts/engine/export_maskrcnn.py` `small_maskrcnn`): a narrow
  ResNet-50-style backbone (Bottleneck blocks, 1/8 of ResNet-50's planes, one block per stage, 7x7 stem
  with 2 input channels), FPN with 32 channels, anchors {", ".join(str(a[0]) for a in tm.ANCHORS)} px
  (ratios 0.5, 1, 2), RPN with 100 proposals at inference, box head 2 x FC 64, mask head 3 x conv 32,
  up to 20 detections, in-graph score floor 0.05 and per-class box NMS 0.5 (torchvision's).
  GeneralizedRCNNTransform with mean 0, std 1, min = max size {tm.SIZE}: its resize is the identity.
- Input: one axial slice `image` float32 [2, {tm.SIZE}, {tm.SIZE}] (C, j, i), preprocessed as brats-wt-2d
  (zscore-foreground per channel, crop to the foreground box), padded with 0 to {tm.SIZE} x {tm.SIZE}
  (lower pad floor(deficit / 2)). Outputs `boxes` [N, 4], `labels` [N] int64, `scores` [N],
  `masks` [N, 1, {tm.SIZE}, {tm.SIZE}].
- ONNX: opset {man["network"]["opset"]}, TorchScript exporter; operators {", ".join(result["operators"])}
  (all present in the engine's Mask R-CNN fixture).
- Training: AdamW lr {t.get("lr", "2e-3")}, weight decay 1e-4, 100-iteration warm-up then poly decay (power 0.9)
  over the planned iterations or the wall-time cap, whichever ends first; gradient norm clipped at 10;
  batch {t["batch"]} slices, 75 % with a tumour; each slice placed at a random position in the canvas;
  random flips along i and j; per-channel intensity scale U(0.9, 1.1) and shift U(-0.1, 0.1) in the
  foreground. Iterations: {t["iterationsDone"]}{stop}; **{t["seconds"]} s wall time** on {t["threads"]} CPU
  thread (Intel Xeon, AVX-512) of a 2-core machine shared with two Swift builds, under `nice -n 19`;
  torch {t["torch"]}, torchvision {t["torchvision"]}, seed {t["seed"]}. torchvision's C++ operators do not load
  here: training runs RoiAlign through `grid_sample` (same sample points and border rule as ONNX RoiAlign,
  checked against onnxruntime) and a vectorised greedy NMS (`train_maskrcnn.py`).

## Settings (manifest `output.instances`)
scoreThreshold {inst["scoreThreshold"]}: the best slice-level F1 on the training cases over 0.05, 0.10 ... 0.95
(`reference_inference.json` keeps the sweep); maskThreshold {inst["maskThreshold"]}, nmsIoU {inst["nmsIoU"]},
minSliceOverlap {inst["minSliceOverlap"]} (SegStation's defaults).

## Validation
### Slice level (Python, onnxruntime on model.onnx; `Scripts/train/instance_inference.py`)
Every axial slice of the cropped volume, the pipeline's per-slice rules (score, mask threshold, mask NMS,
higher score owns the pixel); reference = the slice's 2D tumour components of >= {tm.MIN_PIXELS} pixels;
a detection is a true positive when its mask IoU with a reference component exceeds 0.5. Instance Dice:
mean Dice of the matched pairs.

| case | role | TP | FP | FN | slice F1 | mean instance Dice | seconds |
| --- | --- | --- | --- | --- | --- | --- | --- |
{_rows(result["sliceLevel"])}

**Held-out slice-level F1 {h["f1"]}, mean instance Dice {h["meanInstanceDice"]}** (one case: a rough estimate).
The union of the held-out case's accepted detections (the class map SegStation writes as mask.nii.gz) has
a whole-tumour Dice of {result["heldOutClassMap"]["dice"]} ({result["heldOutClassMap"]["predictedVoxels"]} voxels predicted,
{result["heldOutClassMap"]["referenceVoxels"]} in the reference; recorded as `{result["heldOutClassMap"]["referenceMask"]}`).

onnxruntime against torch on {len(check)} held-out tumour slices: detection counts
{[(r["detections"], r["torchDetections"]) for r in check]}, largest box difference
{max((r.get("maxBoxDiff", 0) for r in check), default=0):.2e} px, score difference
{max((r.get("maxScoreDiff", 0) for r in check), default=0):.2e}.

### Lesion level in 3D (SegStation)
{_lesion_section(result)}
## Files
- `model.onnx`: {size} bytes, SHA-256 `{digest}`.
- `manifest.json`: package manifest (docs/MODEL_PACKAGE.md, "Instance models").
- `reference_inference.json`: settings, threshold sweep, slice- and lesion-level figures for the tests.

## Regenerate
```
pip install -r Scripts/train/requirements.txt
{t["command"]}
nice -n 19 python3 Scripts/train/instances_package.py
python3 Scripts/train/instances_3d_eval.py --segstation .build/debug/segstation
```
CPU results vary with thread count and library versions even with fixed seeds.
"""
