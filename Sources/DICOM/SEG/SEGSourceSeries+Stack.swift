import Foundation
import Imaging

extension SEGSourceSeries {
    /// The source series of a stack found by `DICOMScanner` (the reader's metadata; no file is read again).
    /// Frames of enhanced instances keep their frame numbers; single-frame instances have none.
    /// Slice thickness and lossy-compression flags are not part of a stack and are left unset; empty
    /// study/series/frame-of-reference UIDs get the same derived UIDs as `read(_:)`.
    /// - Throws: `SEGError.invalidArgument` for a stack without slices or pixel spacing.
    public init(stack: DICOMStack) throws {
        guard !stack.slices.isEmpty, stack.pixelSpacingMM.count == 2 else {
            throw SEGError.invalidArgument("stack '\(stack.label)' has no slices or no pixel spacing")
        }
        let multiFrame = Dictionary(grouping: stack.slices, by: \.file).mapValues { $0.count > 1 }
        let frames = stack.slices.map { s in
            Frame(sopClassUID: s.sopClassUID ?? stack.series.sopClassUID ?? "", sopInstanceUID: s.sopInstanceUID,
                  frameNumber: multiFrame[s.file] == true || s.frameNumber > 1 ? s.frameNumber : nil,
                  positionLPS: s.positionLPS, path: s.file)
        }
        let identity = frames.map(\.sopInstanceUID).joined(separator: "\\")
        func orDerived(_ uid: String?, _ role: String) -> String {
            guard let uid, !uid.isEmpty else { return Self.derivedUID(identity + "|" + role) }
            return uid
        }
        self.init(frames: frames, rows: stack.rows, columns: stack.columns,
                  rowDirectionLPS: stack.rowDirectionLPS, columnDirectionLPS: stack.columnDirectionLPS,
                  pixelSpacingMM: SIMD2(stack.pixelSpacingMM[0], stack.pixelSpacingMM[1]), sliceThicknessMM: nil,
                  studyInstanceUID: orDerived(stack.study.studyInstanceUID, "study"),
                  seriesInstanceUID: orDerived(stack.series.seriesInstanceUID, "series"),
                  frameOfReferenceUID: orDerived(stack.series.frameOfReferenceUID, "for"), lossyRatio: nil, lossyMethod: nil)
    }
}
