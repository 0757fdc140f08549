#!/usr/bin/env python3
"""Prints the markdown table of Benchmarks/pipeline/run.sh from the two runs' outputs:
each side's stdout JSON, its `/usr/bin/time -v` report and its mask (for the agreement check).
usage: table.py --tag IxJxK --threads N --load TEXT --ours JSON TIME MASK --peer JSON TIME MASK"""
import argparse, datetime, json, re
import numpy as np, nibabel as nib


def gnu_time(path):
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu = float(re.search(r"User time \(seconds\): (\S+)", text).group(1)) + float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    status = int(re.search(r"Exit status: (\d+)", text).group(1))
    return {"wall": seconds, "rss_kb": rss_kb, "cpu": cpu, "status": status}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag"); ap.add_argument("--threads"); ap.add_argument("--load")
    ap.add_argument("--ours", nargs=3); ap.add_argument("--peer", nargs=3)
    a = ap.parse_args()
    ours_t, peer_t = gnu_time(a.ours[1]), gnu_time(a.peer[1])
    ours = json.load(open(a.ours[0]))["timingsSeconds"]
    peer = json.load(open(a.peer[0]))
    m1 = np.asarray(nib.load(a.ours[2]).dataobj) != 0
    m2 = np.asarray(nib.load(a.peer[2]).dataobj) != 0
    dice = 2 * np.logical_and(m1, m2).sum() / max(1, m1.sum() + m2.sum())
    g = lambda k: ours.get(k, 0.0)
    same_ours = g("loadSeconds") + g("preprocessSeconds") + g("inferenceSeconds") + g("restoreSeconds")
    same_peer = peer["loadSeconds"] + peer["inferenceSeconds"]
    gib = lambda kb: f"{kb / 2**20:.2f} GiB ({kb:,} kB)"
    rows = [
        ("wall clock, whole process (`/usr/bin/time -v`)", f"**{ours_t['wall']:.1f} s**", f"{peer_t['wall']:.1f} s"),
        ("peak RSS (`/usr/bin/time -v`)", f"**{gib(ours_t['rss_kb'])}**", gib(peer_t["rss_kb"])),
        ("CPU time (user + sys)", f"{ours_t['cpu']:.1f} s", f"{peer_t['cpu']:.1f} s"),
        ("load NIfTI + normalise + crop", f"{g('loadSeconds'):.1f} + {g('preprocessSeconds'):.1f} s", f"{peer['loadSeconds']:.1f} s"),
        ("sliding window + Gaussian blend + argmax (+ restore grid)", f"{g('inferenceSeconds'):.1f} + {g('restoreSeconds'):.1f} s", f"{peer['inferenceSeconds']:.1f} s"),
        ("**same work** (the two rows above)", f"**{same_ours:.1f} s**", f"**{same_peer:.1f} s**"),
        ("lesion measurements (components, shape, intensity, RECIST)", f"{g('measureSeconds'):.1f} s", "not done"),
        ("write mask.nii.gz", f"{g('maskWriteSeconds'):.1f} s", f"{peer['totalSeconds'] - same_peer:.1f} s"),
        ("report (HTML + PDF + JSON)", f"{g('reportSeconds'):.1f} s", "not done"),
        ("study database (run, labels, lesions, artefacts)", f"{g('databaseSeconds'):.1f} s", "not done"),
        ("process start-up and imports (wall - in-program total)", f"{ours_t['wall'] - g('totalSeconds'):.1f} s", f"{peer_t['wall'] - peer['totalSeconds']:.1f} s"),
        ("exit status", str(ours_t["status"]), str(peer_t["status"])),
    ]
    print(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, synthetic 2-channel {a.tag} 1 mm volume, "
          f"`brats-wt-3d` (patch 48^3, step 0.5, Gaussian sigma 1/8), {a.threads} threads each, load average {a.load}.")
    print("No DICOM-SEG/SR on our side (NIfTI input); our wall clock includes measurements, report and database, the peer's does not.\n")
    print("| | SegStation `segment` | Python peer (nibabel + onnxruntime + MONAI) |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print()
    print(f"Speed-up on the same work: **{same_peer / max(same_ours, 1e-9):.2f}x**; whole process: "
          f"**{peer_t['wall'] / max(ours_t['wall'], 1e-9):.2f}x** (ours doing more); peak RSS ratio peer/ours: "
          f"**{peer_t['rss_kb'] / max(ours_t['rss_kb'], 1):.2f}x**.")
    print(f"Masks agree: Dice {dice:.4f} ({int(m1.sum()):,} vs {int(m2.sum()):,} foreground voxels).")


if __name__ == "__main__":
    main()
