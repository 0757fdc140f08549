import Core
import Foundation
import XCTest

/// The temporary-name scheme, atomic writes and the sweep of leftovers under the folder lock.
final class AtomicFileTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testTemporaryNamesKeepTheWholeFinalName() {
        let temporary = TemporaryName.beside(folder.appendingPathComponent("mask.nii.gz"))
        XCTAssertEqual(temporary.deletingLastPathComponent().path, folder.path)
        XCTAssertTrue(temporary.lastPathComponent.hasSuffix(".partial.mask.nii.gz"), temporary.lastPathComponent)
        XCTAssertTrue(TemporaryName.isTemporary(temporary.lastPathComponent))
        for name in ["mask.nii.gz", ".partial.x", ".0badf00d.partial.", ".0badf0.partial.x", ".0badf00g.partial.x", "0badf00d.partial.x"] {
            XCTAssertFalse(TemporaryName.isTemporary(name), name)
        }
        XCTAssertTrue(TemporaryName.isTemporary(".0badf00d.partial.series"))
    }

    func testWriteReplacesWholeAndLeavesNoTemporary() throws {
        let url = folder.appendingPathComponent("a.json")
        try AtomicFile.write(Data("old".utf8), to: url)
        try AtomicFile.write(Data("new".utf8), to: url, permissions: 0o600)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new")
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a.json"])
    }

    func testFailedProducerLeavesDestinationUntouched() throws {
        struct Boom: Error {}
        let url = folder.appendingPathComponent("b.bin")
        try AtomicFile.write(Data("kept".utf8), to: url)
        XCTAssertThrowsError(try AtomicFile.write(to: url) { temporary in
            try Data("half".utf8).write(to: temporary)
            throw Boom()
        })
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "kept")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["b.bin"])
    }

    func testFailedRenameIsAnOutputError() throws {
        // The destination is a non-empty folder: rename(2) refuses to replace it.
        let destination = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: destination.appendingPathComponent("x"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: destination)) { error in
            XCTAssertEqual((error as? CategorizedError)?.category, .outputFailed, "\(error)")
            XCTAssertTrue("\(error)".contains(destination.path), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["taken"])
    }

    /// Leftovers (files and series folders) go, other files stay; a live writer's folder is left alone.
    func testSweepRemovesOnlyTemporariesOfGoneWriters() throws {
        let live = OutputFolderLock(folder: folder)
        let file = folder.appendingPathComponent(".0badf00d.partial.report.pdf")
        let series = folder.appendingPathComponent(".deadbeef.partial.series")
        try Data("x".utf8).write(to: file)
        try FileManager.default.createDirectory(at: series.appendingPathComponent("slices"), withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: folder.appendingPathComponent("notes.partial.txt"))
        XCTAssertEqual(OutputFolderLock.sweep(folder), [], "a live writer's temporaries were removed")
        live.release()
        XCTAssertEqual(OutputFolderLock.sweep(folder), [series.lastPathComponent, file.lastPathComponent].sorted())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["notes.partial.txt"])
    }

    func testSiblingRunFoldersAreSwept() throws {
        let run1 = folder.appendingPathComponent("run-1"), run2 = folder.appendingPathComponent("run-2")
        for run in [run1, run2] { try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true) }
        try Data().write(to: run1.appendingPathComponent(".00000001.partial.mask.nii.gz"))
        let lock = OutputFolderLock(folder: run2, sweepSiblings: true)
        defer { lock.release() }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run1.path), [])
    }
}
