import Foundation
import XCTest
import TestSupport

/// The built `segstation` executable (beside the test bundle, or $SEGSTATION_BIN), run through
/// `ProcessRunner` with a working directory and extra environment (e.g. SEGSTATION_FAULT).
struct SegStationCLI: Sendable {
    typealias Outcome = ProcessRunner.Outcome
    /// The program: `segstation`, or `segstation-testkit` for the test helpers (e.g. debug-store-write).
    var program = "segstation"

    static func binary(_ program: String = "segstation") throws -> URL {
        if program == "segstation", let env = ProcessInfo.processInfo.environment["SEGSTATION_BIN"] { return URL(fileURLWithPath: env) }
        let bundle = Bundle(for: ProcessTestCase.self).bundleURL
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL, bundle]
            .map { $0.deletingLastPathComponent().appendingPathComponent(program) } + [bundle.appendingPathComponent(program)]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("\(program) binary not found beside the tests (\(candidates.map(\.path))): run `swift build` first or set SEGSTATION_BIN")
        }
        return found
    }

    /// Starts `segstation arguments` in `directory` (default: the test's working directory).
    func launch(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> ProcessRunner.Running {
        try ProcessRunner.launch(try Self.binary(program), arguments, in: directory, environment: environment)
    }

    /// Runs `segstation arguments` to its end.
    func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Outcome {
        try launch(arguments, in: directory, environment: environment).wait()
    }

    /// Writes a small phantom DICOM study (`segstation sample --size`) into `folder`; returns the
    /// FLAIR and T1c series folders.
    func phantom(in folder: URL, size: String = "32,32,16") throws -> [String] {
        let outcome = try run(["sample", "-o", folder.path, "--size", size])
        guard outcome.status == 0 else { throw Failure(description: "segstation sample exited \(outcome.status): \(outcome.stderr)") }
        return [folder.appendingPathComponent("FLAIR").path, folder.appendingPathComponent("T1c").path]
    }

    /// The tiny fixture model of the pipeline tests: label 1 where FLAIR > 0.5 (a 1x1x1 convolution),
    /// so a debug-build `segment` spends its time in our code paths, not in a network.
    static let fixtureModel = TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/threshold-3d").path
}

/// A helper command that failed (the test fails with its message).
struct Failure: Error, CustomStringConvertible {
    var description: String
}

/// Base of the tests that drive `segstation` processes: a scratch folder per test and a runner.
class ProcessTestCase: XCTestCase {
    var folder: URL!
    let cli = SegStationCLI()
    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("segstation-e2e") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }
}
