import Foundation
import XCTest
@testable import Imaging
import Core

/// Issue 11: the refusals made before any work (memory budget, regular input files, confined paths,
/// checked conversions), each against an input made here.
final class SafetyTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("safety-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        unsetenv(MemoryBudget.environmentVariable)
        try? FileManager.default.removeItem(at: folder)
    }

    func testBudgetParsesSizes() {
        XCTAssertEqual(MemoryBudget.parse("1024"), 1024)
        XCTAssertEqual(MemoryBudget.parse("512M"), 512 << 20)
        XCTAssertEqual(MemoryBudget.parse("2G"), 2 << 30)
        XCTAssertEqual(MemoryBudget.parse("1.5GiB"), 3 << 29)
        for bad in ["", "-1G", "0", "G", "nanG", "1e30T", "12X"] { XCTAssertNil(MemoryBudget.parse(bad), bad) }
    }

    func testBudgetRefusesWithTheNumbers() throws {
        setenv(MemoryBudget.environmentVariable, "1M", 1)
        XCTAssertNoThrow(try MemoryBudget.require([1000, 1000], for: "a test buffer", input: "x.nii"))
        XCTAssertThrowsError(try MemoryBudget.require([2048, 1024], for: "a test buffer", input: "x.nii")) { error in
            let e = error as? SafetyError
            XCTAssertEqual(e?.kind, .memoryBudget)
            XCTAssertEqual((error as? CategorizedError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("x.nii") && "\(error)".contains("2.0 MiB") && "\(error)".contains("1.0 MiB"), "\(error)")
        }
        // Overflowing products are refused, not trapped.
        XCTAssertThrowsError(try MemoryBudget.require([Int.max, 2], for: "overflow", input: "x"))
    }

    /// Regression: voxels of 1e38 mm (or a 1e-300 mm target) made withSpacing trap converting to Int,
    /// and 100 mm voxels asked for 221 GB; both are refused by the budget now.
    func testResamplingToAbsurdSpacingIsRefused() throws {
        setenv(MemoryBudget.environmentVariable, "64M", 1)
        for spacing in [1e38, 100.0] {
            let g = VolumeGeometry(size: SIMD3(64, 64, 64), spacingMM: Vector3(spacing, spacing, spacing), originLPS: .zero, direction: .identity)
            XCTAssertThrowsError(try g.withSpacing(Vector3(1, 1, 1))) { XCTAssertEqual(($0 as? SafetyError)?.kind, .memoryBudget, "\($0)") }
        }
        let g = VolumeGeometry(size: SIMD3(4, 4, 4), spacingMM: Vector3(1, 1, 1), originLPS: .zero, direction: .identity)
        XCTAssertThrowsError(try g.withSpacing(Vector3(1e-300, 1e-300, 1e-300))) { XCTAssertEqual(($0 as? SafetyError)?.kind, .memoryBudget) }
        XCTAssertEqual(try g.withSpacing(Vector3(2, 2, 2)).size, SIMD3(2, 2, 2))
    }

    func testCheckedConversions() {
        XCTAssertEqual(Checked.intOrNil(3.9), 3)
        XCTAssertNil(Checked.intOrNil(.nan))
        XCTAssertNil(Checked.intOrNil(1e19))
        XCTAssertNil(Checked.intOrNil(-.infinity))
        XCTAssertThrowsError(try Checked.int(.infinity, field: "dim"))
        XCTAssertEqual(Checked.clampedInt(.nan, 0...9), 0)
        XCTAssertEqual(Checked.clampedInt(1e300, 0...9), 9)
        XCTAssertEqual(Checked.clampedInt(-5, 0...9), 0)
    }

    func testSpecialFilesAreRefusedBeforeOpening() throws {
        let fifo = folder.appendingPathComponent("fifo.nii").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let zero = folder.appendingPathComponent("zero.nii").path
        try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
        let loop = folder.appendingPathComponent("loop.nii").path
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let dir = folder.appendingPathComponent("dir.nii").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for path in [fifo, zero, loop, dir] {
            XCTAssertThrowsError(try InputFile.requireRegular(path, role: "test input")) { error in
                XCTAssertEqual((error as? SafetyError)?.kind, .notRegularFile, path)
                XCTAssertTrue("\(error)".contains(path))
            }
        }
        XCTAssertNoThrow(try InputFile.requireRegularOrDirectory(dir, role: "DICOM folder"))
        XCTAssertThrowsError(try InputFile.requireRegular(folder.appendingPathComponent("none").path, role: "x")) {
            XCTAssertEqual(($0 as? SafetyError)?.kind, .notFound)
        }
        // Output targets: an existing directory or a missing folder is an output failure (exit 73).
        XCTAssertThrowsError(try InputFile.requireWritableFileTarget(dir, flag: "-o")) {
            XCTAssertEqual(($0 as? CategorizedError)?.category, .outputFailed)
        }
        XCTAssertThrowsError(try InputFile.requireWritableFileTarget(folder.path + "/missing/out.nii", flag: "-o"))
        XCTAssertNoThrow(try InputFile.requireWritableFileTarget(folder.path + "/out.nii", flag: "-o"))
    }

    func testConfinedPaths() throws {
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("data.raw").path, contents: Data([1]))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("out.raw").path, withDestinationPath: "/etc/passwd")
        XCTAssertEqual(try ConfinedPath.resolve("data.raw", inside: folder, field: "data file", file: "h.nhdr").lastPathComponent, "data.raw")
        for bad in ["../../../../etc/shadow", "/etc/passwd", "out.raw", "a/../../x", ""] {
            XCTAssertThrowsError(try ConfinedPath.resolve(bad, inside: folder, field: "data file", file: "h.nhdr"), bad) { error in
                XCTAssertEqual((error as? SafetyError)?.kind, .outsideFolder)
                XCTAssertTrue("\(error)".contains("data file") && "\(error)".contains("h.nhdr"))
            }
        }
    }

    /// Non-finite origins and directions are invalid geometry (issue 11 point 10).
    func testNonFiniteGeometryIsInvalid() {
        let inf = VolumeGeometry(size: SIMD3(2, 2, 2), spacingMM: Vector3(1, 1, 1), originLPS: Vector3(.infinity, 0, 0), direction: .identity)
        XCTAssertThrowsError(try inf.validate())
        let nan = VolumeGeometry(size: SIMD3(2, 2, 2), spacingMM: Vector3(1, .nan, 1), originLPS: .zero, direction: .identity)
        XCTAssertThrowsError(try nan.validate())
    }
}
