import Foundation
import XCTest
import TestSupport

/// Regression: `segment` used to chmod its artefacts to 0600 only after renaming them into place, so a
/// run killed in between left a complete SEG/SR/report readable by others (the kill harness caught an
/// `sr.dcm` with mode 644 under load). Now the command sets an owner-only umask before writing: every
/// file (temporaries included) is 0600 and every folder 0700 from the moment it exists. This test
/// starts `segment` with a permissive umask (022) inherited from the test process and watches the
/// output tree while the run is in progress.
final class OwnerOnlyModeTests: ProcessTestCase {
    func testEveryFileIsOwnerOnlyFromItsCreation() throws {
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"))
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let arguments = ["segment"] + inputs + ["--model", SegStationCLI.fixtureModel, "--db", work.appendingPathComponent("db.sqlite").path]

        let previous = umask(0o022)
        defer { umask(previous) }
        var exposed: Set<String> = []
        var observations = 0
        for _ in 0..<3 {
            let process = try cli.launch(arguments, in: work)
            repeat {
                for (path, mode) in Self.modes(under: work) {
                    observations += 1
                    if mode & 0o077 != 0 { exposed.insert("\(path) mode \(String(mode, radix: 8))") }
                }
            } while process.isRunning
            let outcome = process.wait()
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
        }
        XCTAssertGreaterThan(observations, 0, "the watcher saw no files: it tested nothing")
        XCTAssertEqual(exposed.sorted(), [])
    }

    /// Permission bits of every file and folder below `root` (entries vanishing meanwhile are skipped).
    static func modes(under root: URL) -> [(String, Int)] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var result: [(String, Int)] = []
        while let relative = walker.nextObject() as? String {
            var info = stat()
            if lstat(root.appendingPathComponent(relative).path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK {
                result.append((relative, Int(info.st_mode & 0o777)))
            }
        }
        return result
    }
}
