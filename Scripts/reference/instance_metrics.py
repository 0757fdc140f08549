#!/usr/bin/env python3
"""Expected values for Tests/LesionsTests/InstanceEvaluationTests: lesion-wise F1 and panoptic
quality computed by panoptica (BrainLesion/panoptica, the BraTS instance evaluation) on real
BraTS 2013 label maps from ../shared/data. Instances on both sides are the 26-connected
components (scipy.ndimage.label) of a thresholded OTMultiClass map: the reference is the whole
tumour (labels > 0), the predictions are sub-regions, so the matching is non-trivial.
Matching: IoU > 0.5 (panoptica's NaiveThresholdMatching), as in Kirillov et al.'s PQ.

    pip install panoptica nibabel scipy && python3 Scripts/reference/instance_metrics.py [DATA]
Writes Tests/LesionsTests/Expected/instance_metrics_panoptica.json.
"""
import json, pathlib, sys
import nibabel as nib
import numpy as np
from scipy import ndimage as ndi
from panoptica import Panoptica_Evaluator, InputType, NaiveThresholdMatching, Metric
import panoptica

root = pathlib.Path(__file__).resolve().parents[2]
data = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"
CASES = {  # name: (file, reference labels, prediction labels)
    "pat0003-wt-vs-no-enhancing": ("brats2013/brats_2013_pat0003_1/OTMultiClass.nii.gz", [1, 2, 3, 4], [1, 2, 3]),
    "pat0006-wt-vs-oedema": ("brats2013/brats_2013_pat0006_1/OTMultiClass.nii.gz", [1, 2, 3, 4], [2]),
    "pat0004-core-vs-enhancing": ("brats2013/brats_2013_pat0004_1/OTMultiClass.nii.gz", [1, 3, 4], [4]),
}
out = {"panoptica": getattr(panoptica, "__version__", "unknown"), "matching": "IoU > 0.5", "cases": []}
for name, (file, ref_labels, pred_labels) in CASES.items():
    labels = np.asarray(nib.load(str(data / file)).dataobj).astype(np.int32)
    structure = np.ones((3, 3, 3), bool)
    ref, _ = ndi.label(np.isin(labels, ref_labels), structure=structure)
    pred, _ = ndi.label(np.isin(labels, pred_labels), structure=structure)
    evaluator = Panoptica_Evaluator(expected_input=InputType.UNMATCHED_INSTANCE,
                                    instance_matcher=NaiveThresholdMatching(matching_threshold=0.5),
                                    instance_metrics=[Metric.IOU])
    result = evaluator.evaluate(pred.astype(np.int32), ref.astype(np.int32), verbose=False)
    r = result["ungrouped"] if isinstance(result, dict) else result
    r = r[0] if isinstance(r, tuple) else r
    d = r.to_dict()
    case = {"name": name, "file": file, "referenceLabels": ref_labels, "predictionLabels": pred_labels,
            "predictedInstances": int(d["n_pred_instances"]), "referenceInstances": int(d["n_ref_instances"]),
            "truePositives": int(d["tp"]), "falsePositives": int(d["fp"]), "falseNegatives": int(d["fn"]),
            "recognitionQuality": float(d["rq"]), "segmentationQuality": float(d["sq"]) if d["tp"] else None,
            "panopticQuality": float(d["pq"])}
    out["cases"].append(case)
    print(case)
path = root / "Tests/LesionsTests/Expected/instance_metrics_panoptica.json"
path.write_text(json.dumps(out, indent=2) + "\n")
print(path)
