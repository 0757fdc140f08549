import XCTest
import Imaging
import VolumeIO
import DICOM
import StudyStore
import TestSupport
@testable import Pipeline

/// `batch` on small synthetic cohorts with the threshold fixture model (label 1 where FLAIR > 0.5).
final class BatchTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("batch") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    var database: String { folder.appendingPathComponent("studies.sqlite").path }

    func options(_ input: String, out: String = "out", resume: Bool = false, jobs: Int = 1, shard: BatchShard? = nil) -> BatchOptions {
        BatchOptions(input: input, output: folder.appendingPathComponent(out).path, model: SegmentJobTests.fixture("threshold-3d"),
                     databasePath: database, jobs: jobs, threadsPerJob: 1, resume: resume, shard: shard, writeDICOM: false,
                     reportFormats: [.json], cores: 2)
    }

    /// Writes case `id` (FLAIR blob + T1c noise) in nnU-Net naming; `radius` varies the blob per case.
    @discardableResult
    func writeNNUNetCase(_ id: String, in dir: URL, size: SIMD3<Int> = SIMD3(14, 12, 10), radius: Double = 4,
                         channels: [Int] = [0, 1]) throws -> Volume<Float> {
        let (flair, t1c) = SegmentJobTests.scan(size: size, radiusMM: radius)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for c in channels {
            try VolumeFile.write(c == 0 ? flair : t1c, to: dir.appendingPathComponent(String(format: "%@_%04d.nii.gz", id, c)).path)
        }
        return flair
    }

    func testNNUNetFolderSegmentsGoodCasesAndRecordsBadOnes() throws {
        let input = folder.appendingPathComponent("imagesTs")
        var expected: [String: Int] = [:]
        for (n, id) in ["A", "B", "C"].enumerated() {
            let flair = try writeNNUNetCase(id, in: input, radius: 3 + Double(n))
            expected[id] = flair.voxels.filter { $0 > 0.5 }.count
        }
        try writeNNUNetCase("missing", in: input, channels: [0])
        // Channels of different sizes.
        let (small, _) = SegmentJobTests.scan(size: SIMD3(8, 8, 8))
        try writeNNUNetCase("sizes", in: input, channels: [0])
        try VolumeFile.write(small, to: input.appendingPathComponent("sizes_0001.nii.gz").path)
        // Unreadable: not a NIfTI file at all.
        try writeNNUNetCase("garbage", in: input, channels: [1])
        try Data(repeating: 0x42, count: 300).write(to: input.appendingPathComponent("garbage_0000.nii.gz"))
        try Data("notes".utf8).write(to: input.appendingPathComponent("README.txt"))

        let summary = try BatchRunner.run(options(input.path))
        XCTAssertEqual(summary.inputKind, .nnUNetFolder)
        XCTAssertEqual(summary.cases.map(\.caseID), ["A", "B", "C", "garbage", "missing", "sizes"])
        XCTAssertEqual(summary.counts, .init(selected: 6, completed: 3, failed: 3, skipped: 0))
        for c in summary.cases where c.status == .completed {
            XCTAssertEqual(c.labels.first?.voxelCount, expected[c.caseID], c.caseID)
            XCTAssertEqual(c.lesionCount, 1)
            XCTAssertNotNil(c.timingsSeconds["inferenceSeconds"])
            XCTAssertNotNil(c.timingsSeconds["preprocessSeconds"], "preprocessing happens in the prefetch")
            let mask = try VolumeFile.readLabels(c.outputFolder + "/mask.nii.gz")
            XCTAssertEqual(mask.voxels.filter { $0 == 1 }.count, expected[c.caseID])
            XCTAssertTrue(URL(fileURLWithPath: c.outputFolder).lastPathComponent.hasPrefix("case-"))
            XCTAssertFalse(URL(fileURLWithPath: c.outputFolder).lastPathComponent.contains(c.caseID), "no case id in the folder name")
        }
        let reasons = Dictionary(uniqueKeysWithValues: summary.cases.map { ($0.caseID, $0.reason ?? "") })
        XCTAssertTrue(reasons["missing"]!.contains("missing channel 0001 (T1c)"), reasons["missing"]!)
        XCTAssertTrue(reasons["sizes"]!.contains("channels of different sizes"), reasons["sizes"]!)
        XCTAssertTrue(reasons["garbage"]!.contains("garbage_0000.nii.gz"), reasons["garbage"]!)
        XCTAssertTrue(summary.notes.contains { $0.contains("README.txt") })

        // The summary files: the JSON decodes to the same result; the CSV has a row per case.
        let out = folder.appendingPathComponent("out")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let written = try decoder.decode(BatchSummary.self, from: Data(contentsOf: out.appendingPathComponent("summary.json")))
        XCTAssertEqual(written.cases, summary.cases)
        let csv = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.count, 7)
        XCTAssertTrue(lines[0].hasPrefix("case_id,status,reason,run_id,output_folder,lesion_count,volume_ml_Bright region"), String(lines[0]))
        XCTAssertEqual(lines.filter { $0.contains(",failed,") }.count, 3)

        let store = try StudyStore(path: database, createIfMissing: false)
        XCTAssertEqual(try store.runs().filter { $0.status == .completed }.count, 3)

        // --resume: the three completed cases are skipped; the bad ones fail again; nothing is added.
        let again = try BatchRunner.run(options(input.path, resume: true))
        XCTAssertEqual(again.counts, .init(selected: 6, completed: 0, failed: 3, skipped: 3))
        for c in again.cases where c.status == .skipped {
            XCTAssertEqual(c.runID, summary.cases.first { $0.caseID == c.caseID }?.runID)
            XCTAssertEqual(c.labels.first?.voxelCount, expected[c.caseID], "figures read back from the earlier run")
        }
        XCTAssertEqual(try store.runs().count, 3)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    /// Regression: two cases with byte-identical inputs share an input fingerprint; `--resume` skipped
    /// the second as "already completed" by the first's run, leaving its folder empty (seen in the Slurm
    /// benchmark, whose cohort is copies of one phantom). Each case now gets its own outputs.
    func testResumeDoesNotSkipADuplicateCaseWithoutItsOwnOutputs() throws {
        let input = folder.appendingPathComponent("duplicates")
        try writeNNUNetCase("first", in: input)
        try writeNNUNetCase("second", in: input)
        let summary = try BatchRunner.run(options(input.path, resume: true))
        XCTAssertEqual(summary.counts, .init(selected: 2, completed: 2, failed: 0, skipped: 0))
        for c in summary.cases {
            XCTAssertTrue(FileManager.default.fileExists(atPath: c.outputFolder + "/mask.nii.gz"), c.caseID)
        }
        XCTAssertNotEqual(summary.cases[0].runID, summary.cases[1].runID)
        let again = try BatchRunner.run(options(input.path, resume: true))
        XCTAssertEqual(again.counts, .init(selected: 2, completed: 0, failed: 0, skipped: 2))
        XCTAssertEqual(Set(again.cases.compactMap(\.runID)), Set(summary.cases.compactMap(\.runID)))
    }

    func testTwoWorkersAndShardsCoverTheCohortOnce() throws {
        let input = folder.appendingPathComponent("cohort")
        let ids = (0..<7).map { "case\($0)" }
        for (n, id) in ids.enumerated() { try writeNNUNetCase(id, in: input, radius: 2.5 + 0.3 * Double(n)) }
        var seen: [String] = []
        for i in 0..<3 {
            let part = try BatchRunner.run(options(input.path, jobs: 2, shard: try BatchShard(index: i, count: 3)))
            XCTAssertEqual(part.counts.failed, 0)
            XCTAssertEqual(part.cohortSize, 7)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/summary.shard-\(i)-of-3.csv").path))
            seen += part.cases.map(\.caseID)
        }
        XCTAssertEqual(seen.sorted(), ids)
        let store = try StudyStore(path: database, createIfMissing: false)
        XCTAssertEqual(try store.runs().filter { $0.status == .completed }.count, 7)
    }

    /// Each worker loads the network once, and reads its next case before segmenting the one it holds.
    func testEachWorkerLoadsTheModelOnceAndPrefetchesDuringInference() throws {
        let input = folder.appendingPathComponent("cohort")
        for n in 0..<6 { try writeNNUNetCase("case\(n)", in: input, radius: 2.5 + 0.3 * Double(n)) }
        let events = EventLog()
        let summary = try BatchRunner.run(options(input.path, jobs: 2)) { events.append($0) }
        XCTAssertEqual(summary.counts.completed, 6)
        let all = events.all
        XCTAssertEqual(all.compactMap { if case .networkLoaded(let w) = $0 { return w } else { return nil } }.sorted(), [0, 1])
        for worker in 0..<2 {
            // This worker's cases in the order it took them, and where each one's prefetch and end are in the log.
            var prefetched: [String: Int] = [:], ended: [String: Int] = [:]
            for (position, event) in all.enumerated() {
                if case .prefetchStarted(let id, let w) = event, w == worker { prefetched[id] = position }
                if case .caseEnded(let r, _, _) = event, r.worker == worker { ended[r.caseID] = position }
            }
            let order = prefetched.sorted { $0.value < $1.value }.map(\.key)
            XCTAssertEqual(Set(order), Set(ended.keys), "worker \(worker)")
            for (held, following) in zip(order, order.dropFirst()) {
                XCTAssertLessThan(prefetched[following]!, ended[held]!, "worker \(worker): \(following) was not read ahead of \(held)'s inference")
            }
        }
    }

    func testCSVManifestCarriesIdentifiers() throws {
        let data = folder.appendingPathComponent("data")
        try writeNNUNetCase("p1", in: data)
        try writeNNUNetCase("p2", in: data, radius: 5)
        let csv = """
            case_id,FLAIR,T1c,patient_id,study_date,study_uid
            first,data/p1_0000.nii.gz,data/p1_0001.nii.gz,PAT-1,2024-03-01,1.2.3.4.1
            "second, quoted",\(data.path)/p2_0000.nii.gz,data/p2_0001.nii.gz,PAT-2,20240402,1.2.3.4.2
            third,data/p1_0000.nii.gz,,PAT-3,,
            """
        let manifest = folder.appendingPathComponent("cohort.csv")
        try Data(csv.utf8).write(to: manifest)
        let summary = try BatchRunner.run(options(manifest.path))
        XCTAssertEqual(summary.inputKind, .csvManifest)
        XCTAssertEqual(summary.counts, .init(selected: 3, completed: 2, failed: 1, skipped: 0))
        XCTAssertTrue(summary.cases.first { $0.caseID == "third" }?.reason?.contains("missing channel T1c") == true)
        let store = try StudyStore(path: database, createIfMissing: false)
        let studies = try store.studies()
        XCTAssertEqual(Set(studies.map(\.studyInstanceUID)), ["1.2.3.4.1", "1.2.3.4.2"])
        XCTAssertEqual(Set(studies.map(\.patientID)), ["PAT-1", "PAT-2"])
        XCTAssertEqual(Set(studies.compactMap(\.studyDate)), ["2024-03-01", "2024-04-02"])
    }

    func testCSVManifestWithoutAChannelColumnIsRefused() throws {
        let manifest = folder.appendingPathComponent("bad.csv")
        try Data("case_id,FLAIR\na,x.nii.gz\n".utf8).write(to: manifest)
        XCTAssertThrowsError(try BatchRunner.run(options(manifest.path))) { error in
            XCTAssertEqual((error as? BatchError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("T1c"), "\(error)")
        }
    }

    /// A DICOM tree: a good study, a study whose FLAIR is CT, and a study without T1c.
    func testDICOMTreeIsRoutedBySeriesDescription() throws {
        let tree = folder.appendingPathComponent("dicom")
        let phantom = SamplePhantom(size: SIMD3(16, 16, 8))
        let good = try SampleStudy.write(to: tree.appendingPathComponent("good"), phantom: phantom)
        let noT1c = try SampleStudy.write(to: tree.appendingPathComponent("no-t1c"), phantom: phantom)
        try FileManager.default.removeItem(atPath: noT1c.t1cSeries)
        // Wrong modality: FLAIR and T1c series written as CT.
        let studyUID = DICOMUID.make(), frame = DICOMUID.make()
        for (name, volume) in [("FLAIR", phantom.flair), ("T1c", phantom.t1c)] {
            var d = DICOMSeriesDescription(patientID: "CT-1", patientName: "Ct^Case", studyInstanceUID: studyUID, studyDate: "20260102",
                                           seriesDescription: "\(name) axial", frameOfReferenceUID: frame)
            d.modality = "CT"
            try DICOMSeriesWriter.write(volume, to: tree.appendingPathComponent("ct/\(name)"), description: d)
        }
        let summary = try BatchRunner.run(options(tree.path))
        XCTAssertEqual(summary.inputKind, .dicomTree)
        let byID = Dictionary(uniqueKeysWithValues: summary.cases.map { ($0.caseID, $0) })
        XCTAssertEqual(byID[good.studyInstanceUID]?.status, .completed, byID[good.studyInstanceUID]?.reason ?? "")
        XCTAssertTrue(byID[noT1c.studyInstanceUID]?.reason?.contains("missing channel T1c") == true, "\(String(describing: byID[noT1c.studyInstanceUID]))")
        XCTAssertTrue(byID[studyUID]?.reason?.contains("modality CT, the model expects MR") == true, "\(String(describing: byID[studyUID]))")
        XCTAssertEqual(summary.counts.failed, 2)
    }

    func testRoutingRules() throws {
        let package = try ModelPackage.resolve(SegmentJobTests.fixture("threshold-3d"))
        let rules = SeriesRoutingRules(rules: [
            .init(channel: "FLAIR", match: SeriesMatch(seriesDescription: "flair", excludeSeriesDescription: "sub")),
            .init(channel: "T1c", match: SeriesMatch(seriesDescription: "t1.*(c|gd)")),
        ])
        XCTAssertNoThrow(try rules.check(against: package.manifest))
        func candidate(_ d: String, _ m: String = "MR") -> SeriesRoutingRules.Candidate {
            .init(seriesInstanceUID: d, facts: SeriesFacts(modality: m, seriesDescription: d, sliceCount: 20))
        }
        let routed = rules.route([candidate("Ax T2 FLAIR"), candidate("FLAIR subtraction"), candidate("T1 post GD"), candidate("DWI")],
                                 manifest: package.manifest)
        XCTAssertEqual(try routed.get().map(\.facts.seriesDescription), ["Ax T2 FLAIR", "T1 post GD"])
        XCTAssertEqual(rules.route([candidate("flair"), candidate("FLAIR 2"), candidate("t1c")], manifest: package.manifest),
                       .failure(.ambiguous(channel: "FLAIR", series: ["flair", "FLAIR 2"])))
        XCTAssertEqual(rules.route([candidate("flair", "CT"), candidate("t1c")], manifest: package.manifest),
                       .failure(.wrongModality(channel: "FLAIR", series: "flair", modality: "CT", expected: "MR")))
        XCTAssertThrowsError(try SeriesRoutingRules(rules: [.init(channel: "FLAIR", match: SeriesMatch())]).check(against: package.manifest))
        XCTAssertEqual(SeriesRoutingRules.defaults(for: package.manifest).rules.map(\.match.seriesDescription), ["FLAIR", "T1c"])
    }
}

/// Batch events collected from the worker threads, in the order they were sent.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BatchEvent] = []
    func append(_ event: BatchEvent) { lock.lock(); events.append(event); lock.unlock() }
    var all: [BatchEvent] { lock.lock(); defer { lock.unlock() }; return events }
}
