import Foundation
import Imaging

/// A synthetic skull-stripped brain MRI study with one tumour, for the README's main job on a
/// machine without patient data: FLAIR and post-contrast T1 channels and the tumour's reference mask.
///
/// Built from ellipsoids in patient space (LPS, mm) on an axial 1 mm grid: brain (white matter,
/// a grey-matter rim, ventricles), and a tumour made of oedema (bright on FLAIR), an enhancing rim
/// (bright on T1c) and a necrotic core (dark on T1c, moderately bright on FLAIR), smoothed by about
/// 1 mm (partial volume), plus Gaussian noise from a fixed seed. Intensities are raw scanner-like values (0 outside
/// the brain), so a model's z-score-in-brain normalisation applies as it would to real data.
/// The reference mask is the whole tumour (oedema, rim and core) as label 1.
public struct SamplePhantom {
    public var flair: Volume<Float>
    public var t1c: Volume<Float>
    public var wholeTumour: LabelMap

    public static let defaultSize = SIMD3(160, 176, 120)

    public init(size: SIMD3<Int> = SamplePhantom.defaultSize, seed: UInt64 = 2013) {
        // Axial slices, LPS voxel order, centred on the origin.
        let geometry = VolumeGeometry(size: size, spacingMM: Vector3(1, 1, 1),
                                      originLPS: -(Vector3(size) - 1) / 2, direction: .identity)
        let brain = Ellipsoid(centre: Vector3(0, 5, 0), radii: Vector3(65, 80, 55))
        let cortex = Ellipsoid(centre: brain.centre, radii: brain.radii - 13)
        let ventricles = [Ellipsoid(centre: Vector3(-9, -2, 8), radii: Vector3(6, 18, 10)),
                          Ellipsoid(centre: Vector3(9, -2, 8), radii: Vector3(6, 18, 10))]
        let oedema = Ellipsoid(centre: Vector3(30, -20, 15), radii: Vector3(22, 22, 22))
        let rim = Ellipsoid(centre: Vector3(30, -20, 15), radii: Vector3(12, 12, 12))
        let core = Ellipsoid(centre: rim.centre, radii: rim.radii - 4)
        var random = PhantomRandom(seed: seed)
        var flairValues = [Float](repeating: 0, count: geometry.voxelCount)
        var t1cValues = [Float](repeating: 0, count: geometry.voxelCount)
        var mask = [UInt8](repeating: 0, count: geometry.voxelCount)
        var index = 0
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            defer { index += 1 }
            let p = geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            guard brain.contains(p) else { continue }
            // Tissue: white matter inside, grey matter in the outer 5 mm, CSF in the ventricles.
            // Relative intensities (x 300): FLAIR grey 1.0, white 0.92, CSF 0.4, oedema 1.9, necrosis 1.5;
            // T1c grey 0.8, white 1.05, CSF 0.2, oedema 0.85, enhancing rim 1.9, necrosis 0.5.
            var flair = 0.92, t1 = 1.05
            if !cortex.contains(p) { flair = 1.0; t1 = 0.8 }
            if ventricles.contains(where: { $0.contains(p) }) { flair = 0.4; t1 = 0.2 }
            if oedema.contains(p) || rim.contains(p) {
                mask[index] = 1
                flair = 1.9; t1 = 0.85
                if rim.contains(p) { t1 = 1.9 }
                if core.contains(p) { flair = 1.5; t1 = 0.5 }
            }
            flairValues[index] = Float(flair)
            t1cValues[index] = Float(t1)
        }}}
        // Partial volume: a small blur (about 1 mm), then noise, inside the brain only.
        let inBrain = (0..<geometry.voxelCount).map { index -> Bool in
            let i = index % size.x, j = (index / size.x) % size.y, k = index / (size.x * size.y)
            return brain.contains(geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k))))
        }
        func finish(_ values: [Float]) -> [Float] {
            let blurred = Self.blur(Self.blur(values, size), size)
            return blurred.indices.map { inBrain[$0] ? Float(max(0.01, Double(blurred[$0]) + 0.04 * random.normal()) * 300) : 0 }
        }
        flair = Volume(geometry: geometry, voxels: finish(flairValues))
        t1c = Volume(geometry: geometry, voxels: finish(t1cValues))
        wholeTumour = Volume(geometry: geometry, voxels: mask)
    }

    /// Separable [1, 2, 1] / 4 smoothing along i, j and k (edges repeat).
    static func blur(_ values: [Float], _ n: SIMD3<Int>) -> [Float] {
        var current = values
        for (stride, length) in [(1, n.x), (n.x, n.y), (n.x * n.y, n.z)] {
            var next = current
            for index in current.indices {
                let position = (index / stride) % length
                let before = position > 0 ? current[index - stride] : current[index]
                let after = position < length - 1 ? current[index + stride] : current[index]
                next[index] = 0.25 * before + 0.5 * current[index] + 0.25 * after
            }
            current = next
        }
        return current
    }

    struct Ellipsoid {
        var centre: Vector3
        var radii: Vector3
        func contains(_ p: Vector3) -> Bool {
            let d = (p - centre) / radii
            return (d * d).sum() <= 1
        }
    }
}

/// Deterministic noise (SplitMix64 + Box-Muller): the sample is identical on every machine.
struct PhantomRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func uniform() -> Double {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / Double(1 << 53)
    }
    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}
