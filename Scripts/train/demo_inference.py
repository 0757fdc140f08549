"""Reference inference for SegStation model packages (numpy + nibabel + onnxruntime).

This is the exact procedure docs/MODEL_PACKAGE.md specifies; the demo models' validation Dice is
computed with it on the exported ONNX file. Steps:
 1. load the channels (manifest order), check they share shape and affine;
 2. reorient each to the manifest axis convention ("LPS": array axis 0 = i points to patient Left,
    axis 1 = j to Posterior, axis 2 = k to Superior);
 3. normalise each channel (manifest "normalization"; here zscore-foreground, foreground = voxels
    strictly greater than the channel's minimum, statistics in float64, population std,
    voxels outside the foreground set to 0);
 4. crop to the bounding box of the union of the channels' foregrounds;
 5. transpose to the network layout [C, k, j, i] (i fastest, as SegStation stores volumes);
 6. sliding window with nnU-Net v2's own window starts and Gaussian importance
    (nnunetv2.inference.sliding_window_prediction: compute_steps_for_sliding_window,
    compute_gaussian with sigma = patch/8, peak at voxel p//2, in float32 with value scaling 1),
    zero padding when an axis is smaller than the patch, logits summed with weights, divided by
    the weight sum, argmax (ties go to the lower label);
 7. un-crop (outside = 0), transpose back, reorient back to the input's orientation.
"""
import itertools

import nibabel as nib
import numpy as np
import torch
from nnunetv2.inference.sliding_window_prediction import compute_gaussian, compute_steps_for_sliding_window


def axis_codes_to_ornt(codes):
    return nib.orientations.axcodes2ornt(tuple(codes))


def load_channels(paths, axis_codes="LPS"):
    """Returns (array [C, i, j, k] float32 in `axis_codes`, reference image, ornt transform)."""
    imgs = [nib.load(p) for p in paths]
    ref = imgs[0]
    for p, im in zip(paths, imgs):
        if im.shape != ref.shape or not np.allclose(im.affine, ref.affine, atol=1e-4):
            raise ValueError(f"{p}: grid differs from first channel ({im.shape} vs {ref.shape})")
    src = nib.orientations.io_orientation(ref.affine)
    xform = nib.orientations.ornt_transform(src, axis_codes_to_ornt(axis_codes))
    chans = [nib.orientations.apply_orientation(im.get_fdata(dtype=np.float32), xform) for im in imgs]
    return np.stack(chans).astype(np.float32), ref, xform


def normalize_zscore_foreground(x):
    """Per channel: foreground = x > min(x); z-score there (float64 mean, population std); 0 elsewhere.

    Returns (normalised float32 array, union foreground mask). A channel whose foreground is empty
    or has zero variance becomes all zeros.
    """
    out = np.zeros_like(x, dtype=np.float32)
    union = np.zeros(x.shape[1:], dtype=bool)
    for c in range(x.shape[0]):
        fg = x[c] > x[c].min()
        union |= fg
        v = x[c][fg].astype(np.float64)
        if v.size == 0 or v.std() == 0:
            continue
        out[c][fg] = ((v - v.mean()) / v.std()).astype(np.float32)
    return out, union


def bbox(mask):
    idx = np.argwhere(mask)
    if idx.size == 0:
        return tuple(slice(0, s) for s in mask.shape)
    lo, hi = idx.min(0), idx.max(0) + 1
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))


def window_starts(size, patch, step_fraction):
    """Start offsets along one axis; size >= patch (pad first): nnU-Net's compute_steps_for_sliding_window."""
    if size < patch:
        raise ValueError("pad the axis to the patch size first")
    return compute_steps_for_sliding_window((size,), (patch,), step_fraction)[0]


def gaussian_importance(patch):
    """nnU-Net's compute_gaussian (sigma = p/8, peak at voxel p//2, max 1), float32."""
    return compute_gaussian(tuple(patch), sigma_scale=1. / 8, value_scaling_factor=1,
                            dtype=torch.float32, device=torch.device("cpu")).numpy()


def pad_to(x, patch):
    """Zero-pads the trailing len(patch) axes of x to at least patch; returns (padded, slices of x)."""
    nd = len(patch)
    pads = [(0, 0)] * (x.ndim - nd)
    keep = [slice(None)] * (x.ndim - nd)
    for s, p in zip(x.shape[-nd:], patch):
        total = max(p - s, 0)
        pads.append((total // 2, total - total // 2))
        keep.append(slice(total // 2, total // 2 + s))
    return np.pad(x, pads), tuple(keep)


def sliding_window_logits(session, x, patch, step_fraction, batch=8, mirror_axes=()):
    """x: [C, *spatial] (3D: [C,k,j,i]; 2D-model input given as [C,k,j,i] too, slices along k).

    Returns averaged logits [classes, *spatial].
    """
    name = session.get_inputs()[0].name
    two_d = len(patch) == 2
    xp, keep = pad_to(x, patch)
    spatial = xp.shape[1:]
    win_axes = spatial[1:] if two_d else spatial
    starts = [window_starts(s, p, step_fraction) for s, p in zip(win_axes, patch)]
    g = gaussian_importance(patch)
    acc = None
    wsum = np.zeros(spatial, dtype=np.float32)

    def run(batch_in):
        out = session.run(None, {name: batch_in})[0]
        # test-time mirroring: every non-empty subset of mirror_axes (axes counted within the
        # patch, 0 = first spatial tensor axis), logits flipped back and averaged (as nnU-Net).
        subsets = [c for r in range(1, len(mirror_axes) + 1)
                   for c in itertools.combinations(mirror_axes, r)]
        for axes in subsets:
            t_axes = tuple(2 + a for a in axes)
            flipped = np.ascontiguousarray(np.flip(batch_in, axis=t_axes))
            out = out + np.flip(session.run(None, {name: flipped})[0], axis=t_axes)
        return out / (1 + len(subsets))

    for corner in itertools.product(*starts):
        sl = tuple(slice(c, c + p) for c, p in zip(corner, patch))
        if two_d:
            ks = spatial[0]
            for k0 in range(0, ks, batch):
                k1 = min(k0 + batch, ks)
                inp = np.ascontiguousarray(np.moveaxis(xp[:, k0:k1][(slice(None), slice(None)) + sl], 1, 0))
                out = np.moveaxis(run(inp), 0, 1)  # [classes, b, h, w]
                if acc is None:
                    acc = np.zeros((out.shape[0],) + spatial, dtype=np.float32)
                acc[(slice(None), slice(k0, k1)) + sl] += out * g
                wsum[(slice(k0, k1),) + sl] += g
        else:
            inp = np.ascontiguousarray(xp[(slice(None),) + sl][None])
            out = run(inp)[0]
            if acc is None:
                acc = np.zeros((out.shape[0],) + spatial, dtype=np.float32)
            acc[(slice(None),) + sl] += out * g
            wsum[sl] += g
    acc /= wsum
    return acc[(slice(None),) + keep[1:]]


def segment(session, paths, patch, step_fraction, axis_codes="LPS", mirror_axes=()):
    """Full reference pipeline; returns (label map uint8 in the input's array orientation, info)."""
    x, ref, xform = load_channels(paths, axis_codes)
    xn, fg = normalize_zscore_foreground(x)
    box = bbox(fg)
    crop = xn[(slice(None),) + box]
    net_in = np.ascontiguousarray(crop.transpose(0, 3, 2, 1))  # [C, k, j, i]
    logits = sliding_window_logits(session, net_in, patch, step_fraction, mirror_axes=mirror_axes)
    lab_kji = np.argmax(logits, axis=0).astype(np.uint8)
    lab = np.zeros(x.shape[1:], dtype=np.uint8)
    lab[box] = lab_kji.transpose(2, 1, 0)
    inverse = nib.orientations.ornt_transform(axis_codes_to_ornt(axis_codes),
                                              nib.orientations.io_orientation(ref.affine))
    lab = nib.orientations.apply_orientation(lab, inverse).astype(np.uint8)
    return lab, {"cropBoxIJK": [[s.start, s.stop] for s in box]}


def dice(a, b):
    a, b = a > 0, b > 0
    s = a.sum() + b.sum()
    return 1.0 if s == 0 else float(2.0 * (a & b).sum() / s)
