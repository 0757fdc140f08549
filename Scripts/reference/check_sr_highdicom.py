#!/usr/bin/env python3
"""Reads SegStation's TID 1500 SRs with highdicom (issue 13) and prints, per volumetric measurement
group, the tracking identifier and UID and each measurement's name (code), value and unit, so that a
reviewer can see that another toolkit reads them as what they are.
Usage: check_sr_highdicom.py SR.dcm [SR.dcm ...]   (pip install highdicom)
"""
import sys
import highdicom as hd
import pydicom

for path in sys.argv[1:]:
    sr = hd.sr.srread(path)  # parses the content tree; fails on a malformed TID 1500
    groups = sr.content.get_volumetric_roi_measurement_groups()
    print(f"{path}: {len(groups)} volumetric ROI measurement groups")
    for g in groups:
        print(f"  {g.tracking_identifier} {g.tracking_uid}")
        for m in g.get_measurements():
            derivation = getattr(m, "derivation", None)
            extra = f" derivation {derivation.meaning}" if derivation is not None else ""
            print(f"    {m.name.value} {m.name.scheme_designator} '{m.name.meaning}' = {m.value} {m.unit.value}{extra}")
