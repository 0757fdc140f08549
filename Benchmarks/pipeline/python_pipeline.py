#!/usr/bin/env python3
"""The peer of `segstation segment` for BENCHMARKS.md: the same work in Python with the same ONNX model.

nibabel loads the channels (NIfTI), the manifest's zscore-foreground normalisation and foreground crop
are applied with numpy, MONAI's sliding_window_inference (Gaussian mode, sigma_scale 0.125, overlap
= 1 - stepFraction, same patch) runs onnxruntime on each window, argmax, un-crop, and nibabel writes
mask.nii.gz. dev-only: pip install nibabel onnxruntime monai torch numpy

usage: python_pipeline.py MODEL_DIR OUT_MASK CHANNEL.nii.gz [CHANNEL.nii.gz ...] [--threads N]
"""
import argparse, json, os, time
import numpy as np
import nibabel as nib
import onnxruntime as ort
import torch
from monai.inferers import sliding_window_inference

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model"); ap.add_argument("out"); ap.add_argument("channels", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    t0 = time.time()
    manifest = json.load(open(os.path.join(a.model, "manifest.json")))
    assert manifest["network"]["tensorAxes"] == ["N", "C", "k", "j", "i"], "this peer handles the 3D demo layout"
    imgs = [nib.load(c) for c in a.channels]
    data = [np.asarray(i.dataobj, dtype=np.float32) for i in imgs]          # (i, j, k)
    norm, fg = [], np.zeros(data[0].shape, bool)
    for x in data:
        m = x > x.min()
        fg |= m
        mu, sd = x[m].mean(dtype=np.float64), x[m].std(dtype=np.float64)
        norm.append(np.where(m, (x - mu) / sd, 0).astype(np.float32))
    idx = np.nonzero(fg)
    box = tuple(slice(v.min(), v.max() + 1) for v in idx)
    x = np.stack([n[box] for n in norm]).transpose(0, 3, 2, 1)[None]        # (1, C, k, j, i)
    t1 = time.time()
    opts = ort.SessionOptions(); opts.intra_op_num_threads = a.threads; opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(a.model, manifest["network"]["file"]), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    def predictor(batch):
        return torch.from_numpy(sess.run(None, {name: batch.numpy()})[0])
    pi, pj, pk = manifest["patchSizeIJK"]
    with torch.no_grad():
        logits = sliding_window_inference(torch.from_numpy(np.ascontiguousarray(x)), roi_size=(pk, pj, pi), sw_batch_size=1,
                                          predictor=predictor, overlap=1 - manifest["slidingWindow"]["stepFraction"],
                                          mode="gaussian", sigma_scale=0.125, padding_mode="constant", cval=0.0)
    labels = logits[0].argmax(0).numpy().astype(np.uint8).transpose(2, 1, 0)
    t2 = time.time()
    out = np.zeros(data[0].shape, np.uint8); out[box] = labels
    nib.save(nib.Nifti1Image(out, imgs[0].affine), a.out)
    print(json.dumps({"loadSeconds": round(t1 - t0, 2), "inferenceSeconds": round(t2 - t1, 2),
                      "totalSeconds": round(time.time() - t0, 2), "voxels": int(out.sum())}))

if __name__ == "__main__":
    main()
