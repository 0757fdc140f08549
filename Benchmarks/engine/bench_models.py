#!/usr/bin/env python3
"""Issue 16 benchmarks, engine vs onnxruntime in the same run (dev-only: pip install torch torchvision
monai onnx onnxruntime numpy; a release build of segstation; cc and libdnnl-dev for the oneDNN harness).

  python3 Benchmarks/engine/bench_models.py [--segstation .build/release/segstation] [--threads 1,2]
         [--repeats 3] [--parts models,matmul,convs,unet,maskrcnn] [--models unetr,swinunetr,...] [--workdir /tmp/segstation-bench-i16]
         [--maskrcnn-dir /tmp/segstation-bench-i17] [--runs 1] [--no-winograd]

Parts (each measurement a separate process after one warm-up run; medians over --repeats rounds,
the engine and onnxruntime alternating within each round):
- models: the full-size exports of Scripts/engine/export_models.py --full (random weights, fixed
  seeds; UNETR and SwinUNETR at 96^3, DeepLabV3 ResNet-50 and MobileNetV3-Large at 512^2), written
  into --workdir when missing (100+ MB each, never committed): seconds and peak RSS (VmHWM) of both.
  The engine's output is also checked against onnxruntime's on the export's recorded input.
- matmul: MatMul 1024x1024x1024 (constant B, as in a network) through the engine vs the oneDNN
  matmul primitive alone (Benchmarks/engine/onednn_best.c: the peak oneDNN reaches here).
- convs: every distinct 3x3x3 convolution of the 3D U-Net at 128^3 (Benchmarks/engine/bench.py)
  as a one-node model through the engine vs oneDNN's best of three source layouts for that shape.
- unet: the whole 3D U-Net at 128^3 vs onnxruntime.
- maskrcnn (issue 17): torchvision Mask R-CNN v1 and v2 at 512^2 (Scripts/engine/export_maskrcnn.py
  --full, written into --maskrcnn-dir when missing), the small test fixture at 96^2 and the demo model
  brats-instances-2d at 192^2 (--models picks among maskrcnn_resnet50_fpn, maskrcnn_resnet50_fpn_v2,
  maskrcnn_small, brats_instances_2d, brats_instances_2d_slice): the fast backend vs
  onnxruntime on random uniform [-1, 1] images, as `model bench` feeds the engine, and for
  brats_instances_2d_slice on a real BraTS slice (`brats_slice`: the demo finds nothing on random
  values, and a detector's tail costs per detection; needs ../shared/data and nibabel). Before
  timing, `model run` on the same input saved to .npy checks that the engine keeps as many
  detections as onnxruntime on it (printed).
Every line states the CPU model, whether it has AVX-512, and the load average when it was measured.
"""
import argparse, json, os, platform, statistics, subprocess, sys, time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (build_unet, run_ort, run_engine)

FULL = {"unetr": [1, 1, 96, 96, 96], "swinunetr": [1, 1, 96, 96, 96],
        "deeplabv3_resnet50": [1, 3, 512, 512], "deeplabv3_mobilenetv3": [1, 3, 512, 512]}


NO_WINOGRAD = False  # --no-winograd: the engine's 3x3 convolutions all direct (issue 16, session 15 baseline)


def cpu():
    name = "unknown CPU"
    flags = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and name == "unknown CPU":
            name = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line
    return f"{name}, {'AVX-512' if 'avx512f' in flags else 'no AVX-512'}, {os.cpu_count()} CPUs"


def load():
    return "load %.1f %.1f %.1f" % os.getloadavg()


def ensure_exports(workdir):
    missing = [n for n in FULL if not os.path.exists(os.path.join(workdir, f"full_{n}.onnx"))]
    if missing:
        subprocess.run([sys.executable, os.path.join(REPO, "Scripts", "engine", "export_models.py"), "--full", "--out", workdir,
                        "--only", ",".join(missing)], check=True)


def engine_bench(exe, path, shape, threads, runs=1, layout=None, input_file=None):
    given = ["--input", input_file] if input_file else ["--shape", ",".join(map(str, shape))]
    cmd = [exe, "model", "bench", path] + given + ["--threads", str(threads), "--runs", str(runs), "--json"]
    if layout:
        cmd += ["--layout", layout]
    if NO_WINOGRAD:
        cmd += ["--no-winograd"]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return {"median": r["medianSeconds"], "peakRSSMiB": r["peakRSSMiB"], "cpu": r["cpuSecondsPerRun"]}


def check_output(exe, workdir, name, threads):
    """max |engine - onnxruntime| / max |onnxruntime| on the export's recorded input."""
    out = os.path.join(workdir, f"engine_{name}.npy")
    subprocess.run([exe, "model", "run", os.path.join(workdir, f"full_{name}.onnx"), "--input",
                    os.path.join(workdir, f"full_{name}.in0.npy"), "--output", out, "--threads", str(threads)], check=True)
    ref = np.load(os.path.join(workdir, f"full_{name}.out0.npy"))
    return float(np.abs(np.load(out) - ref).max() / np.abs(ref).max())


def rounds(repeats, measure):
    """Median of each key over `repeats` calls of measure() -> {key: {median, peakRSSMiB, cpu}}."""
    results = [measure() for _ in range(repeats)]
    keys = results[0].keys()
    return {k: {f: statistics.median(r[k][f] for r in results) for f in results[0][k]} for k in keys}


def part_models(args, exe):
    ensure_exports(args.workdir)
    print("\n### Models vs onnxruntime (median of %d rounds; each side's time per round: the median of %d runs after a warm-up)\n" % (args.repeats, args.runs))
    print("| model | input | threads | onnxruntime s | engine s | speed-up | ort peak MiB | engine peak MiB | engine/ort memory | max rel. diff | CPU, load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, shape in FULL.items():
        if name not in args.models.split(","):
            continue
        path = os.path.join(args.workdir, f"full_{name}.onnx")
        diff = check_output(exe, args.workdir, name, 2)
        for t in args.threads:
            def measure():
                return {"ort": bench.run_ort(path, shape, t, args.runs), "engine": engine_bench(exe, path, shape, t, runs=args.runs)}
            r = rounds(args.repeats, measure)
            o, e = r["ort"], r["engine"]
            print(f"| {name} | {'x'.join(map(str, shape))} | {t} | {o['median']:.3f} | {e['median']:.3f} | {o['median'] / e['median']:.2f}x | "
                  f"{o['peakRSSMiB']:.0f} | {e['peakRSSMiB']:.0f} | {e['peakRSSMiB'] / o['peakRSSMiB']:.2f} | {diff:.1e} | {CPU}, {load()} |", flush=True)


def matmul_model(path, n, seed=16):
    b = np.random.default_rng(seed).uniform(-1, 1, (n, n)).astype(np.float32)
    g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
                          [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])], [numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def harness(workdir):
    exe = os.path.join(workdir, "onednn_best")
    subprocess.run(["cc", "-O2", os.path.join(HERE, "onednn_best.c"), "-ldnnl", "-o", exe], check=True)
    return exe


def run_harness(exe, args, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    lines = subprocess.run([exe] + args, check=True, capture_output=True, text=True, env=env).stdout.splitlines()
    return [json.loads(l) for l in lines]


def part_matmul(args, exe, h):
    n = 1024
    path = os.path.join(args.workdir, "matmul1024.onnx")
    if not os.path.exists(path):
        matmul_model(path, n)
    gflop = 2 * n ** 3 / 1e9
    print("\n### MatMul 1024x1024x1024 vs oneDNN's own matmul primitive (median of %d rounds, 20 runs each)\n" % args.repeats)
    print("| threads | engine GFLOP/s | oneDNN GFLOP/s (implementation) | engine / oneDNN | CPU, load |")
    print("|---|---|---|---|---|")
    for t in args.threads:
        eng, one, impl = [], [], ""
        for _ in range(args.repeats):
            eng.append(gflop / engine_bench(exe, path, [n, n], t, runs=20)["median"])
            r = run_harness(h, ["matmul", str(n), str(n), str(n), "20"], t)[0]
            one.append(r["gflops"]); impl = r["impl"]
        e, o = statistics.median(eng), statistics.median(one)
        print(f"| {t} | {e:.1f} | {o:.1f} ({impl}) | {100 * e / o:.0f}% | {CPU}, {load()} |", flush=True)


def conv_model(path, cin, cout, stride, seed):
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((cout, cin, 3, 3, 3)) * np.sqrt(2 / (cin * 27))).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.01).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3, 3], pads=[1] * 6, strides=[stride] * 3)
    g = helper.make_graph([node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", cin, None, None, None])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def unet_conv_layers(size=128, feats=(32, 64, 128, 256, 320, 320)):
    """(cin, cout, input size, stride) of every 3x3x3 convolution of bench.build_unet's 3D U-Net, distinct."""
    layers, c, s = [], 1, size
    for i, f in enumerate(feats):
        stride = 1 if i == 0 else 2
        layers.append((c, f, s, stride)); s //= stride
        layers.append((f, f, s, 1)); c = f
    for i in range(len(feats) - 2, -1, -1):
        f = feats[i]; s *= 2
        layers.append((2 * f, f, s, 1)); layers.append((f, f, s, 1)); c = f
    return sorted(set(layers), key=lambda l: (-l[2], l[0], l[1]))


def part_convs(args, exe, h):
    t = max(args.threads)
    print(f"\n### Each 3x3x3 convolution of the 3D U-Net at 128^3 vs oneDNN's best for that shape ({t} threads, median of {args.repeats} rounds)\n")
    print("| cin -> cout | input | stride | GFLOP | engine GFLOP/s | oneDNN best GFLOP/s (layout, impl) | oneDNN `any` impl | engine / best | CPU, load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, (cin, cout, s, stride) in enumerate(unet_conv_layers()):
        path = os.path.join(args.workdir, f"conv_{cin}_{cout}_{s}_{stride}.onnx")
        if not os.path.exists(path):
            conv_model(path, cin, cout, stride, 1600 + i)
        out = (s - 1) // stride + 1
        gflop = 2 * cin * cout * 27 * out ** 3 / 1e9
        eng, best, label, anyimpl = [], [], "", ""
        for _ in range(args.repeats):
            # The convolution step alone (`--profile`): a one-node model also reorders its plain input and output,
            # which inside a network happen once at the ends, and the harness times the primitive only.
            prof = bench.run_engine(exe, path, [1, cin, s, s, s], t, args.conv_runs, True)["profile"]
            eng.append(gflop / sum(v for k, v in prof.items() if k.startswith("Conv")))
            rows = run_harness(h, ["conv", str(cin), str(cout), str(s), str(s), str(s), str(stride), str(args.conv_runs)], t)
            top = max(rows[:3], key=lambda r: r["gflops"])
            best.append(top["gflops"]); label = f"{top['src']}, {top['impl']}"; anyimpl = rows[0]["impl"]
        e, b = statistics.median(eng), statistics.median(best)
        print(f"| {cin} -> {cout} | {s}^3 | {stride} | {gflop:.1f} | {e:.1f} | {b:.1f} ({label}) | {anyimpl} | {100 * e / b:.0f}% | {CPU}, {load()} |", flush=True)


def part_unet(args, exe):
    path = os.path.join(args.workdir, "unet3d.onnx")
    if not os.path.exists(path):
        onnx.save(bench.build_unet(3, [32, 64, 128, 256, 320, 320], 1, 3, 3), path)
    shape = [1, 1, 128, 128, 128]
    print(f"\n### 3D U-Net (nnU-Net style, 955 GFLOP) at 128^3 vs onnxruntime (median of {args.repeats} rounds)\n")
    print("| threads | onnxruntime s | engine s (oneDNN layouts) | speed-up | engine s (blocked nCdhw16c) | ort peak MiB | engine peak MiB | CPU, load |")
    print("|---|---|---|---|---|---|---|---|")
    for t in args.threads:
        def measure():
            return {"ort": bench.run_ort(path, shape, t, 1), "engine": engine_bench(exe, path, shape, t),
                    "blocked": engine_bench(exe, path, shape, t, layout="blocked")}
        r = rounds(args.repeats, measure)
        print(f"| {t} | {r['ort']['median']:.2f} | {r['engine']['median']:.2f} | {r['ort']['median'] / r['engine']['median']:.2f}x | "
              f"{r['blocked']['median']:.2f} | {r['ort']['peakRSSMiB']:.0f} | {r['engine']['peakRSSMiB']:.0f} | {CPU}, {load()} |", flush=True)


MASKRCNN = {"maskrcnn_resnet50_fpn": [1, 3, 512, 512], "maskrcnn_resnet50_fpn_v2": [1, 3, 512, 512], "maskrcnn_small": [1, 3, 96, 96],
            "brats_instances_2d": [2, 192, 192], "brats_instances_2d_slice": [2, 192, 192]}


def brats_slice(workdir):
    """A real input for the demo model (which finds nothing on random values): BraTS 2013 case 6's
    axial slice with the most tumour (z 90), FLAIR and T1c z-scored over the voxels above the
    minimum (the manifest's normalisation), centred in 192x192. Needs ../shared/data."""
    import nibabel as nib
    d = os.path.join(REPO, "..", "shared", "data", "brats2013", "brats_2013_pat0006_1")
    out = os.path.join(workdir, "brats_pat0006_z90.npy")
    chans = []
    for f in ("Flair_subtrMeanDivStd.nii.gz", "T1c_subtrMeanDivStd.nii.gz"):
        v = nib.load(os.path.join(d, f)).get_fdata().astype(np.float32)
        m = v > v.min()
        v = (v - v[m].mean()) / v[m].std() * m
        a, c = v[:, :, 90].T, np.zeros((192, 192), np.float32)
        h, w = a.shape
        ys, xs, yd, xd = max(0, (h - 192) // 2), max(0, (w - 192) // 2), max(0, (192 - h) // 2), max(0, (192 - w) // 2)
        c[yd:yd + min(h, 192), xd:xd + min(w, 192)] = a[ys:ys + min(h, 192), xs:xs + min(w, 192)]
        chans.append(c)
    np.save(out, np.stack(chans).astype(np.float32))
    return out

ORT_DETECTIONS = r"""
import sys, numpy as np, onnxruntime as ort
so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.log_severity_level = 3
s = ort.InferenceSession(sys.argv[1], so, providers=['CPUExecutionProvider'])
print(s.run(None, {s.get_inputs()[0].name: np.load(sys.argv[2])})[0].shape[0])
"""


def maskrcnn_path(args, name):
    if name == "maskrcnn_small":
        return os.path.join(REPO, "Tests", "EngineTests", "Fixtures", "maskrcnn_small.onnx")
    if name.startswith("brats_instances_2d"):  # the demo instance model (one unbatched 2-channel slice)
        return os.path.join(REPO, "Models", "brats-instances-2d", "model.onnx")
    path = os.path.join(args.maskrcnn_dir, f"{name}.onnx")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(REPO, "Scripts", "engine", "export_maskrcnn.py"), "--full", "--out", args.maskrcnn_dir], check=True)
    return path


def detection_counts(exe, path, shape, workdir, input_file=None):
    """Detections of the engine (fast, 2 threads) and of onnxruntime on `input_file`, else on one random uniform [-1, 1] image."""
    x = input_file or os.path.join(workdir, "maskrcnn_bench_input.npy")
    if not input_file:
        np.save(x, np.random.default_rng(17).uniform(-1, 1, shape).astype(np.float32))
    out = os.path.join(workdir, "maskrcnn_bench_out.npy")
    subprocess.run([exe, "model", "run", path, "--input", x, "--output", out, "--threads", "2"], check=True, capture_output=True)
    engine = np.load(out.replace(".npy", "-scores.npy")).shape[0]
    ort_count = int(subprocess.run([sys.executable, "-c", ORT_DETECTIONS, path, x], check=True, capture_output=True, text=True).stdout)
    return engine, ort_count


def part_maskrcnn(args, exe):
    os.makedirs(args.maskrcnn_dir, exist_ok=True)
    print(f"\n### Mask R-CNN vs onnxruntime (fast backend; median of {args.repeats} rounds, engine and onnxruntime alternating)\n")
    print("| model | input | threads | detections engine / ort | onnxruntime s | engine s | speed-up | ort peak MiB | engine peak MiB | CPU, load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, shape in MASKRCNN.items():
        if name not in args.models.split(","):
            continue
        path = maskrcnn_path(args, name)
        given = brats_slice(args.workdir) if name == "brats_instances_2d_slice" else None
        counts = detection_counts(exe, path, shape, args.workdir, given)
        for t in args.threads:
            def measure():
                return {"ort": bench.run_ort(path, shape, t, args.runs, given), "engine": engine_bench(exe, path, shape, t, runs=args.runs, input_file=given)}
            r = rounds(args.repeats, measure)
            o, e = r["ort"], r["engine"]
            print(f"| {name} | {'x'.join(map(str, shape))} | {t} | {counts[0]} / {counts[1]} | {o['median']:.4g} | {e['median']:.4g} | "
                  f"{o['median'] / e['median']:.2f}x | {o['peakRSSMiB']:.0f} | {e['peakRSSMiB']:.0f} | {CPU}, {load()} |", flush=True)


CPU = cpu()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--segstation", default=os.path.join(REPO, ".build", "release", "segstation"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-winograd", action="store_true", help="run the engine with `model bench --no-winograd` (every 3x3 convolution direct)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--parts", default="models,matmul,convs,unet")
    ap.add_argument("--models", default=",".join(list(FULL) + list(MASKRCNN)), help="comma-separated subset of the models and maskrcnn parts")
    ap.add_argument("--workdir", default="/tmp/segstation-bench-i16")
    ap.add_argument("--conv-runs", type=int, default=3, help="timed runs per convolution layer (after one warm-up)")
    ap.add_argument("--runs", type=int, default=1, help="timed runs per process (after one warm-up) in the models and maskrcnn parts; the median is taken")
    ap.add_argument("--maskrcnn-dir", default="/tmp/segstation-bench-i17", help="where the full-size Mask R-CNN exports are (or are written)")
    args = ap.parse_args()
    global NO_WINOGRAD
    NO_WINOGRAD = args.no_winograd
    args.threads = [int(x) for x in args.threads.split(",")]
    os.makedirs(args.workdir, exist_ok=True)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {CPU}; onnxruntime {__import__('onnxruntime').__version__}; "
          f"{platform.platform()}; {load()}")
    parts = args.parts.split(",")
    h = harness(args.workdir) if {"matmul", "convs"} & set(parts) else None
    if "matmul" in parts: part_matmul(args, args.segstation, h)
    if "convs" in parts: part_convs(args, args.segstation, h)
    if "unet" in parts: part_unet(args, args.segstation)
    if "models" in parts: part_models(args, args.segstation)
    if "maskrcnn" in parts: part_maskrcnn(args, args.segstation)


if __name__ == "__main__":
    main()
