"""Reference inference and metrics for SegStation's `instances` model kind (numpy + onnxruntime).

The per-slice decision is docs/MODEL_PACKAGE.md's "Instance models" rules:
 1. the slice ([C, j, i], preprocessed as train_demo.load_case / demo_inference: LPS, zscore-foreground,
    crop to the foreground box) is padded with the pad value to the patch, lower pad floor(deficit / 2);
 2. a detection is kept when its score is strictly above scoreThreshold;
 3. its mask is the pixels whose probability is strictly above maskThreshold, padding excluded;
    a detection with an empty mask is dropped;
 4. class-agnostic mask suppression: by decreasing score (ties: network order) a detection whose mask
    IoU with an accepted one is strictly above nmsIoU is dropped;
 5. where accepted masks still overlap, the higher score owns the pixel.
Metrics: slice-level detection (2D instances matched at IoU > 0.5, unique by construction) and the
Dice of each matched pair; the reference instances of a slice are the 8-connected components of the
whole tumour with at least MIN_PIXELS pixels (train_maskrcnn.slice_instances).
"""
import numpy as np

import train_maskrcnn as tm


def run_slice(session, x_slice):
    """x_slice [C, h, w] -> (scores [N], probabilities [N, h, w]) in the slice's own pixels."""
    _, h, w = x_slice.shape
    r0, c0 = tm.place((h, w))
    img, _ = tm.canvas(x_slice, [], (r0, c0))
    boxes, labels, scores, masks = session.run(["boxes", "labels", "scores", "masks"], {"image": img})
    if len(labels) and np.any(labels != 1):
        raise ValueError(f"unexpected labels {sorted(set(labels.tolist()))}")
    return scores, masks[:, 0, r0:r0 + h, c0:c0 + w]


def decide(scores, probs, score_threshold, mask_threshold=0.5, nms_iou=0.5):
    """Rules 2-5: list of boolean masks, highest score first, disjoint."""
    order = sorted((n for n in range(len(scores)) if scores[n] > score_threshold),
                   key=lambda n: (-scores[n], n))
    accepted = []
    for n in order:
        m = probs[n] > mask_threshold
        if not m.any():
            continue
        if any((m & a).sum() / (m | a).sum() > nms_iou for a in accepted):
            continue
        accepted.append(m)
    taken = np.zeros(probs.shape[1:], dtype=bool)
    out = []
    for m in accepted:  # higher score owns the pixel
        m = m & ~taken
        taken |= m
        if m.any():
            out.append(m)
    return out


def match(pred, ref):
    """IoU > 0.5 matches between two lists of masks: (tp, fp, fn, [dice of matched pairs])."""
    dices, used = [], set()
    for r in ref:
        for n, p in enumerate(pred):
            if n in used:
                continue
            inter = (p & r).sum()
            if inter and inter / (p | r).sum() > 0.5:
                used.add(n)
                dices.append(2.0 * inter / (p.sum() + r.sum()))
                break
    tp = len(dices)
    return tp, len(pred) - tp, len(ref) - tp, dices


def slice_metrics(per_slice, score_threshold, mask_threshold=0.5, nms_iou=0.5):
    """per_slice: list of (scores, probs, reference masks). Summed over slices."""
    tp = fp = fn = 0
    dices = []
    for scores, probs, ref in per_slice:
        pred = decide(scores, probs, score_threshold, mask_threshold, nms_iou)
        a, b, c, d = match(pred, ref)
        tp, fp, fn, dices = tp + a, fp + b, fn + c, dices + d
    den = tp + 0.5 * (fp + fn)
    return {"truePositives": tp, "falsePositives": fp, "falseNegatives": fn,
            "f1": round(tp / den, 4) if den else None,
            "meanInstanceDice": round(float(np.mean(dices)), 4) if dices else None,
            "medianInstanceDice": round(float(np.median(dices)), 4) if dices else None}


def case_slices(session, x, wt, probability_floor=0.3):
    """Runs every axial slice of a preprocessed case (x [C, k, j, i], wt [k, j, i]).

    Mask probabilities are kept as float16 (only their comparison with thresholds >= probability_floor
    matters) to bound memory."""
    out = []
    for k in range(x.shape[1]):
        ref = tm.slice_instances(wt[k])
        if not np.any(x[:, k] != 0):
            out.append((np.zeros(0, np.float32), np.zeros((0,) + wt.shape[1:], np.float16), ref))
            continue
        scores, probs = run_slice(session, np.ascontiguousarray(x[:, k]))
        probs = np.where(probs > probability_floor, probs, 0).astype(np.float16)
        out.append((scores, probs, ref))
    return out


def class_map(per_slice, paths, score_threshold, mask_threshold=0.5, nms_iou=0.5):
    """The class map (label 1 wherever an accepted detection lies) of one case on its own input
    grid, as SegStation writes mask.nii.gz: the slices' decisions un-cropped and reoriented back
    (demo_inference.segment's steps 7). Returns (uint8 array, reference nibabel image)."""
    import nibabel as nib
    import demo_inference as di
    x, ref, xform = di.load_channels(paths, "LPS")
    _, fg = di.normalize_zscore_foreground(x)
    box = di.bbox(fg)
    lab_kji = np.zeros([s.stop - s.start for s in box][::-1], dtype=np.uint8)
    for k, (scores, probs, _) in enumerate(per_slice):
        for m in decide(scores, probs, score_threshold, mask_threshold, nms_iou):
            lab_kji[k][m] = 1
    lab = np.zeros(x.shape[1:], dtype=np.uint8)
    lab[box] = lab_kji.transpose(2, 1, 0)
    inverse = nib.orientations.ornt_transform(di.axis_codes_to_ornt("LPS"),
                                              nib.orientations.io_orientation(ref.affine))
    return nib.orientations.apply_orientation(lab, inverse).astype(np.uint8), ref
