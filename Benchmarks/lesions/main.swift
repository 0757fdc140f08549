// Lesions benchmark: connected components and marching cubes on a 512 x 512 x 300 mask.
// Usage: lesions-bench [--mask-out MASK.raw] [--repeats N] [--mesh-repeats M] [--cc-only | --instances]
//   --mask-out  writes the mask as raw uint8 (i fastest) for Benchmarks/lesions/bench.py
//   --repeats   timed calls per connected-components connectivity (default 5); all times are printed
//   --mesh-repeats  timed SurfaceMesh calls (default 1)
//   --cc-only   skip meshing and LesionAnalyzer (LesionAnalyzer is timed once)
//   --instances issue 17 only: per-slice instance linking (every 2D piece of every slice a detection)
//               timed --repeats times, then the watershed split once
// Each timed interval covers only the call: the previous result is released before the clock starts.
import Foundation
import Imaging
import Lesions

func elapsed(_ body: () -> Void) -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

/// Process CPU seconds of `body` (the benchmark is single-threaded): less sensitive than wall
/// time to other work on the machine.
func cpuSeconds(_ body: () -> Void) -> Double {
    var t0 = timespec(), t1 = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0)
    body()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1)
    return Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
}

func formatTimes(_ times: [Double]) -> String { times.map { String(format: "%.4f", $0) }.joined(separator: " ") }

/// 60 ellipsoidal "lesions" of radius 3-40 voxels plus 0.2% scattered voxels (many tiny components).
func makeMask() -> LabelMap {
    let n = SIMD3(512, 512, 300)
    let g = VolumeGeometry(size: n, spacingMM: Vector3(0.78, 0.78, 1.5))
    var v = [UInt8](repeating: 0, count: g.voxelCount)
    var s: UInt32 = 12345
    func next() -> UInt32 { s = s &* 1664525 &+ 1013904223; return s }
    for b in 0..<60 {
        let c = SIMD3(Int(next() % 512), Int(next() % 512), Int(next() % 300))
        let r = 3 + Double(next() % 38)
        let rk = max(2, r * 0.52)
        let label = UInt8(1 + b % 3)
        for k in max(0, c.z - Int(rk))...min(n.z - 1, c.z + Int(rk)) {
            for j in max(0, c.y - Int(r))...min(n.y - 1, c.y + Int(r)) {
                for i in max(0, c.x - Int(r))...min(n.x - 1, c.x + Int(r)) {
                    let d = pow(Double(i - c.x) / r, 2) + pow(Double(j - c.y) / r, 2) + pow(Double(k - c.z) / rk, 2)
                    if d <= 1 { v[i + n.x * (j + n.y * k)] = label }
                }
            }
        }
    }
    for idx in 0..<v.count where next() % 1000 < 2 { v[idx] = 1 }
    return LabelMap(geometry: g, voxels: v)
}

/// Same formula as `canonical()` in bench.py (and the tests): sum of id * (index mod 1000003 + 1).
func checksum(_ ids: [Int32]) -> Int64 {
    ids.withUnsafeBufferPointer { p in
        var s: Int64 = 0
        for v in 0..<p.count { s &+= Int64(p[v]) &* Int64(v % 1_000_003 + 1) }
        return s
    }
}

var maskOut: String?
var repeats = 5
var meshRepeats = 1
var ccOnly = false
var instancesOnly = false
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    switch a {
    case "--mask-out": maskOut = arguments.popFirst()
    case "--repeats": repeats = max(1, Int(arguments.popFirst() ?? "") ?? 5)
    case "--mesh-repeats": meshRepeats = max(1, Int(arguments.popFirst() ?? "") ?? 1)
    case "--cc-only": ccOnly = true
    case "--instances": instancesOnly = true
    default:
        FileHandle.standardError.write("usage: lesions-bench [--mask-out MASK.raw] [--repeats N] [--mesh-repeats M] [--cc-only | --instances]\n".data(using: .utf8)!)
        exit(2)
    }
}

let mask = makeMask()
if let path = maskOut { try Data(mask.voxels).write(to: URL(fileURLWithPath: path)) }
let nonZero = mask.voxels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
print("mask 512x512x300, \(nonZero) non-zero voxels, labels 1-3")
if instancesOnly {
    // Detections as a perfect per-slice detector would give them: each 2D piece of each slice.
    let pieces = ConnectedComponents.label(mask, connectivity: .twentySix, withinSlices: true)
    let plane = 512 * 512
    var sliceOf = [Int](repeating: -1, count: pieces.components.count)
    for (index, id) in pieces.instances.voxels.enumerated() where id != 0 && sliceOf[Int(id) - 1] < 0 { sliceOf[Int(id) - 1] = index / plane }
    let detections = pieces.components.map { SliceDetection(id: $0.id, slice: sliceOf[Int($0.id) - 1], label: $0.label, score: 0.9) }
    var linkedCount = 0
    var times: [Double] = [], cpu: [Double] = []
    for _ in 0..<repeats {
        var wall = 0.0
        cpu.append(cpuSeconds { wall = elapsed { linkedCount = (try! SliceInstanceLinking.link(detectionMap: pieces.instances, detections: detections)).linked.count } })
        times.append(wall)
    }
    print("swift_link detections \(detections.count) instances \(linkedCount) times \(formatTimes(times)) cpu \(formatTimes(cpu))")
    var split = 0, tSplit = 0.0
    let cSplit = cpuSeconds { tSplit = elapsed { split = (try! WatershedSplit.split(mask, minDistanceMM: 5)).components.count } }
    print("swift_watershed instances \(split) times \(formatTimes([tSplit])) cpu \(formatTimes([cSplit]))")
    exit(0)
}
for c in Connectivity.allCases {
    var result: ComponentLabeling?
    var times: [Double] = []
    for _ in 0..<repeats {
        result = nil
        times.append(elapsed { result = ConnectedComponents.label(mask, connectivity: c) })
    }
    let cc = result!
    print("swift_cc\(c.rawValue) components \(cc.components.count) checksum \(checksum(cc.instances.voxels)) times \(formatTimes(times))")
}
if ccOnly { exit(0) }
let binary = BinaryRegion(mask) { $0 != 0 }
var triangles = 0
var meshTimes: [Double] = []
for _ in 0..<meshRepeats {
    var mesh: SurfaceMesh?
    meshTimes.append(elapsed { mesh = SurfaceMesh(binary) })
    triangles = mesh!.triangles.count
}
print("swift_mesh triangles \(triangles) times \(formatTimes(meshTimes))")
var lesions = 0
let tArea = elapsed { lesions = (try! LesionAnalyzer.measure(labels: mask, connectivity: .twentySix)).map(\.lesionCount).reduce(0, +) }
print("swift_measure_all lesions \(lesions) times \(formatTimes([tArea]))")
