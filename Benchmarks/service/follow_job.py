#!/usr/bin/env python3
"""Follows the newest job of `segstation serve` from the last instance sent to its SEG stored in the PACS
(Benchmarks/service/bench.sh, part 2). Polls GET /jobs and Orthanc's /tools/find every 20 ms, reads the run's
segmentation.json timings, and prints the split as one JSON line:
  stable wait (last instance -> job queued), pickup (queued -> running), load (reading the inputs),
  inference (preprocess + network + restore), measure, export (mask, SEG/SR, report), record+send (the rest
  until the SEG is in the PACS), job wall (running -> done, by polling) and total.
With SERVE_PID it also prints jobCPU: the service process's CPU seconds (user + system, /proc/PID/stat) from
running to done, which a shared machine's load does not inflate as it inflates wall time.
usage: follow_job.py LAST_EPOCH API_BASE TOKEN ORTHANC_BASE SEG_COUNT_WANTED [SERVE_PID]
"""
import json, os, sys, time, urllib.request

last, api, token, pacs, want = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
serve_pid = sys.argv[6] if len(sys.argv) > 6 else None


def cpu():
    """User + system CPU seconds of the service process (fields 14 and 15 of /proc/PID/stat)."""
    if serve_pid is None:
        return 0.0
    fields = open("/proc/%s/stat" % serve_pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(url, body=None, auth=True):
    request = urllib.request.Request(url, data=body)
    if auth:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


queued = running = seg = done = None
cpu_running = cpu_done = 0.0
deadline = time.time() + 1800
while time.time() < deadline:
    now = time.time()
    jobs = get(api + "/jobs")
    newest = jobs[0] if len(jobs) >= want else None
    if newest and queued is None:
        queued = now
    if newest and running is None and newest["state"] != "queued":
        running = now
        cpu_running = cpu()
    if newest and done is None and newest["state"] in ("done", "failed"):
        done = now
        cpu_done = cpu()
        if newest["state"] == "failed":
            sys.exit("job failed: " + json.dumps(newest))
    if seg is None and len(get(pacs + "/tools/find", json.dumps({"Level": "Instance", "Query": {"Modality": "SEG"}}).encode(), auth=False)) >= want:
        seg = now
    if seg and done:
        break
    time.sleep(0.02)
else:
    sys.exit("timed out")
run = get(api + "/runs/%d" % newest["runID"])
seg_path = [a["path"] for a in run["artefacts"] if a["kind"] == "seg"][0]
t = json.load(open(os.path.join(os.path.dirname(seg_path), "segmentation.json")))["timingsSeconds"]
inference = t.get("preprocessSeconds", 0) + t.get("inferenceSeconds", 0) + t.get("restoreSeconds", 0)
measure = t.get("cleanupSeconds", 0) + t.get("measureSeconds", 0)
export = t.get("maskWriteSeconds", 0) + t.get("dicomExportSeconds", 0) + t.get("reportSeconds", 0)
load = t.get("loadSeconds", 0)
print(json.dumps({
    "job": newest["id"], "run": newest["runID"],
    "stableWait": round(queued - last, 3), "pickup": round(running - queued, 3), "load": round(load, 3),
    "inference": round(inference, 3), "measure": round(measure, 3), "export": round(export, 3),
    "recordAndSend": round(seg - running - load - inference - measure - export, 3),
    "jobWall": round(done - running, 3), "total": round(seg - last, 3),
    **({"jobCPU": round(cpu_done - cpu_running, 2)} if serve_pid else {}),
}))
