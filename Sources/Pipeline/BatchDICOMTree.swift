import Foundation
import DICOM
import Inference

/// A folder tree of DICOM studies: one case per study (case id = StudyInstanceUID), its channels
/// picked by `SeriesRoutingRules` (a `SeriesMatch`, the service's series rule, per channel) among the
/// study's image series (localizers are not candidates; derived images such as subtractions are, and
/// rules exclude them with `excludeSeriesDescription` or `imageType`).
enum BatchDICOMTree {
    static func read(_ folder: String, manifest: ModelManifest, rules: SeriesRoutingRules) throws -> BatchCohort {
        let inventory = try DICOMScanner.scan(path: folder)
        var notes: [String] = []
        if !inventory.skipped.isEmpty {
            notes.append("skipped \(inventory.skipped.count) non-image or unreadable file(s), e.g. \(inventory.skipped[0].path): \(inventory.skipped[0].reason)")
        }
        let cases = inventory.studies.map { study -> BatchCase in
            let id = study.info.studyInstanceUID
            var stacks: [String: DICOMStack] = [:]
            var candidates: [SeriesRoutingRules.Candidate] = []
            for series in study.series {
                guard let stack = series.stacks.first(where: { !$0.isLocalizer }) else { continue }
                stacks[series.info.seriesInstanceUID] = stack
                candidates.append(.init(seriesInstanceUID: series.info.seriesInstanceUID, facts: Self.facts(series.info, stack)))
            }
            switch rules.route(candidates, manifest: manifest) {
            case .failure(let reason):
                return BatchCase(id: id, inputs: [], problem: reason.description)
            case .success(let chosen):
                let folders = chosen.map { commonFolder(stacks[$0.seriesInstanceUID]!.slices.map(\.file)) }
                return BatchCase(id: id, inputs: folders, seriesUIDs: chosen.map(\.seriesInstanceUID))
            }
        }
        return BatchCohort(kind: .dicomTree, cases: cases, notes: notes)
    }

    /// What the series rules look at, as the DICOM service sees a received series (instances, not frames).
    static func facts(_ info: DICOMSeriesInfo, _ stack: DICOMStack) -> SeriesFacts {
        SeriesFacts(modality: info.modality ?? "", seriesDescription: info.description ?? "", bodyPartExamined: info.bodyPartExamined ?? "",
                    imageType: stack.imageType, sliceCount: Set(stack.slices.map(\.sopInstanceUID)).count)
    }

    /// The deepest folder holding every file (the series' own folder in the usual study/series layout,
    /// so loading a channel scans that folder only).
    static func commonFolder(_ files: [String]) -> String {
        var common = (files.first.map { ($0 as NSString).deletingLastPathComponent } ?? "/").split(separator: "/").map(String.init)
        for file in files.dropFirst() {
            let parts = (file as NSString).deletingLastPathComponent.split(separator: "/").map(String.init)
            var n = 0
            while n < min(common.count, parts.count), common[n] == parts[n] { n += 1 }
            common.removeLast(common.count - n)
        }
        return "/" + common.joined(separator: "/")
    }
}
