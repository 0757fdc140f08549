#!/usr/bin/env python3
"""Compare two DICOM-SEG files element by element, ignoring what differs between any two writes of the same
SEG (instance/series/dimension-organisation UIDs, content and instance creation date/time, and the meta group
length, which follows the UID lengths).

usage: compare_seg.py A.dcm B.dcm     exit 0 when equal (Pixel Data byte for byte), 1 with the differences.
Used to check that a change to the writer keeps its output identical in content (dev-only: pip install pydicom).
"""
import sys
import pydicom

IGNORED = {"SOPInstanceUID", "SeriesInstanceUID", "DimensionOrganizationUID", "MediaStorageSOPInstanceUID",
           "FileMetaInformationGroupLength", "ContentDate", "ContentTime", "InstanceCreationDate", "InstanceCreationTime", "SeriesDate", "SeriesTime"}


def walk(a, b, path, out):
    keys = sorted(set(a.keys()) | set(b.keys()))
    for tag in keys:
        ea, eb = a.get(tag), b.get(tag)
        name = (ea or eb).keyword or str(tag)
        if name in IGNORED:
            continue
        where = f"{path}{name}"
        if ea is None or eb is None:
            out.append(f"{where}: only in {'B' if ea is None else 'A'}")
        elif ea.VR == "SQ":
            if len(ea.value) != len(eb.value):
                out.append(f"{where}: {len(ea.value)} vs {len(eb.value)} items")
            else:
                for i, (ia, ib) in enumerate(zip(ea.value, eb.value)):
                    walk(ia, ib, f"{where}[{i}].", out)
        elif ea.VR != eb.VR or ea.value != eb.value:
            va, vb = (repr(e.value)[:80] for e in (ea, eb))
            out.append(f"{where}: {ea.VR} {va} vs {eb.VR} {vb}")
        if len(out) > 40:
            return


def main():
    a, b = (pydicom.dcmread(p) for p in sys.argv[1:3])
    out = []
    walk(a.file_meta, b.file_meta, "meta.", out)
    walk(a, b, "", out)
    print("\n".join(out) if out else "equal (ignoring instance UIDs and creation date/time)")
    sys.exit(1 if out else 0)


if __name__ == "__main__":
    main()
