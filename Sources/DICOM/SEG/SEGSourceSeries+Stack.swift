import Foundation
import Imaging

extension SEGSourceSeries {
    /// The source series of a stack built by `DICOMScanner` (and checked by `DICOMLoader.prepare`): the
    /// reader's metadata, no file read again. Frames of enhanced instances keep their frame numbers;
    /// single-frame instances have none. Identities are the stack's (derived ones included), so a SEG
    /// references exactly the UIDs the loaded series has.
    /// - Throws: `DICOMError.invalidArgument` for a stack without slices or pixel spacing.
    public init(stack: DICOMStack) throws {
        guard !stack.slices.isEmpty else {
            throw DICOMError.invalidArgument("stack '\(stack.label)' has no slices")
        }
        let multiFrame = Dictionary(grouping: stack.slices, by: \.file).mapValues { $0.count > 1 }
        let frames = stack.slices.map { s in
            Frame(sopClassUID: s.sopClassUID ?? stack.series.sopClassUID ?? "", sopInstanceUID: s.sopInstanceUID,
                  frameNumber: multiFrame[s.file] == true || s.frameNumber > 1 ? s.frameNumber : nil,
                  positionLPS: s.positionLPS, path: s.file)
        }
        let lossy = stack.slices.first { $0.lossyCompressionRatio != nil }
        self.init(frames: frames, rows: stack.rows, columns: stack.columns,
                  rowDirectionLPS: stack.rowDirectionLPS, columnDirectionLPS: stack.columnDirectionLPS,
                  pixelSpacingMM: stack.pixelSpacingMM,
                  sliceThicknessMM: stack.sliceThicknessMM.flatMap { $0 > 0 ? $0 : nil },
                  studyInstanceUID: stack.study.studyInstanceUID, seriesInstanceUID: stack.series.seriesInstanceUID,
                  frameOfReferenceUID: stack.series.frameOfReferenceUID ?? "",
                  lossyRatio: lossy?.lossyCompressionRatio, lossyMethod: lossy?.lossyCompressionMethod)
    }
}
