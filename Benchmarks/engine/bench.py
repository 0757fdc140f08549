#!/usr/bin/env python3
"""Side-by-side benchmark: SegStation's engine vs onnxruntime on the same .onnx files, same threads.

Builds (random weights, fixed seed) the nnU-Net-style 3D U-Net (features 32-64-128-256-320-320, two
3x3x3 convs per stage, InstanceNorm + LeakyReLU, ConvTranspose up, 128^3 patch) and the 2D U-Net
(32..512 features, 7 stages, 512^2), then times each at 1 and 2 threads in separate processes
(so each process's peak RSS is its own) and prints a table.

Usage: python3 Benchmarks/engine/bench.py [--segstation .build/release/segstation] [--runs 3]
       [--threads 1,2] [--models unet3d,unet2d_b1,unet2d_b8] [--workdir /tmp/segstation-bench]
Dev-only dependencies: pip install onnx onnxruntime numpy
"""
import argparse, json, os, platform, subprocess, sys, time
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper


def build_unet(dims, feats, cin, classes, seed):
    rng = np.random.default_rng(seed)
    nodes, inits, counter = [], [], [0]

    def name(p):
        counter[0] += 1
        return f"{p}_{counter[0]}"

    def w(shape, s=None):
        fan = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        a = (rng.standard_normal(shape) * (s if s is not None else np.sqrt(2.0 / fan))).astype(np.float32)
        n = name("w"); inits.append(numpy_helper.from_array(a, n)); return n

    def op(t, ins, **attrs):
        o = name(t.lower()); nodes.append(helper.make_node(t, ins, [o], name=name(t), **attrs)); return o

    def conv_block(x, ci, co, stride):
        y = op("Conv", [x, w([co, ci] + [3] * dims), w([co], 0.01)], kernel_shape=[3] * dims, pads=[1] * 2 * dims, strides=[stride] * dims)
        y = op("InstanceNormalization", [y, w([co], 0.1), w([co], 0.1)], epsilon=1e-5)
        return op("LeakyRelu", [y], alpha=0.01)

    x, c, skips = "input", cin, []
    for i, f in enumerate(feats):
        x = conv_block(x, c, f, 1 if i == 0 else 2)
        x = conv_block(x, f, f, 1)
        skips.append(x); c = f
    for i in range(len(feats) - 2, -1, -1):
        f = feats[i]
        x = op("ConvTranspose", [x, w([c, f] + [2] * dims)], kernel_shape=[2] * dims, strides=[2] * dims)
        x = op("Concat", [x, skips[i]], axis=1)
        x = conv_block(x, 2 * f, f, 1)
        x = conv_block(x, f, f, 1)
        c = f
    out = op("Conv", [x, w([classes, c] + [1] * dims), w([classes], 0.01)], kernel_shape=[1] * dims)
    g = helper.make_graph(nodes, "unet", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", cin] + [None] * dims)],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="segstation-bench")
    m.ir_version = 8
    return m


MODELS = {
    "unet3d": ("unet3d.onnx", [1, 1, 128, 128, 128]),
    "unet2d_b1": ("unet2d.onnx", [1, 1, 512, 512]),
    "unet2d_b8": ("unet2d.onnx", [8, 1, 512, 512]),
}

ORT_CHILD = r"""
import json, resource, sys, time, numpy as np, onnxruntime as ort
path, shape, threads, runs = sys.argv[1], [int(s) for s in sys.argv[2].split(',')], int(sys.argv[3]), int(sys.argv[4])
so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
s = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
x = np.load(sys.argv[5]) if len(sys.argv) > 5 else np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
feeds = {s.get_inputs()[0].name: x}
s.run(None, feeds)
times = []
r0 = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(runs):
    t = time.perf_counter(); s.run(None, feeds); times.append(time.perf_counter() - t)
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / runs
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({'median': float(np.median(times)), 'peakRSSMiB': int(hwm) / 1024, 'cpu': cpu}))
"""


def run_ort(path, shape, threads, runs, input_file=None):
    """onnxruntime's median seconds on a seeded random input of `shape`, or on the .npy `input_file`."""
    out = subprocess.run([sys.executable, "-c", ORT_CHILD, path, ",".join(map(str, shape)), str(threads), str(runs)] + ([input_file] if input_file else []),
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def run_engine(exe, path, shape, threads, runs, profile):
    cmd = [exe, "model", "bench", path, "--shape", ",".join(map(str, shape)), "--threads", str(threads), "--runs", str(runs), "--json"]
    if profile:
        cmd.append("--profile")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    return {"median": r["medianSeconds"], "peakRSSMiB": r["peakRSSMiB"], "gflop": r["gflop"], "cpu": r["cpuSecondsPerRun"],
            "profile": r.get("secondsByOperator")}


def measured_peak(workdir):
    """GFLOP per CPU-second of one core running packed FMAs (peak_fma.c), the best of AVX-512 and AVX2."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peak_fma.c")
    exe = os.path.join(workdir, "peak_fma")
    subprocess.run(["cc", "-O2", "-pthread", src, "-o", exe], check=True)
    r = json.loads(subprocess.run([exe, "1"], check=True, capture_output=True, text=True).stdout)
    print(f"# measured FP32 FMA peak per core: AVX-512 {r['avx512PerCPUSecond']} GFLOP/s, AVX2 {r['avx2PerCPUSecond']} GFLOP/s (per CPU-second)")
    return max(r["avx512PerCPUSecond"], r["avx2PerCPUSecond"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--segstation", default=".build/release/segstation")
    ap.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up run")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--models", default="unet3d,unet2d_b1,unet2d_b8")
    ap.add_argument("--workdir", default="/tmp/segstation-bench")
    ap.add_argument("--peak-gflops-per-thread", type=float, default=None,
                    help="FP32 FMA peak per core; default: measured by Benchmarks/engine/peak_fma.c")
    ap.add_argument("--profile", action="store_true", help="add the engine's per-operator profile")
    args = ap.parse_args()
    if args.peak_gflops_per_thread is None:
        args.peak_gflops_per_thread = measured_peak(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    p3 = os.path.join(args.workdir, "unet3d.onnx"); p2 = os.path.join(args.workdir, "unet2d.onnx")
    if not os.path.exists(p3):
        onnx.save(build_unet(3, [32, 64, 128, 256, 320, 320], 1, 3, 3), p3)
    if not os.path.exists(p2):
        onnx.save(build_unet(2, [32, 64, 128, 256, 512, 512, 512], 1, 3, 2), p2)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, onnxruntime {__import__('onnxruntime').__version__}")
    print(f"# load average before: {os.getloadavg()}")
    print(f"# % of peak: wall GFLOP/s / (threads x {args.peak_gflops_per_thread:.1f}); CPU % of peak: GFLOP per CPU-second / {args.peak_gflops_per_thread:.1f}")
    print("| model | input | threads | GFLOP | onnxruntime s | engine s | speed-up | engine GFLOP/s | % of peak | ort CPU s/run | engine CPU s/run | CPU ratio | ort CPU % of peak | engine CPU % of peak | ort peak MiB | engine peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in args.models.split(","):
        f, shape = MODELS[key]
        path = os.path.join(args.workdir, f)
        for t in [int(x) for x in args.threads.split(",")]:
            o = run_ort(path, shape, t, args.runs)
            e = run_engine(args.segstation, path, shape, t, args.runs, args.profile)
            gfs = e["gflop"] / e["median"]
            print(f"| {key} | {'x'.join(map(str, shape))} | {t} | {e['gflop']:.0f} | {o['median']:.3f} | {e['median']:.3f} | "
                  f"{o['median'] / e['median']:.2f}x | {gfs:.0f} | {100 * gfs / (args.peak_gflops_per_thread * t):.0f}% | "
                  f"{o['cpu']:.2f} | {e['cpu']:.2f} | {o['cpu'] / e['cpu']:.2f}x | "
                  f"{100 * e['gflop'] / o['cpu'] / args.peak_gflops_per_thread:.0f}% | {100 * e['gflop'] / e['cpu'] / args.peak_gflops_per_thread:.0f}% | {o['peakRSSMiB']:.0f} | {e['peakRSSMiB']:.0f} |", flush=True)
            if e["profile"]:
                top = sorted(e["profile"].items(), key=lambda kv: -kv[1])[:8]
                print("|  | profile | | | | " + ", ".join(f"{k} {v:.3f}s" for k, v in top) + " | | | | | | | | | | |", flush=True)


if __name__ == "__main__":
    main()
