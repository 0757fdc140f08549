// rtstruct-bench: time writing an RT Structure Set of many ROIs over a DICOM series
// (driven by Benchmarks/rtstruct/run_benchmark.py, which times rt-utils and plastimatch on the same mask).
// usage: rtstruct-bench SOURCE_DIR OUT.dcm LABELS.u8 [--labels 100] [--slices-per-label 60] [--tolerance-mm 0.2]
// Writes the label map it used to LABELS.u8 (frames in slice order, row-major) for the peers, then prints
// one JSON line of timings.
import DICOM
import Dispatch
import Foundation
import Imaging

func seconds(_ start: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

/// User + system CPU seconds of this process so far (the machine is shared: wall time depends on load).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    let t = [usage.ru_utime, usage.ru_stime]
    return t.reduce(0) { $0 + Double($1.tv_sec) + Double($1.tv_usec) / 1e6 }
}

let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write(Data("usage: rtstruct-bench SOURCE_DIR OUT.dcm LABELS.u8 [--labels N] [--slices-per-label N] [--tolerance-mm T]\n".utf8))
    exit(2)
}
func option(_ name: String, _ fallback: Double) -> Double {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Double(args[i + 1]) else { return fallback }
    return v
}
let labels = Int(option("--labels", 100)), span = Int(option("--slices-per-label", 60))

do {
    var start = DispatchTime.now()
    let source = try SEGSourceSeries.read(URL(fileURLWithPath: args[1]))
    let readSeconds = seconds(start)
    let g = source.geometry
    // 100 labels on a 10 x 10 in-plane grid (as seg-bench): discs whose radius changes from slice to slice,
    // every odd label with a hole and an island in it; label s spans `span` slices starting at a position
    // that cycles through the series.
    var map = LabelMap(geometry: g, repeating: 0)
    let cell = SIMD2(g.size.x / 10, g.size.y / 10)
    map.voxels.withUnsafeMutableBufferPointer { v in
        for s in 0..<labels {
            let cx = (s % 10) * cell.x + cell.x / 2, cy = ((s / 10) % 10) * cell.y + cell.y / 2
            let k0 = (s * 37) % max(1, g.size.z - span), k1 = min(g.size.z, k0 + span)
            for k in k0..<k1 {
                let r = min(cell.x, cell.y) / 2 - 1 - (k + s) % 4
                let hole = s % 2 == 1 ? r / 2 : 0, island = s % 2 == 1 ? r / 5 : 0
                for j in (cy - r)...(cy + r) where j >= 0 && j < g.size.y {
                    for i in (cx - r)...(cx + r) where i >= 0 && i < g.size.x {
                        let d2 = (i - cx) * (i - cx) + (j - cy) * (j - cy)
                        if d2 <= r * r && (d2 > hole * hole || d2 <= island * island) { v[i + g.size.x * (j + g.size.y * k)] = UInt8(s + 1) }
                    }
                }
            }
        }
    }
    try Data(map.voxels).write(to: URL(fileURLWithPath: args[3]))
    var options = RTStructWriteOptions(softwareVersion: "bench", algorithmName: "rtstruct-bench")
    options.toleranceMM = option("--tolerance-mm", RTStructWriteOptions.defaultToleranceMM)
    let rois = (1...labels).map { RTROIDescription(labelValue: UInt8($0), name: "ROI \($0)") }
    start = DispatchTime.now()
    let cpuStart = cpuSeconds()
    let result = try RTStructWriter(options: options).write(labelMap: map, rois: rois, over: source, to: URL(fileURLWithPath: args[2]))
    let writeSeconds = seconds(start)
    let writeCPU = cpuSeconds() - cpuStart
    let bytes = (try FileManager.default.attributesOfItem(atPath: args[2])[.size] as? Int) ?? 0
    print("{\"slices\": \(source.frames.count), \"rows\": \(source.rows), \"columns\": \(source.columns), \"labels\": \(labels), " +
          "\"contours\": \(result.contourCount), \"points\": \(result.pointCount), \"traced_vertices\": \(result.tracedVertexCount), " +
          "\"tolerance_mm\": \(options.toleranceMM), \"read_source_s\": \(readSeconds), \"write_s\": \(writeSeconds), \"write_cpu_s\": \(writeCPU), \"bytes\": \(bytes)}")
} catch {
    FileHandle.standardError.write(Data("rtstruct-bench: \(error)\n".utf8))
    exit(1)
}
