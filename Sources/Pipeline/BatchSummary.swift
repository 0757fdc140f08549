import Core
import Foundation
import CSV
import Imaging

/// What happened to one case of a batch: a row of summary.csv / summary.json.
public struct BatchCaseResult: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// Segmented now.
        case completed
        /// Not segmented: the reason says why (the batch went on).
        case failed
        /// `--resume`: a completed run of this model on these inputs was already recorded (`runID`).
        case skipped
    }

    public var caseID: String
    public var status: Status
    /// Why it failed (or, when skipped, which run it was skipped for).
    public var reason: String?
    /// The error category of a failure (badInput, notFound, unsupported, outputFailed, invalidArgument).
    public var errorCategory: String?
    public var runID: Int64?
    /// OUT/case-<hash>: the folder holding the case's `segment` outputs.
    public var outputFolder: String
    public var inputs: [String]
    /// Per label: volume and lesion count (for skipped cases, read back from the earlier run's segmentation.json).
    public var labels: [SegmentSummary.LabelVolume]
    public var lesionCount: Int?
    /// load, preprocess, inference, ... and totalSeconds (SegmentSummary's), plus waitSeconds: how
    /// long the worker waited for this case's prefetch after the previous case ended.
    public var timingsSeconds: [String: Double]
    /// Which worker (0-based) handled it.
    public var worker: Int?
}

/// summary.json: the batch's parameters, counts and one result per case (sorted by case id).
public struct BatchSummary: Codable, Sendable {
    public struct Counts: Codable, Equatable, Sendable {
        public var selected: Int
        public var completed: Int
        public var failed: Int
        public var skipped: Int
    }
    public var input: String
    public var inputKind: BatchCohort.Kind
    public var model: String
    public var modelVersion: String
    public var modelSHA256: String
    public var databasePath: String
    /// "I/N" when `--shard` was given.
    public var shard: String?
    /// Cases in the cohort (before sharding).
    public var cohortSize: Int
    public var jobs: Int
    public var threadsPerJob: Int
    public var resume: Bool
    public var startedAt: Date
    public var wallSeconds: Double
    public var counts: Counts
    public var notes: [String]
    public var cases: [BatchCaseResult]

    /// `summary` (or `summary.shard-I-of-N` with `--shard`, so array tasks sharing OUT never
    /// overwrite one another) + `.json` / `.csv`.
    public static func baseName(shard: BatchShard?) -> String {
        shard.map { "summary.shard-\($0.index)-of-\($0.count)" } ?? "summary"
    }

    /// Writes `<base>.json` and `<base>.csv` into `folder`, each atomically (temporary file + rename).
    /// - Returns: the two paths.
    public func write(to folder: URL, shard: BatchShard?) throws -> [String] {
        let base = Self.baseName(shard: shard)
        let json = folder.appendingPathComponent(base + ".json"), csv = folder.appendingPathComponent(base + ".csv")
        do {
            try AtomicFile.write(try JSONFormat.encoder().encode(self), to: json)
            try AtomicFile.write(try csvData(), to: csv)
        } catch {
            throw BatchError.output("cannot write the batch summary in \(folder.path): \(error)")
        }
        return [json.path, csv.path]
    }

    /// Label names in manifest order over all cases (the CSV's volume columns).
    var labelNames: [String] {
        var names: [String] = []
        for label in cases.flatMap(\.labels) where !names.contains(label.name) { names.append(label.name) }
        return names
    }

    static let timingColumns = ["loadSeconds", "preprocessSeconds", "inferenceSeconds", "totalSeconds"]

    /// One row per case: id, status, reason, run, folder, lesions, a volume column per label, timings.
    func csvData() throws -> Data {
        let writer = try CSVWriter(stream: .toMemory())
        let names = labelNames
        try writer.write(row: ["case_id", "status", "reason", "run_id", "output_folder", "lesion_count"]
                         + names.map { "volume_ml_\($0)" } + Self.timingColumns.map { "seconds_" + $0.replacingOccurrences(of: "Seconds", with: "") })
        for c in cases {
            let volumes = names.map { name in c.labels.first { $0.name == name }.map { String(format: "%.4f", $0.volumeML) } ?? "" }
            let timings = Self.timingColumns.map { c.timingsSeconds[$0].map { String(format: "%.3f", $0) } ?? "" }
            try writer.write(row: [Self.neutralised(c.caseID), c.status.rawValue, Self.neutralised(c.reason ?? ""), c.runID.map(String.init) ?? "",
                                   c.outputFolder, c.lesionCount.map(String.init) ?? ""] + volumes + timings)
        }
        writer.stream.close()
        guard let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
            throw BatchError.output("the CSV writer returned no data")
        }
        return data + Data("\n".utf8)
    }

    /// A text cell that a spreadsheet would run as a formula (leading = + - @ tab or CR) gets a leading
    /// apostrophe (OWASP's CSV-injection rule); case ids and error messages are outside our control.
    static func neutralised(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }
}
