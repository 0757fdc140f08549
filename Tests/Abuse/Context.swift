import Foundation
import TestSupport

/// What the generators share: the work folder, the seeded generator, base inputs made once.
final class Context {
    let work: URL
    var rng: SplitMix
    let segstation: String
    /// The environment every segstation run gets (the suite's budget, database, models).
    let environment: [String: String]
    /// The address-space limit of every child, bytes.
    let addressSpaceBytes: Int
    let repository: URL
    /// Real reference data (`$SEGSTATION_DATA`, else ../shared/data), or nil.
    let data: URL?
    private var counter = 0
    /// tmpfs mounts to undo at the end.
    var mounts: [String] = []
    /// Categories not run, with the reason (printed at the end).
    var skipped: [String] = []

    init(work: URL, seed: UInt64, segstation: String, environment: [String: String], addressSpaceBytes: Int, repository: URL) {
        self.work = work; rng = SplitMix(seed: seed); self.segstation = segstation
        self.environment = environment; self.addressSpaceBytes = addressSpaceBytes; self.repository = repository
        data = TestData.root
    }

    /// A new empty folder under the work folder.
    func folder(_ label: String) -> String {
        counter += 1
        let url = work.appendingPathComponent(String(format: "%03d-%@", counter, label))
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    func write(_ data: Data, _ path: String) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// Runs `argv` in `folder` with the suite's environment (plus `extra`) and address-space limit.
    func run(_ argv: [String], timeout: Double, in folder: String, environment extra: [String: String] = [:]) -> Finished {
        runChild(argv, timeout: timeout, in: folder, environment: environment.merging(extra) { $1 }, limit: addressSpaceBytes)
    }

    /// Runs segstation for setup (not a trial); nil when it failed.
    @discardableResult
    func setup(_ arguments: [String], in folder: String) -> Finished? {
        let f = run([segstation] + arguments, timeout: 120, in: folder)
        return f.exitCode == 0 ? f : nil
    }

    // MARK: Base inputs, made once

    /// A small phantom study from `segstation sample` (FLAIR/ and T1c/ DICOM series, reference mask).
    lazy var sample: String? = {
        let dir = folder("sample")
        guard setup(["sample", "-o", dir + "/study", "--size", "40,40,24"], in: dir) != nil else { return nil }
        return dir + "/study"
    }()

    /// The sample's FLAIR as NIfTI (from `segstation convert`).
    lazy var sampleNIfTI: String? = {
        guard let sample else { return nil }
        let out = folder("sample-nifti") + "/flair.nii.gz"
        return setup(["convert", sample + "/FLAIR", "-o", out], in: work.path) != nil ? out : nil
    }()

    /// One DICOM file of the sample's FLAIR series.
    var sampleSlices: [String] {
        guard let sample else { return [] }
        let dir = sample + "/FLAIR"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    /// A copy of the sample's FLAIR folder to damage.
    func flairCopy(_ label: String) -> String? {
        guard let sample else { return nil }
        let dir = folder(label) + "/FLAIR"
        try? FileManager.default.copyItem(atPath: sample + "/FLAIR", toPath: dir)
        return dir
    }

    /// A copy of a bundled model package (1.4 MB) whose manifest `edit` changes.
    func modelCopy(_ label: String, edit: (inout [String: Any]) -> Void) -> String {
        let source = repository.appendingPathComponent("Models/brats-wt-3d")
        let dir = folder(label) + "/pkg"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let manifestURL = source.appendingPathComponent("manifest.json")
        var manifest = ((try? JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL))) as? [String: Any]) ?? [:]
        if let network = manifest["network"] as? [String: Any], let file = network["file"] as? String {
            try? FileManager.default.copyItem(atPath: source.appendingPathComponent(file).path, toPath: dir + "/" + file)
        }
        edit(&manifest)
        let data = (try? JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted])) ?? Data()
        _ = FileManager.default.createFile(atPath: dir + "/manifest.json", contents: data)
        return dir
    }

    /// Flips `count` random bits of `data` in `range` (whole file when nil).
    func flipBits(_ data: Data, count: Int, in range: Range<Int>? = nil) -> Data {
        var d = data
        let r = range ?? 0..<d.count
        guard !r.isEmpty else { return d }
        for _ in 0..<count {
            let i = Int.random(in: r, using: &rng)
            d[d.startIndex + i] ^= UInt8(1 << Int.random(in: 0...7, using: &rng))
        }
        return d
    }
}
