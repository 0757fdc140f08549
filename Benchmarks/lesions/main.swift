// Lesions benchmark: connected components and marching cubes on a 512 x 512 x 300 mask.
// Usage: lesions-bench [MASK_OUT.raw]  (writes the mask as raw uint8, i fastest, for bench.py)
import Foundation
import Imaging
import Lesions

func seconds(_ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<3 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    return best
}

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

let mask = makeMask()
if CommandLine.arguments.count > 1 {
    try Data(mask.voxels).write(to: URL(fileURLWithPath: CommandLine.arguments[1]))
}
let nonZero = mask.voxels.filter { $0 != 0 }.count
print("mask 512x512x300, \(nonZero) non-zero voxels, labels 1-3")
for c in Connectivity.allCases {
    var count = 0
    let t = seconds { count = ConnectedComponents.label(mask, connectivity: c).components.count }
    print(String(format: "swift_cc%d %.4f s components %d", c.rawValue, t, count))
}
if ProcessInfo.processInfo.environment["LESIONS_BENCH_CC_ONLY"] != nil { exit(0) }
let binary = BinaryRegion(mask) { $0 != 0 }
var triangles = 0
let tMesh = seconds { triangles = SurfaceMesh(binary).triangles.count }
print(String(format: "swift_mesh %.4f s triangles %d", tMesh, triangles))
var lesions = 0
let tArea = seconds { lesions = (try! LesionAnalyzer.measure(labels: mask, connectivity: .twentySix)).map(\.lesionCount).reduce(0, +) }
print(String(format: "swift_measure_all %.4f s lesions %d", tArea, lesions))
