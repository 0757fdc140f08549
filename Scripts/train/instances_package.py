#!/usr/bin/env python3
"""Exports, checks, evaluates and packages the demo instance model brats-instances-2d (dev-only tool).

  nice -n 19 python3 Scripts/train/train_maskrcnn.py --max-minutes 40 --batch 2 --lr 2e-3   # checkpoint
  nice -n 19 python3 Scripts/train/instances_package.py                                      # -> Models/brats-instances-2d

1. Export: the checkpoint into export_maskrcnn's wrapper (Detections, unbatched [C, H, W] input), with
   its CPU kernels, by the TorchScript exporter at opset 17, as export_maskrcnn.py exports the engine
   fixture; every operator must also occur in that fixture (Tests/EngineTests/Fixtures/maskrcnn_small.onnx).
2. Check: onnxruntime against torch on held-out tumour slices (detection count, boxes, scores, masks).
3. Score threshold: the one of 0.05, 0.10 ... 0.95 with the best slice-level F1 on the TRAINING cases
   (ties: the lower), everything else at the manifest defaults (mask 0.5, NMS IoU 0.5, overlap 0.1).
4. Held-out metrics with onnxruntime (instance_inference.py: the pipeline's per-slice rules).
5. manifest.json, MODEL_CARD.md (package.write_instance_package) and reference_inference.json; the 3D
   lesion-level figures from SegStation itself are added by instances_3d_eval.py.
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
import instance_inference as ii  # noqa: E402
import package  # noqa: E402
import train_demo as td  # noqa: E402
import train_maskrcnn as tm  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "Models", tm.NAME)
FIXTURE = os.path.join(REPO, "Tests", "EngineTests", "Fixtures", "maskrcnn_small.onnx")
DEFAULTS = {"maskThreshold": 0.5, "nmsIoU": 0.5, "minSliceOverlap": 0.1}


def export(ckpt, path):
    tv = em.import_torchvision()
    net = tm.build_model(tv)
    net.load_state_dict(torch.load(ckpt, map_location="cpu"))
    wrapped = em.Detections(net, batched=False).eval()
    dummy = torch.zeros((2, tm.SIZE, tm.SIZE))
    torch.onnx.export(wrapped, (dummy,), path, input_names=["image"],
                      output_names=["boxes", "labels", "scores", "masks"],
                      opset_version=17, dynamo=False, do_constant_folding=True)
    mine, fixture = em.inventory(path), em.inventory(FIXTURE)
    extra = sorted(set(mine) - set(fixture))
    if extra:
        raise SystemExit(f"{path}: operators the engine fixture does not have: {extra}")
    package.check_ops(path, allowed=set(fixture))
    return wrapped, sorted(mine)


def compare_with_torch(wrapped, sess, x, wt, count=4):
    """onnxruntime vs torch on `count` tumour slices spread over the case."""
    ks = [k for k in range(wt.shape[0]) if tm.slice_instances(wt[k])]
    ks = [ks[int(n)] for n in np.linspace(0, len(ks) - 1, count)]
    rows = []
    for k in ks:
        _, h, w = x[:, k].shape
        img, _ = tm.canvas(np.ascontiguousarray(x[:, k]), [], tm.place((h, w)))
        ort_out = sess.run(["boxes", "labels", "scores", "masks"], {"image": img})
        with torch.no_grad():
            ref = [t.numpy() for t in wrapped(torch.from_numpy(img))]
        row = {"slice": k, "detections": int(len(ort_out[2])), "torchDetections": int(len(ref[2]))}
        if row["detections"] == row["torchDetections"] and row["detections"]:
            row["maxBoxDiff"] = float(np.abs(ort_out[0] - ref[0]).max())
            row["maxScoreDiff"] = float(np.abs(ort_out[2] - ref[2]).max())
            row["maskPixelsDifferingAt0.5"] = int(((ort_out[3] > 0.5) != (ref[3] > 0.5)).sum())
        rows.append(row)
        print("ort vs torch", row, flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.path.join(REPO, "..", "shared", "data", "brats2013"))
    ap.add_argument("--work-dir", default="/tmp/segstation-train")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.work_dir, f"{tm.NAME}-training.json")) as f:
        training = json.load(f)
    os.makedirs(OUT, exist_ok=True)
    onnx_path = os.path.join(OUT, "model.onnx")
    wrapped, ops = export(os.path.join(args.work_dir, f"{tm.NAME}.pt"), onnx_path)
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3  # the mask-pasting Loop warns about its growing output shape
    so.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    held = training["heldOutCase"]
    cases = {c: td.load_case(args.data_dir, c) for c in td.CASES}
    check = compare_with_torch(wrapped, sess, *cases[held])
    slices, seconds = {}, {}
    for c, (x, wt) in cases.items():
        t0 = time.time()
        slices[c] = ii.case_slices(sess, x, wt)
        seconds[c] = round(time.time() - t0, 1)
        print(c, "slices run in", seconds[c], "s", flush=True)
    sweep = []
    for s in np.round(np.arange(0.05, 0.951, 0.05), 2):
        m = ii.slice_metrics([t for c in training["trainCases"] for t in slices[c]], float(s))
        sweep.append({"scoreThreshold": float(s), **m})
    best = max(sweep, key=lambda r: (r["f1"] or 0, -r["scoreThreshold"]))
    settings = {"scoreThreshold": best["scoreThreshold"], **DEFAULTS}
    per_case = {c: {"role": "held-out" if c == held else "training", "seconds": seconds[c],
                    **ii.slice_metrics(slices[c], settings["scoreThreshold"])} for c in td.CASES}
    for c, r in per_case.items():
        print(c, r, flush=True)
    # The held-out class map for DemoInstanceModelTests (as reference_mask.py records brats-wt-2d's).
    import nibabel as nib
    lab, img = ii.class_map(slices[held], td.case_paths(args.data_dir, held), settings["scoreThreshold"])
    mask_rel = os.path.join("Tests", "PipelineTests", "Expected", f"{tm.NAME}-heldout-mask.nii.gz")
    out_img = nib.Nifti1Image(lab, img.affine, img.header)
    out_img.set_data_dtype(np.uint8)
    nib.save(out_img, os.path.join(REPO, mask_rel))
    truth = np.asarray(nib.load(os.path.join(args.data_dir, held, td.LABEL_FILE)).dataobj) > 0
    import demo_inference as di
    union = {"predictedVoxels": int(lab.sum()), "referenceVoxels": int(truth.sum()),
             "dice": round(di.dice(lab, truth), 4), "referenceMask": mask_rel}
    print("held-out class map", union, flush=True)
    ref_path = os.path.join(OUT, "reference_inference.json")
    old = json.load(open(ref_path)) if os.path.exists(ref_path) else {}
    digest = package.sha256(onnx_path)
    result = {"model": tm.NAME, "heldOutCase": held,
              "channels": ["Flair_subtrMeanDivStd.nii.gz", "T1c_subtrMeanDivStd.nii.gz"],
              "reference": f"OTMultiClass.nii.gz > 0; slice instances = 8-connected components of >= "
                           f"{tm.MIN_PIXELS} pixels; 3D instances = 26-connected components",
              "instances": settings, "scoreThresholdSweepTraining": sweep,
              "sliceLevel": per_case, "heldOutClassMap": union, "ortVsTorch": check, "operators": ops, "sha256": digest,
              "training": {k: v for k, v in training.items() if k != "lossHistory"},
              "lossHistory": training["lossHistory"][::max(1, len(training["lossHistory"]) // 20)]}
    if old.get("sha256") == digest and "lesionLevel3D" in old:  # keep instances_3d_eval.py's figures
        result["lesionLevel3D"] = old["lesionLevel3D"]
    with open(ref_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    import instances_card
    instances_card.write(OUT, result)
    print(f"{tm.NAME}: {os.path.getsize(onnx_path)} bytes, score threshold {settings['scoreThreshold']}, "
          f"held-out slice F1 {per_case[held]['f1']}", flush=True)


if __name__ == "__main__":
    main()
