import Foundation
import Imaging

/// A synthetic skull-stripped brain MRI study with one tumour, for the README's main job on a
/// machine without patient data: FLAIR and post-contrast T1 channels and the tumour's reference mask.
///
/// Built from ellipsoids in patient space (LPS, mm) on an axial 1 mm grid: brain (white matter,
/// a grey-matter rim, ventricles), and a tumour made of oedema (bright on FLAIR), an enhancing rim
/// (bright on T1c) and a necrotic core (dark on T1c, moderately bright on FLAIR), plus smooth bias
/// and Gaussian-like noise from a fixed seed. Intensities are raw scanner-like values (0 outside
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
        let brain = Ellipsoid(centre: Vector3(0, 5, 0), radii: Vector3(68, 82, 55))
        let cortex = Ellipsoid(centre: brain.centre, radii: brain.radii - 5)
        let ventricles = [Ellipsoid(centre: Vector3(-9, -2, 8), radii: Vector3(6, 18, 10)),
                          Ellipsoid(centre: Vector3(9, -2, 8), radii: Vector3(6, 18, 10))]
        let oedema = Ellipsoid(centre: Vector3(30, -20, 15), radii: Vector3(24, 28, 22))
        let rim = Ellipsoid(centre: Vector3(33, -22, 17), radii: Vector3(13, 15, 12))
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
            var flair = 420.0, t1 = 520.0
            if !cortex.contains(p) { flair = 520; t1 = 430 }
            if ventricles.contains(where: { $0.contains(p) }) { flair = 160; t1 = 180 }
            if oedema.contains(p) || rim.contains(p) {
                mask[index] = 1
                flair = 860; t1 = 470
                if rim.contains(p) { flair = 760; t1 = 980 }
                if core.contains(p) { flair = 640; t1 = 260 }
            }
            let bias = 1 + 0.08 * sin(p.x / 40) * cos(p.y / 50)
            flairValues[index] = Float(max(1, (flair + 25 * random.normal()) * bias))
            t1cValues[index] = Float(max(1, (t1 + 25 * random.normal()) * bias))
        }}}
        flair = Volume(geometry: geometry, voxels: flairValues)
        t1c = Volume(geometry: geometry, voxels: t1cValues)
        wholeTumour = Volume(geometry: geometry, voxels: mask)
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
