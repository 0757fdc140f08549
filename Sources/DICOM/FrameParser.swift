import Core
import Foundation
import Imaging

/// Bounds on values read from headers (docs/DICOM.md, "Values refused"): beyond them a file is bad input.
enum Limits {
    /// 1 km from the scanner's origin.
    static let maxPositionMM = 1e6
    /// 1 m per pixel.
    static let maxPixelSpacingMM = 1e3
    /// Largest rescaled intensity magnitude (a Float holds 3.4e38).
    static let maxIntensity = 1e30
}

/// Expands one image file into frame records: classic single-frame images from their top-level
/// attributes, enhanced multi-frame images through the Shared and Per-frame Functional Groups
/// (a per-frame macro overrides the shared one).
struct FrameParser {
    let file: DICOMFile
    let pixel: PixelInfo
    let isMonochrome1: Bool

    private var ds: DICOMItem { file.dataset }
    private var path: String { file.path }

    /// SOPInstanceUID (0008,0018), else MediaStorageSOPInstanceUID (0002,0003) (some anonymisers empty
    /// the former), else derived from the file's SHA-256.
    private var instanceUID: (uid: String, derived: Bool) {
        if let uid = ds.string(.sopInstanceUID) ?? file.meta.string(.mediaStorageSOPInstanceUID) { return (uid, false) }
        return (DerivedIdentity.uid("instance|" + (Digest.sha256Hex(ofFile: URL(fileURLWithPath: path)) ?? path)), true)
    }

    /// The frames, or [] when the image has no patient geometry (no orientation/position).
    func frames() throws -> [FrameRecord] {
        let perFrame = ds.items(.perFrameFunctionalGroupsSequence)
        if !perFrame.isEmpty || ds.has(.sharedFunctionalGroupsSequence) {
            return try enhancedFrames(perFrame: perFrame, shared: ds.firstItem(.sharedFunctionalGroupsSequence))
        }
        guard pixel.frames == 1 else {
            throw DICOMError.unsupported(file: path, reason: "\(pixel.frames) frames without functional groups \(DICOMTag.perFrameFunctionalGroupsSequence): frame positions unknown")
        }
        guard ds.has(.imageOrientationPatient) || ds.has(.imagePositionPatient) else { return [] }
        let imageType = ds.strings(.imageType)
        var record = try baseRecord(item: ds, frameNumber: 1, context: "")
        // ImageType does not split classic series: GE marks parts of one axial series AXIAL vs AXIAL\ADD.
        record.isLocalizer = imageType.contains("LOCALIZER")
        record.isDerived = imageType.first == "DERIVED"
        record.imageType = imageType.joined(separator: "\\")
        record.echoTimeMS = ds.double(.echoTime)
        if let n = ds.int(.echoNumbers) { record.echoKey = "echo \(n)" } else if let te = ds.double(.echoTime) { record.echoKey = String(format: "TE %.2f", te) }
        record.temporalKey = ds.int(.temporalPositionIdentifier)
        if let mosaic = try SiemensMosaic.detect(ds, imageType: imageType, rows: pixel.rows, columns: pixel.columns, path: path) {
            return try mosaicRecords(record, mosaic)
        }
        return [record]
    }

    /// One record per mosaic tile, placed along the slice normal.
    private func mosaicRecords(_ record: FrameRecord, _ mosaic: SiemensMosaic) throws -> [FrameRecord] {
        guard let spacing = [ds.double(.spacingBetweenSlices), ds.double(.sliceThickness)].compactMap({ $0 }).first(where: { $0 > 0 }) else {
            throw DICOMError.missingAttribute(file: path, tag: .spacingBetweenSlices, name: "SpacingBetweenSlices of a mosaic")
        }
        return (0..<mosaic.sliceCount).map { s in
            var r = record
            r.rows = mosaic.tileRows
            r.columns = mosaic.tileColumns
            r.slice.positionLPS = mosaic.position(tile: s, mosaicPosition: record.slice.positionLPS, row: record.rowDirection,
                                                  column: record.columnDirection, spacing: record.pixelSpacingMM, sliceSpacingMM: spacing)
            r.slice.mosaicTile = s
            r.slice.mosaicTilesPerRow = mosaic.tilesPerRow
            return r
        }
    }

    private func enhancedFrames(perFrame: [DICOMItem], shared: DICOMItem?) throws -> [FrameRecord] {
        guard perFrame.count == pixel.frames else {
            throw DICOMError.malformed(file: path, reason: "PerFrameFunctionalGroupsSequence \(DICOMTag.perFrameFunctionalGroupsSequence) has \(perFrame.count) items; NumberOfFrames \(DICOMTag.numberOfFrames) is \(pixel.frames)")
        }
        let imageType = ds.strings(.imageType)
        var result = [FrameRecord]()
        for (index, item) in perFrame.enumerated() {
            func macro(_ tag: DICOMTag) -> DICOMItem? { item.firstItem(tag) ?? shared?.firstItem(tag) }
            let context = " in frame \(index + 1)"
            guard let position = macro(.planePositionSequence), let orientation = macro(.planeOrientationSequence) else {
                throw DICOMError.missingAttribute(file: path, tag: .planePositionSequence,
                                                  name: "PlanePositionSequence/PlaneOrientationSequence\(context)")
            }
            var record = try baseRecord(item: ds, frameNumber: index + 1, context: context, positionItem: position,
                                        orientationItem: orientation, measuresItem: macro(.pixelMeasuresSequence),
                                        transformItem: macro(.pixelValueTransformationSequence))
            let frameType = (macro(.mrImageFrameTypeSequence) ?? macro(.ctImageFrameTypeSequence))?.strings(.frameType) ?? imageType
            record.typeKey = frameType.dropFirst(2).joined(separator: "\\")
            record.isLocalizer = frameType.contains("LOCALIZER")
            record.isDerived = frameType.first == "DERIVED"
            record.imageType = frameType.joined(separator: "\\")
            if let te = macro(.mrEchoSequence)?.double(.effectiveEchoTime) { record.echoKey = String(format: "TE %.2f", te); record.echoTimeMS = te }
            let content = item.firstItem(.frameContentSequence)
            record.temporalKey = content?.int(.temporalPositionIndex)
            record.stackID = content?.string(.stackID)
            result.append(record)
        }
        return result
    }

    /// The attributes common to both kinds; enhanced images pass the macro items to read from.
    private func baseRecord(item: DICOMItem, frameNumber: Int, context: String, positionItem: DICOMItem? = nil,
                            orientationItem: DICOMItem? = nil, measuresItem: DICOMItem? = nil,
                            transformItem: DICOMItem? = nil) throws -> FrameRecord {
        let iop = (orientationItem ?? item).doubles(.imageOrientationPatient)
        guard let iop, iop.count == 6 else {
            throw DICOMError.malformed(file: path, reason: "ImageOrientationPatient \(DICOMTag.imageOrientationPatient)\(context) has \(iop?.count ?? 0) numeric values; expected 6")
        }
        var row = Vector3(iop[0], iop[1], iop[2])
        var column = Vector3(iop[3], iop[4], iop[5])
        guard abs(norm(row) - 1) < 0.01, abs(norm(column) - 1) < 0.01, abs(dot(row, column)) < 0.01 else {
            throw DICOMError.malformed(file: path, reason: "ImageOrientationPatient \(DICOMTag.imageOrientationPatient)\(context) is \(iop); expected two orthogonal unit vectors")
        }
        row /= norm(row)
        column = column - row * dot(row, column)
        column /= norm(column)
        let ipp = (positionItem ?? item).doubles(.imagePositionPatient)
        guard let ipp, ipp.count == 3 else {
            throw DICOMError.malformed(file: path, reason: "ImagePositionPatient \(DICOMTag.imagePositionPatient)\(context) has \(ipp?.count ?? 0) finite numeric values; expected 3")
        }
        guard ipp.allSatisfy({ abs($0) <= Limits.maxPositionMM }) else {
            throw DICOMError.nonFinite(file: path, tag: .imagePositionPatient, name: "ImagePositionPatient\(context)",
                                       value: "\(ipp) (beyond \(Limits.maxPositionMM) mm from the origin)")
        }
        var spacing = PixelSpacing(i: 1, j: 1)
        var spacingMissing = true
        let measures = measuresItem ?? item
        if measures.has(.pixelSpacing), measures.string(.pixelSpacing) != nil {
            guard let ps = measures.doubles(.pixelSpacing), ps.count == 2, ps.allSatisfy({ $0 > 0 && $0 <= Limits.maxPixelSpacingMM }) else {
                throw DICOMError.nonFinite(file: path, tag: .pixelSpacing, name: "PixelSpacing\(context)",
                                           value: "\(measures.string(.pixelSpacing) ?? "")".replacingOccurrences(of: "\\", with: "/") + " (expected two values in (0, \(Limits.maxPixelSpacingMM)] mm)")
            }
            spacing = PixelSpacing(dicom: ps)
            spacingMissing = false
        }
        let transform = transformItem ?? item
        let slope = transform.double(.rescaleSlope) ?? 1
        let intercept = transform.double(.rescaleIntercept) ?? 0
        guard slope.isFinite, slope != 0 else {
            throw DICOMError.nonFinite(file: path, tag: .rescaleSlope, name: "RescaleSlope\(context)", value: "\(slope) (expected finite and non-zero)")
        }
        guard intercept.isFinite else {
            throw DICOMError.nonFinite(file: path, tag: .rescaleIntercept, name: "RescaleIntercept\(context)", value: "\(intercept)")
        }
        // Every stored value must rescale to a finite Float (RescaleSlope 1e308 would give -inf/inf voxels).
        let largestStored = Double(1 << min(pixel.bitsStored, 32))
        guard abs(slope) * largestStored + abs(intercept) <= Limits.maxIntensity else {
            let bySlope = abs(slope) * largestStored > abs(intercept)
            throw DICOMError.nonFinite(file: path, tag: bySlope ? .rescaleSlope : .rescaleIntercept,
                                       name: (bySlope ? "RescaleSlope" : "RescaleIntercept") + context,
                                       value: "\(bySlope ? slope : intercept) (with \(bySlope ? "intercept \(intercept)" : "slope \(slope)"), stored values up to 2^\(pixel.bitsStored) would rescale beyond \(Limits.maxIntensity))")
        }
        let instance = instanceUID
        var slice = DICOMSlice(
            file: path, frameNumber: frameNumber, sopInstanceUID: instance.uid,
            sopClassUID: ds.string(.sopClassUID), instanceNumber: ds.int(.instanceNumber),
            acquisitionNumber: ds.int(.acquisitionNumber), positionLPS: Vector3(ipp[0], ipp[1], ipp[2]),
            rescaleSlope: slope, rescaleIntercept: intercept,
            paddingValue: ds.int(.pixelPaddingValue), paddingRangeLimit: ds.int(.pixelPaddingRangeLimit),
            isMonochrome1: isMonochrome1, transferSyntaxUID: file.transferSyntaxUID)
        slice.sopInstanceUIDDerived = instance.derived
        if ds.string(.lossyImageCompression) == "01" {
            slice.lossyCompressionRatio = ds.string(.lossyImageCompressionRatio) ?? ""
            slice.lossyCompressionMethod = ds.string(.lossyImageCompressionMethod) ?? ""
        }
        return FrameRecord(slice: slice, rowDirection: row, columnDirection: column, pixelSpacingMM: spacing,
                           pixelSpacingMissing: spacingMissing, rows: pixel.rows, columns: pixel.columns,
                           echoKey: nil, temporalKey: nil, typeKey: "", stackID: nil, isLocalizer: false, isDerived: false,
                           sliceThicknessMM: (measuresItem ?? item).double(.sliceThickness),
                           gantryTiltDegrees: ds.double(.gantryDetectorTilt))
    }
}
