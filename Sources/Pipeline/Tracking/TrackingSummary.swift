import Foundation
import Lesions
import StudyStore

/// What a report shows of a tracked run: its RECIST target lesions and the response in one sentence.
enum TrackingSummary {
    /// nil when the run was never tracked (`segstation track`).
    static func of(_ store: StudyStore, run: RunID) throws -> (targets: Set<LesionKey>, sentence: String)? {
        let tracked = try store.trackedLesions(run: run)
        guard !tracked.isEmpty else { return nil }
        let chain = try TrackJob.timepoints(store, ending: run)
        guard let baseline = chain.first else { return nil }
        let targetNumbers = Set(RecistResponse.targets(at: baseline).map(\.identity))
        let targets = Set(tracked.filter { targetNumbers.contains($0.number) }.map(\.lesion))
        guard let a = RecistResponse.assess(chain) else {
            return (targets, "Baseline of the tracked series: \(targetNumbers.count) RECIST 1.1 target lesion(s).")
        }
        var sentence = "RECIST 1.1 (\(chain.map(\.date).joined(separator: " → "))): \(a.category.rawValue). "
        sentence += String(format: "Sum of target diameters %.1f mm at baseline, %.1f mm at nadir, %.1f mm now", a.baselineSumMM, a.nadirSumMM, a.currentSumMM)
        if let change = a.changeFromBaselinePercent { sentence += String(format: " (%+.1f %% from baseline)", change) }
        sentence += "; new lesions: " + (a.newLesions.isEmpty ? "none" : a.newLesions.map { "lesion \($0)" }.joined(separator: ", "))
        return (targets, sentence + ". See docs/RECIST.md for the rules applied.")
    }
}
