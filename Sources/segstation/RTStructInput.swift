import ArgumentParser
import DICOM
import Foundation
import Imaging
import VolumeIO

/// Label maps read from an RT Structure Set, for the commands that take a mask (`convert`, `measure`,
/// `evaluate`): the ROIs rasterised on the --rt-source series (docs/RTSTRUCT.md), one label per ROI in file
/// order, or only --roi NAME as label 1.
enum RTStructInput {
    /// The label map of `path` when it is an RTSTRUCT; nil for any other input.
    /// - Throws: `ValidationError` (exit 64) when it is an RTSTRUCT and `rtSource` is missing; `DICOMError` /
    ///   `DICOMError` for bad structure sets or sources.
    static func labels(_ path: String, rtSource: String?, roi: String?,
                       options: DICOMLoadOptions = DICOMLoadOptions()) throws -> (labels: LabelMap, rois: [RasterisedROI])? {
        let url = URL(fileURLWithPath: path)
        guard VolumeFile.format(of: path) == nil, RTStructDocument.isRTStruct(url) else { return nil }
        guard let rtSource else {
            throw ValidationError("\(path) is an RT Structure Set: give its image series with --rt-source DICOM_DIR")
        }
        let source = try SEGSourceSeries.read(URL(fileURLWithPath: rtSource), options: options)
        let result = try RTStructDocument(contentsOf: url).labelMap(on: source, roi: roi)
        for r in result.rois where r.voxels == 0 {
            Output.warning("\(path): ROI '\(r.name)' (label \(r.label)) has no contour on the source series: its label is empty")
        }
        return result
    }

    /// A mask argument: an RTSTRUCT (with --rt-source) or a NIfTI / NRRD label map. An RTSTRUCT's map is
    /// resampled (nearest) onto `grid` when given and different (the image or label map it goes with, e.g.
    /// a NIfTI converted from the same series); other label maps are returned as read.
    static func readLabels(_ path: String, rtSource: String?, roi: String?, onto grid: VolumeGeometry? = nil) throws -> LabelMap {
        guard let rt = try labels(path, rtSource: rtSource, roi: roi) else { return try VolumeFile.readLabels(path) }
        guard let grid, !rt.labels.geometry.isSameGrid(as: grid) else { return rt.labels }
        return rt.labels.resampled(onto: grid, interpolation: .nearest, outside: 0)
    }

    /// The two masks of `evaluate`: when one is an RTSTRUCT and the grids differ, its map is resampled
    /// (nearest) onto the other's grid; two label maps are returned as read.
    static func pair(prediction: String, reference: String, rtSource: String?, roi: String?) throws -> (LabelMap, LabelMap) {
        let predictionRT = try labels(prediction, rtSource: rtSource, roi: roi)?.labels
        let referenceRT = try labels(reference, rtSource: rtSource, roi: roi)?.labels
        var p = try predictionRT ?? VolumeFile.readLabels(prediction)
        var r = try referenceRT ?? VolumeFile.readLabels(reference)
        if predictionRT != nil, !p.geometry.isSameGrid(as: r.geometry) {
            p = p.resampled(onto: r.geometry, interpolation: .nearest, outside: 0)
        } else if referenceRT != nil, !r.geometry.isSameGrid(as: p.geometry) {
            r = r.resampled(onto: p.geometry, interpolation: .nearest, outside: 0)
        }
        return (p, r)
    }
}
