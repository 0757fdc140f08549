import Imaging

/// Whole-volume loops of the tests, compiled optimised (TestSupport is `optimisedInDebug` in
/// Package.swift; the test targets that call them are not). In a test target at -Onone one
/// `zip(a, b).count(where:)` over a 9-million-voxel BraTS volume took about 1.5 s, and painting a
/// sphere by visiting every voxel of a phantom about 1 s.
public enum VoxelLoops {
    /// Voxels in mask A, in mask B, and in both.
    public struct Overlap: Sendable, Equatable {
        public var inA = 0, inB = 0, both = 0
        /// 2|A ∩ B| / (|A| + |B|), 1 when both are empty.
        public var dice: Double { inA + inB == 0 ? 1 : 2 * Double(both) / Double(inA + inB) }

        /// The masks as predicates over the voxel indices 0..<count.
        public init(count: Int, _ a: (Int) -> Bool, _ b: (Int) -> Bool) {
            for p in 0..<count {
                let x = a(p), y = b(p)
                if x { inA += 1 }
                if y { inB += 1 }
                if x && y { both += 1 }
            }
        }
    }

    /// The overlap of the nonzero voxels of `a` and `b` (over the shorter of the two).
    public static func overlap(_ a: [UInt8], _ b: [UInt8]) -> Overlap {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in Overlap(count: min(a.count, b.count), { a[$0] != 0 }, { b[$0] != 0 }) } }
    }

    /// Positions where `a` and `b` differ; each voxel beyond the shorter one counts as differing.
    public static func differing(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var n = abs(a.count - b.count)
        for i in 0..<min(a.count, b.count) where a[i] != b[i] { n += 1 }
        return n
    }

    public static func nonzero(_ a: [UInt8]) -> Int {
        var n = 0
        for v in a where v != 0 { n += 1 }
        return n
    }

    /// 1 where `isMember(value)`, else 0 (the predicate is asked once per possible value).
    public static func indicator(_ values: [UInt8], _ isMember: (UInt8) -> Bool) -> [UInt8] {
        let table = (0...255).map { isMember(UInt8($0)) ? UInt8(1) : 0 }
        return values.map { table[Int($0)] }
    }

    /// Label values read as Float (a NIfTI label map read by `VolumeFile.read`) as bytes; nil when a
    /// value is not an integer in 0...255.
    public static func labels(_ values: [Float]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            guard v >= 0, v <= 255, v == v.rounded() else { return nil }
            out[i] = UInt8(v)
        }
        return out
    }

    /// Calls `body` with the index (x fastest) of every voxel of `geometry` whose centre is at most
    /// `radius` mm from `centre`, in storage order: the voxels, and their order, of a loop over the
    /// whole grid, visiting only the index box that holds the sphere.
    public static func forEachVoxel(of geometry: VolumeGeometry, within radius: Double, of centre: Vector3, _ body: (Int) -> Void) {
        let size = geometry.size
        guard size.x > 0, size.y > 0, size.z > 0 else { return }
        var lo = SIMD3<Double>(repeating: .infinity), hi = SIMD3<Double>(repeating: -.infinity)
        for corner in 0..<8 {
            let sign = Vector3(corner & 1 == 0 ? -1 : 1, corner & 2 == 0 ? -1 : 1, corner & 4 == 0 ? -1 : 1)
            let index = geometry.patientToIndex(centre + radius * sign)
            lo = pointwiseMin(lo, index)
            hi = pointwiseMax(hi, index)
        }
        func clamp(_ v: Double, _ n: Int) -> Int { v.isNaN ? 0 : Int(min(max(v, 0), Double(n - 1))) }
        // One voxel of margin: a centre exactly on the sphere must not fall out of the box by rounding.
        lo = lo.rounded(.down) - 1
        hi = hi.rounded(.up) + 1
        let first = SIMD3(clamp(lo.x, size.x), clamp(lo.y, size.y), clamp(lo.z, size.z))
        let last = SIMD3(clamp(hi.x, size.x), clamp(hi.y, size.y), clamp(hi.z, size.z))
        for k in first.z...last.z { for j in first.y...last.y { for i in first.x...last.x {
            let p = geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            guard norm(p - centre) <= radius else { continue }
            body(i + size.x * (j + size.y * k))
        }}}
    }
}

/// Dice coefficient of two binary masks given as predicates over the same voxel range (1 when both are empty).
public func diceCoefficient(count: Int, _ a: (Int) -> Bool, _ b: (Int) -> Bool) -> Double {
    VoxelLoops.Overlap(count: count, a, b).dice
}
