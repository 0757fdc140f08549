import CArchive
import Foundation
import Glibc
import XCTest

/// POST /jobs with a zip of DICOM files: a real zip of the phantom's series (made by Info-ZIP `zip`)
/// is segmented like the same series sent by storescu; hostile zips (made with libarchive's writer,
/// which keeps any entry name) get a typed 4xx and leave nothing behind.
final class UploadZipTests: XCTestCase {
    enum Entry {
        case file(String, Data)
        case symlink(String, to: String)
    }

    /// A zip (deflate) holding `entries` exactly as named.
    static func zip(_ entries: [Entry]) throws -> Data {
        let archive = try XCTUnwrap(archive_write_new())
        defer { archive_write_free(archive) }
        XCTAssertEqual(archive_write_set_format_zip(archive), ARCHIVE_OK)
        XCTAssertEqual(archive_write_set_format_option(archive, "zip", "compression", "deflate"), ARCHIVE_OK)
        var buffer = [UInt8](repeating: 0, count: 8 << 20)
        var used = 0
        try buffer.withUnsafeMutableBytes { raw in
            guard archive_write_open_memory(archive, raw.baseAddress, raw.count, &used) == ARCHIVE_OK else {
                throw XCTSkip("libarchive cannot write a zip to memory")
            }
            for item in entries {
                let entry = archive_entry_new()
                defer { archive_entry_free(entry) }
                switch item {
                case .file(let name, let data):
                    archive_entry_set_pathname(entry, name)
                    archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
                    archive_entry_set_size(entry, Int64(data.count))
                    archive_entry_set_perm(entry, 0o644)
                    XCTAssertEqual(archive_write_header(archive, entry), ARCHIVE_OK, name)
                    _ = data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
                case .symlink(let name, let target):
                    archive_entry_set_pathname(entry, name)
                    archive_entry_set_filetype(entry, UInt32(Glibc.S_IFLNK))
                    archive_entry_set_symlink(entry, target)
                    archive_entry_set_perm(entry, 0o777)
                    XCTAssertEqual(archive_write_header(archive, entry), ARCHIVE_OK, name)
                }
            }
            XCTAssertEqual(archive_write_close(archive), ARCHIVE_OK)
        }
        return Data(buffer.prefix(used))
    }

    func post(_ h: ServiceHarness, _ body: Data, query: String) throws -> ServiceHarness.HTTPResult {
        try h.request(URL(string: "/jobs?model=\(ServiceHarness.fixtureModel)\(query)", relativeTo: h.base)!.absoluteURL, method: "POST",
                      body: body, headers: ["Content-Type": "application/zip"])
    }

    /// Lesion volumes (mL) of a run, sorted.
    func volumes(_ h: ServiceHarness, run: Int) throws -> [Double] {
        let detail = try XCTUnwrap(try h.json("/runs/\(run)") as? [String: Any])
        let lesions = try XCTUnwrap(detail["lesions"] as? [[String: Any]], "\(detail.keys)")
        return lesions.compactMap { $0["volumeML"] as? Double }.sorted()
    }

    func testZipOfTheSeriesIsSegmentedAndHostileZipsAreRefused() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zip") else { throw XCTSkip("/usr/bin/zip is missing (Debian package zip)") }
        let h = try ServiceHarness(withPACS: false)
        try h.writeConfig(maxUploadBytes: 4 << 20, maxUnzippedBytes: 8 << 20)
        try h.start()
        defer { h.stop() }
        let spec = try OpenAPICheck()
        let storage = h.scratch.appendingPathComponent("storage")
        let uploads = storage.appendingPathComponent("Uploads")

        // The reference: the same study sent by storescu, routed and segmented.
        let study = try h.phantom("study")
        XCTAssertEqual(try h.send([study]).status, 0)
        try h.wait("the routed job", seconds: 120) { try h.jobs().first?["state"] as? String == "done" }
        let routedRun = try XCTUnwrap(try h.jobs().first?["runID"] as? Int)

        // A real zip of the two series folders (Info-ZIP), one folder per model input.
        let zipFile = h.scratch.appendingPathComponent("study.zip")
        let zipper = Process()
        zipper.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        zipper.currentDirectoryURL = study
        zipper.arguments = ["-q", "-r", "-X", zipFile.path, "FLAIR", "T1c"]
        try zipper.run()
        zipper.waitUntilExit()
        XCTAssertEqual(zipper.terminationStatus, 0)
        let accepted = try post(h, try Data(contentsOf: zipFile), query: "&inputs=FLAIR,T1c")
        XCTAssertEqual(accepted.status, 202, String(decoding: accepted.body, as: UTF8.self))
        XCTAssertEqual(spec.problems(method: "POST", path: "/jobs", status: accepted.status, contentType: accepted.contentType, body: accepted.body), [])
        let jobID = try XCTUnwrap((try JSONSerialization.jsonObject(with: accepted.body) as? [String: Any])?["jobID"] as? Int)
        try h.wait("the upload job", seconds: 120) {
            let job = try h.json("/jobs/\(jobID)") as? [String: Any]
            XCTAssertNotEqual(job?["state"] as? String, "failed", "\(job ?? [:])")
            return job?["state"] as? String == "done"
        }
        let uploadRun = try XCTUnwrap((try h.json("/jobs/\(jobID)") as? [String: Any])?["runID"] as? Int)
        XCTAssertNotEqual(uploadRun, routedRun)
        let expected = try volumes(h, run: routedRun)
        XCTAssertFalse(expected.isEmpty, "the phantom has lesions")
        XCTAssertEqual(try volumes(h, run: uploadRun), expected, "the zip gives what the same series sent by C-STORE give")
        let kept = try FileManager.default.contentsOfDirectory(atPath: uploads.path)
        XCTAssertEqual(kept.count, 1, "one upload folder: \(kept)")

        // Hostile zips: each refused with its status, no job, nothing written outside (or left inside).
        let jobsBefore = try h.jobs().count
        let outside = "segstation-zip-\(UUID().uuidString)"
        let dicom = Data(repeating: 0x20, count: 256)
        let cases: [(String, Data, String, Int, String)] = [
            ("traversal", try Self.zip([.file("ok.dcm", dicom), .file("../\(outside)", dicom)]), "", 400, "climbs out"),
            ("deep traversal", try Self.zip([.file("a/b/../../../../\(outside)", dicom)]), "", 400, "climbs out"),
            ("absolute name", try Self.zip([.file("/tmp/\(outside)", dicom)]), "", 400, "absolute path"),
            ("symbolic link", try Self.zip([.symlink("link", to: "/tmp"), .file("link/\(outside)", dicom)]), "", 400, "symbolic link"),
            ("duplicate name", try Self.zip([.file("a.dcm", dicom), .file("a.dcm", dicom)]), "", 400, "duplicate"),
            ("zip bomb", try Self.zip([.file("bomb.dcm", Data(count: 16 << 20))]), "", 413, "http.maxUnzippedBytes"),
            ("not a zip", Data(repeating: 0x42, count: 4096), "", 400, "not a zip"),
            ("input outside", try Self.zip([.file("FLAIR/a.dcm", dicom)]), "&inputs=FLAIR,../..", 400, "climbs out"),
            ("missing input", try Self.zip([.file("FLAIR/a.dcm", dicom)]), "&inputs=FLAIR,T1c", 400, "has no folder"),
        ]
        for (name, body, query, status, reason) in cases {
            XCTAssertLessThan(body.count, 4 << 20, "\(name) fits http.maxUploadBytes")
            let r = try post(h, body, query: query)
            let message = String(decoding: r.body, as: UTF8.self)
            XCTAssertEqual(r.status, status, "\(name): \(message)")
            XCTAssertTrue(message.contains(reason), "\(name): \(message)")
            XCTAssertEqual(spec.problems(method: "POST", path: "/jobs", status: r.status, contentType: r.contentType, body: r.body), [], name)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: uploads.path), kept, "\(name) left files in Uploads/")
            for place in [storage.appendingPathComponent(outside), h.scratch.appendingPathComponent(outside),
                          URL(fileURLWithPath: "/tmp/\(outside)"), uploads.appendingPathComponent(outside)] {
                XCTAssertFalse(FileManager.default.fileExists(atPath: place.path), "\(name) wrote \(place.path)")
            }
        }
        XCTAssertEqual(try h.jobs().count, jobsBefore, "no hostile zip queued a job")
    }
}
