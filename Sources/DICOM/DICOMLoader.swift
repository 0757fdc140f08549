import Foundation
import Imaging

/// How `DICOMLoader.load` treats stacks that are not a plain regular grid.
public struct DICOMLoadOptions: Sendable, Equatable {
    public enum UnevenSpacing: String, Sendable, Codable, CaseIterable {
        /// Throw `DICOMError.inconsistentStack`: no silently wrong geometry (default).
        case fail
        /// Interpolate linearly along the slice line onto even steps (first and last slice kept,
        /// step close to the median step).
        case resample
    }
    public enum Tilt: String, Sendable, Codable, CaseIterable {
        /// Keep the acquired voxels; the k axis of the direction matrix is the slice step (sheared).
        case shear
        /// Resample linearly onto an orthogonal grid (row, column, normal), enlarged to hold every
        /// slice; voxels outside the acquired slices take the volume's minimum.
        case resampleOrthogonal
    }
    public enum Padding: String, Sendable, Codable, CaseIterable {
        /// Voxels equal to PixelPaddingValue (or inside the padding range) take the minimum of the
        /// other voxels (default).
        case fillWithMinimum
        /// Padding voxels keep their rescaled value.
        case keep
    }
    public var unevenSpacing: UnevenSpacing
    public var tilt: Tilt
    public var padding: Padding
    /// `--skip-bad-slices`: leave out unreadable files and slices inconsistent with the rest, with a
    /// warning naming each, instead of refusing the series (see `DICOMInventory.select`).
    public var skipBadSlices: Bool

    public init(unevenSpacing: UnevenSpacing = .fail, tilt: Tilt = .shear, padding: Padding = .fillWithMinimum, skipBadSlices: Bool = false) {
        self.unevenSpacing = unevenSpacing
        self.tilt = tilt
        self.padding = padding
        self.skipBadSlices = skipBadSlices
    }
}

/// A loaded stack: intensities (rescaled, e.g. HU) on a grid in LPS mm, plus what it came from.
public struct DICOMImage: Sendable {
    public var volume: Volume<Float>
    /// The stack's metadata (patient, study, series, the source slices in load order).
    public var stack: DICOMStack
    /// For each k of `volume`, the source slice it is, or nil when k was interpolated.
    public var sliceSources: [DICOMSlice?]
    /// The stack's warnings plus what loading did (resampling).
    public var warnings: [DICOMWarning]
}

/// Loads a stack found by `DICOMScanner` into a volume.
public enum DICOMLoader {
    /// Largest stack loaded (2^31 voxels, 8 GiB of Float).
    public static let maxVoxels = 1 << 31

    /// Decodes every slice, applies the modality LUT per slice/frame (RescaleSlope/Intercept),
    /// MONOCHROME1 inversion and the padding policy, and builds the geometry from
    /// ImagePositionPatient/ImageOrientationPatient/PixelSpacing.
    /// - Throws: `DICOMError` naming the file or stack: decode failures, files that changed
    ///   since the scan, duplicate or non-collinear positions, uneven spacing with `.fail`.
    public static func load(stack scanned: DICOMStack, options: DICOMLoadOptions = DICOMLoadOptions()) throws -> DICOMImage {
        let stack = try prepare(stack: scanned, options: options)
        let name = "\(stack.index) (\(stack.label))"
        let voxelCount = stack.rows.multipliedReportingOverflow(by: stack.columns).partialValue.multipliedReportingOverflow(by: stack.slices.count)
        guard !voxelCount.overflow, voxelCount.partialValue <= maxVoxels else {
            throw DICOMError.tooLarge(file: stack.slices[0].file, reason: "stack \(name) is \(stack.columns)x\(stack.rows)x\(stack.slices.count) voxels; the limit is \(maxVoxels)")
        }
        let normal = cross(stack.rowDirectionLPS, stack.columnDirectionLPS)
        let layout = SliceLayout(sortedPositions: stack.slices.map(\.positionLPS), normal: normal,
                                 inPlaneSpacingMM: stack.pixelSpacingMM.smaller)
        let values = try PixelReader.read(stack: stack, padding: options.padding)
        let spacingK = layout.meanStepMM ?? singleSliceThickness(stack)
        let geometry = VolumeGeometry(
            size: SIMD3(stack.columns, stack.rows, stack.slices.count),
            spacingMM: Vector3(stack.pixelSpacingMM.i, stack.pixelSpacingMM.j, spacingK),
            originLPS: stack.slices[0].positionLPS,
            direction: Matrix3(columns: stack.rowDirectionLPS, stack.columnDirectionLPS, layout.lineDirection))
        do { try geometry.validate() } catch { throw DICOMError.inconsistentStack(stack: name, reason: "\(error)") }
        var volume = Volume(geometry: geometry, voxels: values)
        var sources: [DICOMSlice?] = stack.slices
        var warnings = stack.warnings
        if !layout.isEvenlySpaced {
            let count = EvenSpacing.evenSliceCount(distancesMM: layout.distancesMM)
            guard count <= maxVoxels / (stack.rows * stack.columns) else {
                throw DICOMError.tooLarge(file: stack.slices[0].file, reason: "even spacing would need \(count) slices of \(stack.columns)x\(stack.rows); the limit is \(maxVoxels) voxels")
            }
            volume = EvenSpacing.resample(volume, distancesMM: layout.distancesMM)
            sources = EvenSpacing.sources(stack.slices, distancesMM: layout.distancesMM, spacingMM: volume.geometry.spacingMM.z, count: volume.size.z)
            warnings.append(DICOMWarning(kind: .unevenSpacing, message: String(format: "resampled linearly onto %d slices %.4f mm apart", volume.size.z, volume.geometry.spacingMM.z)))
        }
        if layout.tiltDegrees > 0 && options.tilt == .resampleOrthogonal {
            volume = TiltResampling.orthogonalised(volume)
            sources = Array(repeating: nil, count: volume.size.z)
            warnings.append(DICOMWarning(kind: .gantryTilt, message: "resampled onto an orthogonal grid \(volume.geometry)"))
        }
        return DICOMImage(volume: volume, stack: stack, sliceSources: sources, warnings: warnings)
    }

    /// Spacing along k for a single slice: SpacingBetweenSlices, else SliceThickness, else 1 mm.
    static func singleSliceThickness(_ stack: DICOMStack) -> Double {
        guard let file = try? DICOMFile(path: stack.slices[0].file) else { return 1 }
        let ds = file.dataset
        let measures = ds.firstItem(.sharedFunctionalGroupsSequence)?.firstItem(.pixelMeasuresSequence)
        for value in [ds.double(.spacingBetweenSlices), measures?.double(.sliceThickness), ds.double(.sliceThickness)] {
            if let v = value, v > 0, v.isFinite { return v }
        }
        return 1
    }
}
