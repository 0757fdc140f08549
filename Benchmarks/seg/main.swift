// seg-bench: time writing a many-segment DICOM-SEG over a DICOM series (see Benchmarks/seg/run_benchmark.py).
// usage: seg-bench SOURCE_DIR OUT.dcm LABELS.u8 [--segments 100] [--slices-per-segment 60] [--every-slice]
// Writes the label map it used to LABELS.u8 (frames in slice order, row-major) for the highdicom run,
// then prints one JSON line of timings.
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
    FileHandle.standardError.write(Data("usage: seg-bench SOURCE_DIR OUT.dcm LABELS.u8 [--segments N] [--slices-per-segment N] [--every-slice]\n".utf8))
    exit(2)
}
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}
let segments = option("--segments", 100), span = option("--slices-per-segment", 60)
let everySlice = args.contains("--every-slice")

do {
    var start = DispatchTime.now()
    let source = try SEGSourceSeries.read(URL(fileURLWithPath: args[1]))
    let readSeconds = seconds(start)
    let g = source.geometry
    // 100 disc-shaped segments on a 10 x 10 in-plane grid, radius changing from slice to slice; segment s
    // spans `span` slices starting at a position that cycles through the series (or every slice with
    // --every-slice).
    var map = LabelMap(geometry: g, repeating: 0)
    let cell = SIMD2(g.size.x / 10, g.size.y / 10)
    map.voxels.withUnsafeMutableBufferPointer { v in
        for s in 0..<segments {
            let cx = (s % 10) * cell.x + cell.x / 2, cy = ((s / 10) % 10) * cell.y + cell.y / 2
            let k0 = everySlice ? 0 : (s * 37) % max(1, g.size.z - span)
            let k1 = everySlice ? g.size.z : min(g.size.z, k0 + span)
            for k in k0..<k1 {
                let r = min(cell.x, cell.y) / 2 - 1 - (k + s) % 4   // varies along k, so frames differ between slices
                for j in (cy - r)...(cy + r) where j >= 0 && j < g.size.y {
                    for i in (cx - r)...(cx + r) where i >= 0 && i < g.size.x && (i - cx) * (i - cx) + (j - cy) * (j - cy) <= r * r {
                        v[i + g.size.x * (j + g.size.y * k)] = UInt8(s + 1)
                    }
                }
            }
        }
    }
    try Data(map.voxels).write(to: URL(fileURLWithPath: args[3]))
    let descriptions = (1...segments).map { SegmentDescription(labelValue: $0, label: "Segment \($0)") }
    let writer = SEGWriter(options: SEGWriteOptions(softwareVersion: "bench", algorithmName: "seg-bench", algorithmVersion: "1"))
    start = DispatchTime.now()
    let cpuStart = cpuSeconds()
    let result = try writer.write(labelMap: map, segments: descriptions, over: source, to: URL(fileURLWithPath: args[2]))
    let writeSeconds = seconds(start)
    let writeCPU = cpuSeconds() - cpuStart
    let bytes = (try FileManager.default.attributesOfItem(atPath: args[2])[.size] as? Int) ?? 0
    print("{\"slices\": \(source.frames.count), \"rows\": \(source.rows), \"columns\": \(source.columns), \"segments\": \(segments), " +
          "\"frames\": \(result.frameCount), \"read_source_s\": \(readSeconds), \"write_seg_s\": \(writeSeconds), \"write_seg_cpu_s\": \(writeCPU), \"bytes\": \(bytes)}")
} catch {
    FileHandle.standardError.write(Data("seg-bench: \(error)\n".utf8))
    exit(1)
}
