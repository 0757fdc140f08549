import Foundation
import Imaging

extension SEGDocument {
    /// The SEG's own frames as a source series, for reading a SEG without its source images (e.g. to
    /// convert it to NIfTI): one slice per distinct plane position, sorted along the normal; the
    /// referenced instance UIDs (or synthetic ones) identify the slices.
    /// - Throws: `.badInput` when orientation, pixel spacing or a frame position is missing.
    public func ownFrameGrid() throws -> SEGSourceSeries {
        guard let row = rowDirectionLPS, let column = columnDirectionLPS, let spacing = pixelSpacingMM else {
            throw DICOMError.badInput(file: path, detail: "shared Plane Orientation / Pixel Measures are missing; the SEG has no grid of its own")
        }
        let normal = cross(row, column) / norm(cross(row, column))
        var slices = [(depth: Double, frame: SEGSourceSeries.Frame)]()
        for (index, f) in frames.enumerated() {
            guard let p = f.positionLPS else { throw DICOMError.badInput(file: path, detail: "frame \(index + 1) has no Plane Position") }
            let depth = dot(p, normal)
            if slices.contains(where: { abs($0.depth - depth) < 0.05 }) { continue }
            let uid = f.referencedSOPInstanceUID ?? "\(sopInstanceUID).\(index + 1)"
            slices.append((depth, SEGSourceSeries.Frame(sopClassUID: "", sopInstanceUID: uid, frameNumber: f.referencedFrameNumber,
                                                        positionLPS: p, path: path)))
        }
        slices.sort { $0.depth < $1.depth }
        return SEGSourceSeries(frames: slices.map(\.frame), rows: rows, columns: columns, rowDirectionLPS: row, columnDirectionLPS: column,
                               pixelSpacingMM: spacing, sliceThicknessMM: nil, studyInstanceUID: studyInstanceUID,
                               seriesInstanceUID: referencedSeriesInstanceUID, frameOfReferenceUID: frameOfReferenceUID,
                               lossyRatio: nil, lossyMethod: nil)
    }
}
