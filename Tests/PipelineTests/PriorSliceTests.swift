import Foundation
import Imaging
import Reports
import StudyStore
import TestSupport
import XCTest
@testable import Pipeline

/// Issue 13, images: "when there is a prior, the matching slice of the prior study beside the current
/// one, through the registration". On the acceptance study (follow-up moved 7 degrees and 12 mm, another
/// frame of reference), the prior slice shown beside each tracked lesion's key image must contain that
/// lesion as it was at the prior study: the prior mask resampled at the key image's plane overlaps the
/// current lesion's in-plane extent, and does so because of the registration (without it, it does less).
final class PriorSliceTests: XCTestCase {
    func testPriorSliceOfATrackedLesionShowsThePriorLesionThroughTheRegistration() throws {
        guard ExternalTool("elastix") != nil else { throw XCTSkip(ExternalTool.missing("elastix", package: "elastix")) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prior-slice-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try StudyStore()
        let (baseline, followUp) = try TrackingStudy().record(in: store, folder: folder)
        _ = try TrackJob.run(store: store, current: baseline)
        let tracked = try TrackJob.run(store: store, current: followUp)

        let (input, _) = try ReportJob.input(store: store, runID: followUp)
        let prior = try XCTUnwrap(input.prior, "the report of a tracked run has its prior study")
        XCTAssertEqual(prior.studyDate, "2026-01-10")
        let recorded = try XCTUnwrap(AffineTransform3(rows: try XCTUnwrap(tracked.registration).transform))
        XCTAssertLessThan(norm(prior.currentToPrior.apply(recorded.apply(Vector3(10, 20, 30))) - Vector3(10, 20, 30)), 1e-6,
                          "current -> prior is the inverse of the recorded prior -> current registration")
        let rendered = try RenderedReport.render(input)
        var unregisteredInput = input
        unregisteredInput.prior?.currentToPrior = .identity
        let unregistered = try RenderedReport.render(unregisteredInput)

        // A (grown) and B (shrunk) are measurable and matched: they get a prior slice; D (new) does not.
        let withPrior = rendered.lesionImages.filter { $0.prior != nil }
        XCTAssertEqual(withPrior.count, 2, "A and B")
        for item in rendered.lesionImages { XCTAssertEqual(item.prior != nil, item.row.priorVolumeML != nil, "lesion #\(item.row.lesionIndex)") }
        let g = input.image.geometry
        for (item, naive) in zip(rendered.lesionImages, unregistered.lesionImages) where item.prior != nil {
            let current = item.image.slice, shown = try XCTUnwrap(item.prior).slice
            XCTAssertEqual(shown.width, current.width); XCTAssertEqual(shown.height, current.height)
            XCTAssertEqual(item.prior?.region, item.image.region, "same region and scale as the current key image")
            let registered = Self.dice(item.row, current: current, prior: shown, geometry: g)
            let withoutRegistration = Self.dice(item.row, current: current, prior: try XCTUnwrap(naive.prior).slice, geometry: g)
            XCTAssertGreaterThan(registered, 0.6, "lesion #\(item.row.lesionIndex): the prior slice shows the prior lesion where the current one is")
            XCTAssertLessThan(withoutRegistration, registered - 0.1, "lesion #\(item.row.lesionIndex): the registration is what aligns them")
        }

        // The HTML shows each prior slice beside its key image, captioned with the prior date and volume.
        let html = try String(contentsOf: try XCTUnwrap(ReportWriter.write(input, formats: [.html], to: folder.appendingPathComponent("report")).first).url,
                              encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"prior\">").count - 1, 2)
        for item in withPrior {
            let volume = String(format: "%.2f", try XCTUnwrap(item.row.priorVolumeML))
            XCTAssertTrue(html.contains("\(item.row.labelName) #\(item.row.lesionIndex) at the prior study (2026-01-10): \(volume) mL"), volume)
        }
    }

    /// Dice of the lesion's pixels in the current key slice and the prior's at the same pixels, within the
    /// lesion's reach (half its long axis + 3 mm around its centroid, so other lesions do not count).
    static func dice(_ row: Reports.LesionRow, current: KeySlice, prior: KeySlice, geometry: VolumeGeometry) -> Double {
        let c = current.pixel(ofPatient: row.centroidLPS, geometry: geometry)
        let reach = row.longestAxialDiameterMM / 2 + 3
        var now = 0, before = 0, both = 0
        for r in 0..<current.height {
            for column in 0..<current.width {
                let dx = (Double(column) - c.column) * current.columnSpacingMM, dy = (Double(r) - c.row) * current.rowSpacingMM
                guard dx * dx + dy * dy <= reach * reach else { continue }
                let a = current.labels[r * current.width + column] != 0, b = prior.labels[r * current.width + column] != 0
                now += a ? 1 : 0; before += b ? 1 : 0; both += a && b ? 1 : 0
            }
        }
        return now + before == 0 ? 0 : 2 * Double(both) / Double(now + before)
    }
}
