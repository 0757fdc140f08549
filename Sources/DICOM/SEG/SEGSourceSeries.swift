internal import CDCMTKBridge
import Foundation
import Imaging

/// The source image frames a DICOM-SEG refers to, in slice order, with the attributes a SEG needs:
/// per-frame SOP instance (and frame number for enhanced multi-frame sources) and position, the shared
/// orientation and pixel spacing, and the study / series / frame-of-reference identity.
///
/// Slice `k` of `geometry` is `frames[k]`. Gantry-tilted and unevenly spaced series keep their exact
/// per-frame positions here; `sliceGeometry(_:)` gives the exact grid of one frame.
public struct SEGSourceSeries: Sendable, Equatable {
    public struct Frame: Sendable, Equatable {
        public var sopClassUID: String
        public var sopInstanceUID: String
        /// 1-based frame of an enhanced multi-frame instance; nil for single-frame instances.
        public var frameNumber: Int?
        /// Image Position (Patient) of the frame's first pixel centre (LPS, mm).
        public var positionLPS: Vector3
        /// The file holding the frame.
        public var path: String
    }

    public var frames: [Frame]
    public var rows: Int
    public var columns: Int
    /// Direction of increasing column index (first triplet of Image Orientation (Patient)).
    public var rowDirectionLPS: Vector3
    /// Direction of increasing row index (second triplet).
    public var columnDirectionLPS: Vector3
    /// Spacing along the row direction (between columns) and along the column direction (between rows), mm.
    public var pixelSpacingMM: PixelSpacing
    public var sliceThicknessMM: Double?
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var frameOfReferenceUID: String
    /// Lossy Image Compression Ratio and Method of a lossy-compressed source, copied into the SEG.
    public var lossyCompression: (ratio: String, method: String)? {
        get { lossyRatio.map { ($0, lossyMethod ?? "") } }
        set { lossyRatio = newValue?.ratio; lossyMethod = newValue?.method }
    }
    var lossyRatio: String?
    var lossyMethod: String?
    /// False for a source without patient geometry (no Image Position / Orientation (Patient), no Pixel
    /// Spacing anywhere, e.g. pydicom-data's emri_small.dcm): its frames are then only addressed by
    /// instance and frame number, `geometry` is the index grid (1 mm, identity directions, frame k at
    /// (0, 0, k)), masks must have the source's size and are taken voxel for voxel, and SEGs over it carry
    /// no frame of reference, plane positions, orientation or pixel measures (see docs/DICOM-SEG.md).
    public var hasPatientGeometry = true

    /// The unit normal of the image planes (row x column direction).
    public var normalLPS: Vector3 {
        let n = cross(rowDirectionLPS, columnDirectionLPS)
        return n / norm(n)
    }

    /// The exact one-slice grid of frame `k`: i along the row direction, j along the column direction.
    public func sliceGeometry(_ k: Int) -> VolumeGeometry {
        VolumeGeometry(size: SIMD3(columns, rows, 1),
                       spacingMM: Vector3(pixelSpacingMM.i, pixelSpacingMM.j, max(sliceStepMM, 1e-3)),
                       originLPS: frames[k].positionLPS,
                       direction: Matrix3(columns: rowDirectionLPS, columnDirectionLPS, normalLPS))
    }

    /// Mean distance between consecutive frame positions (mm); 1 for a single frame.
    var sliceStepMM: Double {
        guard frames.count > 1 else { return sliceThicknessMM ?? 1 }
        return norm(frames[frames.count - 1].positionLPS - frames[0].positionLPS) / Double(frames.count - 1)
    }

    /// The distance between consecutive frames along the normal when it is the same (to 0.01 mm) for all
    /// frames; nil for a single frame or uneven spacing. Written as Spacing Between Slices.
    public var evenSliceSpacingMM: Double? {
        guard frames.count > 1 else { return nil }
        let n = normalLPS
        let gaps = zip(frames.dropFirst(), frames).map { dot($0.positionLPS - $1.positionLPS, n) }
        guard let first = gaps.first, gaps.allSatisfy({ abs($0 - first) < 0.01 }) else { return nil }
        return first
    }

    /// The volume grid over all frames: origin at frame 0; the k axis is the mean step from the first to
    /// the last frame (sheared for gantry tilt). Unevenly spaced frames lie on it only approximately.
    public var geometry: VolumeGeometry {
        var kDirection = normalLPS
        if frames.count > 1 {
            let step = frames[frames.count - 1].positionLPS - frames[0].positionLPS
            kDirection = step / norm(step)
        }
        return VolumeGeometry(size: SIMD3(columns, rows, frames.count),
                              spacingMM: Vector3(pixelSpacingMM.i, pixelSpacingMM.j, max(sliceStepMM, 1e-3)),
                              originLPS: frames[0].positionLPS,
                              direction: Matrix3(columns: rowDirectionLPS, columnDirectionLPS, kDirection))
    }

    /// The slice index of a source instance (and frame), or nil.
    public func sliceIndex(sopInstanceUID: String, frameNumber: Int?) -> Int? {
        frames.firstIndex { $0.sopInstanceUID == sopInstanceUID && (frameNumber == nil || $0.frameNumber == nil || $0.frameNumber == frameNumber) }
    }

    public static func == (a: SEGSourceSeries, b: SEGSourceSeries) -> Bool {
        a.frames == b.frames && a.rows == b.rows && a.columns == b.columns && a.rowDirectionLPS == b.rowDirectionLPS &&
            a.columnDirectionLPS == b.columnDirectionLPS && a.pixelSpacingMM == b.pixelSpacingMM &&
            a.studyInstanceUID == b.studyInstanceUID && a.seriesInstanceUID == b.seriesInstanceUID &&
            a.frameOfReferenceUID == b.frameOfReferenceUID && a.hasPatientGeometry == b.hasPatientGeometry
    }
}
