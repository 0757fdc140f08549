#!/usr/bin/env python3
"""A highdicom BINARY SEG whose frames do not start on byte boundaries, for SEGPackingTests.

Frames of 7x5 pixels (35 bits: frame f starts at bit 35 f, every residue mod 8 occurs) over a synthetic
6-slice series made from dcmqi's ct-3slice/01.dcm (header template only), 3 overlapping random segments.
Writes Tests/DICOMTests/Expected/seg_highdicom_7x5.dcm and seg_highdicom_7x5.json (per segment, the mask
as a string of 0/1 in slice-major, row-major order, from the array given to highdicom and checked
against pydicom's unpacking of the written file).
dev-only: pip install highdicom pydicom numpy.
"""
import copy, json, os
import numpy as np
import pydicom
import highdicom as hd
from pydicom.sr.codedict import codes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))
OUT = os.path.join(REPO, "Tests", "DICOMTests", "Expected")


def main():
    template = pydicom.dcmread(os.path.join(DATA, "dcmqi", "segmentations", "ct-3slice", "01.dcm"))
    rows, cols, slices = 5, 7, 6
    series, frame_of_reference = hd.UID(), hd.UID()
    sources = []
    for k in range(slices):
        d = copy.deepcopy(template)
        d.Rows, d.Columns = rows, cols
        d.PixelData = np.zeros((rows, cols), np.int16).tobytes()
        d.ImagePositionPatient = [-10.0, 20.0, 2.5 * k]
        d.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        d.PixelSpacing = [0.9, 0.8]
        d.SOPInstanceUID = d.file_meta.MediaStorageSOPInstanceUID = hd.UID()
        d.SeriesInstanceUID, d.FrameOfReferenceUID, d.InstanceNumber = series, frame_of_reference, k + 1
        d.SpecificCharacterSet = "ISO_IR 100"
        sources.append(d)
    rng = np.random.RandomState(35)
    masks = rng.randint(0, 3, size=(slices, rows, cols, 3)) == 0   # about a third set, overlapping
    algo = hd.AlgorithmIdentificationSequence(name="reference", version="1", family=codes.cid7162.ArtificialIntelligence)
    descs = [hd.seg.SegmentDescription(segment_number=s, segment_label=f"Random {s}", segmented_property_category=codes.SCT.Tissue,
                                       segmented_property_type=codes.SCT.Tissue, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
                                       algorithm_identification=algo) for s in (1, 2, 3)]
    seg = hd.seg.Segmentation(source_images=sources, pixel_array=masks.astype(np.uint8), segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
                              segment_descriptions=descs, series_instance_uid=hd.UID(), series_number=300, sop_instance_uid=hd.UID(),
                              instance_number=1, manufacturer="reference", manufacturer_model_name="highdicom", software_versions=hd.__version__,
                              device_serial_number="0", omit_empty_frames=False)
    path = os.path.join(OUT, "seg_highdicom_7x5.dcm")
    seg.save_as(path)
    # Independent check of the file: pydicom's unpacking, frame by frame, against the masks.
    back = pydicom.dcmread(path)
    n = int(back.NumberOfFrames)
    bits = np.unpackbits(np.frombuffer(back.PixelData, np.uint8), bitorder="little")[: n * rows * cols].reshape(n, rows, cols)
    uid_to_k = {d.SOPInstanceUID: k for k, d in enumerate(sources)}
    for f, item in enumerate(back.PerFrameFunctionalGroupsSequence):
        s = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        k = uid_to_k[item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID]
        assert np.array_equal(bits[f], masks[k, :, :, s - 1]), (f, s, k)
    expected = {"rows": rows, "columns": cols, "slices": slices, "frames": n, "highdicom": hd.__version__,
                "segments": {str(s): "".join("1" if v else "0" for v in masks[:, :, :, s - 1].ravel()) for s in (1, 2, 3)}}
    json.dump(expected, open(os.path.join(OUT, "seg_highdicom_7x5.json"), "w"), indent=1)
    print(path, n, "frames,", os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
