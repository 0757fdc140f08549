#!/usr/bin/env python3
"""Compares a Mask R-CNN run of `segstation model run` (OUT-boxes/labels/scores/masks.npy) with the
onnxruntime outputs recorded by export_maskrcnn.py, by issue 17's criteria as
Tests/EngineTests/DetectionComparison.swift states them (same label, IoU > 0.5, closest first; scores
within 1e-4; box coordinates within 1e-4 x max(|coordinate|, box extent, 1); equal counts except
borderline detections; masks equal at 0.5 except pixels within 1e-4 of it).

It exists for the reference backend on the full-size exports (13 minutes per image in a release
build): the CLI runs there without a release build of the tests. The Swift test
(`SEGSTATION_MASKRCNN_FULL=DIR swift test -c release -Xswiftc -enable-testing --filter MaskRCNNFullTests`)
is the check of record; keep the two in step.

Usage: python3 Scripts/engine/compare_detections.py OUT.npy EXPECTED_PREFIX
  e.g. OUT.npy = /tmp/ref/out.npy (reads out-boxes.npy ...), EXPECTED_PREFIX = DIR/maskrcnn_resnet50_fpn.x0
Exit status 0 when every criterion holds.
"""
import sys
import numpy as np

TOL, SCORE_THRESHOLD, NMS, MAX_DET = 1e-4, 0.05, 0.5, 100


def load(prefix, sep):
    return {k: np.load(f"{prefix}{sep}{k}.npy") for k in ("boxes", "labels", "scores", "masks")}


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def compare(got, ort):
    problems, matched, borderline, near_half = [], 0, 0, 0
    max_ds = max_db = 0.0

    def cutoff(d):
        return d["scores"].min() if len(d["scores"]) >= MAX_DET else SCORE_THRESHOLD

    def is_borderline(score, box, label, other, cut):
        if abs(score - cut) <= TOL:
            return True
        return any(other["labels"][k] == label and abs(iou(box, other["boxes"][k]) - NMS) <= TOL for k in range(len(other["scores"])))

    used = set()
    for i in range(len(ort["scores"])):
        cands = [j for j in range(len(got["scores"])) if j not in used and got["labels"][j] == ort["labels"][i] and iou(got["boxes"][j], ort["boxes"][i]) > 0.5]
        if not cands:
            if is_borderline(ort["scores"][i], ort["boxes"][i], ort["labels"][i], got, cutoff(ort)):
                borderline += 1
            else:
                problems.append(f"onnxruntime detection {i} (label {ort['labels'][i]}, score {ort['scores'][i]}) has no match")
            continue
        j = min(cands, key=lambda j: np.abs(got["boxes"][j] - ort["boxes"][i]).max() + abs(got["scores"][j] - ort["scores"][i]))
        used.add(j)
        matched += 1
        ds = abs(float(got["scores"][j]) - float(ort["scores"][i]))
        max_ds = max(max_ds, ds)
        if ds > TOL:
            problems.append(f"detection {i}: score {got['scores'][j]} vs {ort['scores'][i]}")
        ob = ort["boxes"][i]
        extent = [ob[2] - ob[0], ob[3] - ob[1]]
        for k in range(4):
            d = abs(float(got["boxes"][j][k]) - float(ob[k]))
            max_db = max(max_db, d)
            if d > TOL * max(abs(ob[k]), abs(extent[k % 2]), 1):
                problems.append(f"detection {i}: box coordinate {got['boxes'][j][k]} vs {ob[k]}")
        o, g = ort["masks"][i].ravel(), got["masks"][j].ravel()
        flip = (o > 0.5) != (g > 0.5)
        near = flip & (np.abs(o - 0.5) <= TOL)
        near_half += int(near.sum())
        if int((flip & ~near).sum()):
            problems.append(f"detection {i}: {int((flip & ~near).sum())} mask pixels differ at 0.5")
    for j in range(len(got["scores"])):
        if j in used:
            continue
        if is_borderline(got["scores"][j], got["boxes"][j], got["labels"][j], ort, cutoff(got)):
            borderline += 1
        else:
            problems.append(f"engine detection {j} (label {got['labels'][j]}, score {got['scores'][j]}) has no match")
    return problems, f"{matched} matched, {borderline} borderline, max |score diff| {max_ds:.3g}, max |box diff| {max_db:.3g} px, {near_half} mask pixels within tolerance of 0.5"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out = sys.argv[1][:-4] if sys.argv[1].endswith(".npy") else sys.argv[1]
    got, ort = load(out, "-"), load(sys.argv[2], ".")
    problems, summary = compare(got, ort)
    print(f"{len(got['scores'])} detections (onnxruntime {len(ort['scores'])}): {summary}")
    for p in problems:
        print("  " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
