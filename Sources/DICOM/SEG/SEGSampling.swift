import Dispatch
import Imaging

extension SEGSourceSeries {
    /// The values of `volume` on this series' frames, frame after frame (`frames.count * rows * columns`
    /// values, each frame in row-major order: column index fastest).
    ///
    /// When the volume lies on the source frames (same in-plane grid and each slice `k` at frame `k`'s
    /// position to 0.01 mm, the case of masks computed on the loaded series, tilted or not) the voxels are
    /// taken as they are; otherwise each frame samples the volume at its exact pixel centres
    /// (`resampled(onto:interpolation:outside:)` with `interpolation`, `outside` beyond the volume).
    ///
    /// A source without patient geometry takes the volume voxel for voxel; its size must be
    /// (columns, rows, frames) (a precondition: `SEGWriter` checks it first).
    public func sampled<V: VoxelScalar>(_ volume: Volume<V>, interpolation: Interpolation, outside: V) -> [V] {
        if liesOnFrames(volume.geometry) { return volume.voxels }
        precondition(hasPatientGeometry, "a mask over a source without patient geometry must have the source's size")
        let planeSize = rows * columns
        var out = [V](repeating: outside, count: frames.count * planeSize)
        out.withUnsafeMutableBufferPointer { buffer in
            // Safe to share: iteration k writes only plane k, and concurrentPerform returns before
            // the buffer's scope ends.
            nonisolated(unsafe) let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: frames.count) { k in
                let plane = volume.resampled(onto: sliceGeometry(k), interpolation: interpolation, outside: outside)
                plane.voxels.withUnsafeBufferPointer { src in
                    (base + k * planeSize).update(from: src.baseAddress!, count: planeSize)
                }
            }
        }
        return out
    }

    /// True when voxel (i, j, k) of `g` is pixel (column i, row j) of frame k for every frame (for a source
    /// without patient geometry: when `g` has its size, whatever its spacing, origin and directions).
    public func liesOnFrames(_ g: VolumeGeometry, toleranceMM: Double = 0.01) -> Bool {
        guard g.size == SIMD3(columns, rows, frames.count) else { return false }
        guard hasPatientGeometry else { return true }
        let inPlane = g.indexToPatient(Vector3(Double(columns - 1), Double(rows - 1), 0)) - g.indexToPatient(.zero)
        let expected = rowDirectionLPS * pixelSpacingMM.i * Double(columns - 1) + columnDirectionLPS * pixelSpacingMM.j * Double(rows - 1)
        guard norm(inPlane - expected) <= toleranceMM else { return false }
        for k in frames.indices where norm(g.indexToPatient(Vector3(0, 0, Double(k))) - frames[k].positionLPS) > toleranceMM {
            return false
        }
        return true
    }
}
