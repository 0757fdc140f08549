import Core
import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Reports

/// The written HTML, PDF and JSON of the synthetic study.
final class ReportOutputTests: XCTestCase {
    static let schemaURL = TestData.repositoryRoot.appendingPathComponent("Reports/schema/report.schema.json")

    func writeStudy(_ input: ReportInput = Phantom.shared, into root: URL) throws -> [ReportArtefact] {
        let folder = ReportWriter.defaultFolder(root: root, header: input.header, runID: input.provenance.runID)
        return try ReportWriter.write(input, formats: [.html, .pdf, .json], to: folder)
    }

    func testWritesPrivateFilesUnderHashedFolder() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        let artefacts = try writeStudy(into: root)
        XCTAssertEqual(artefacts.map(\.format), [.html, .pdf, .json])
        let folder = artefacts[0].url.deletingLastPathComponent()
        XCTAssertEqual(folder.lastPathComponent, "run-run-0042")
        let studyFolder = folder.deletingLastPathComponent()
        // Expected name from Python hashlib (see SafeNames.studyFolder).
        XCTAssertEqual(studyFolder.lastPathComponent, "p-e678f38a6c373566_s-ab27473cd1135fdd")
        XCTAssertEqual(studyFolder.deletingLastPathComponent().lastPathComponent, "Reports")
        for component in [studyFolder.lastPathComponent] + artefacts.map(\.url.lastPathComponent) {
            for secret in ["PAT", "12345", "Doe", "Jane", "1.2.826"] { XCTAssertFalse(component.contains(secret), component) }
        }
        func mode(_ url: URL) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        for created in [folder, studyFolder, studyFolder.deletingLastPathComponent()] {
            XCTAssertEqual(try mode(created), 0o700, "\(created.lastPathComponent), created by the writer")
        }
        for artefact in artefacts {
            XCTAssertEqual(try mode(artefact.url), 0o600, artefact.url.lastPathComponent)
            let data = try Data(contentsOf: artefact.url)
            XCTAssertEqual(artefact.byteCount, data.count)
            XCTAssertEqual(artefact.sha256, Digest.sha256Hex(data))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("partial") }
        XCTAssertEqual(leftovers, [])
        // Known SHA-256 (FIPS 180-2 "abc").
        XCTAssertEqual(Digest.sha256Hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        Phantom.keep(artefacts.map(\.url), as: "phantom")
    }

    func testFormatListParsing() throws {
        XCTAssertEqual(try ReportFormat.parseList("html,PDF, json,html"), [.html, .pdf, .json])
        XCTAssertThrowsError(try ReportFormat.parseList("html,docx")) { XCTAssertTrue("\($0)".contains("docx")) }
        XCTAssertThrowsError(try ReportFormat.parseList(","))
    }

    func testSafeFolderNameIsStableAndDistinct() {
        let a = Phantom.header
        var b = a
        b.studyInstanceUID += "9"
        XCTAssertEqual(SafeNames.studyFolder(patientID: a.patientID, studyUID: a.studyInstanceUID), SafeNames.studyFolder(patientID: a.patientID, studyUID: a.studyInstanceUID))
        XCTAssertNotEqual(SafeNames.studyFolder(patientID: a.patientID, studyUID: a.studyInstanceUID), SafeNames.studyFolder(patientID: b.patientID, studyUID: b.studyInstanceUID))
        XCTAssertEqual(ReportWriter.defaultFolder(root: URL(fileURLWithPath: "/r"), header: a, runID: "../x y").lastPathComponent, "run-.._x_y")
        XCTAssertEqual(ReportWriter.defaultFolder(root: URL(fileURLWithPath: "/r"), header: a, runID: "..").lastPathComponent, "run-..")
    }

    func testJSONCarriesTheNumbersAndValidates() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = Phantom.shared
        let json = try XCTUnwrap(try writeStudy(input, into: root).first { $0.format == .json })
        let data = try Data(contentsOf: json.url)
        let document = try JSONDecoder().decode(ReportDocument.self, from: data)
        XCTAssertEqual(document.lesions, input.lesions)
        XCTAssertEqual(document.study, input.header)
        XCTAssertEqual(document.provenance, input.provenance)
        XCTAssertEqual(document.history, input.history)
        XCTAssertEqual(document.labelTotals.map(\.labelName), ["tumour", "cyst"])
        XCTAssertEqual(document.labelTotals[0].volumeML, input.lesions[0].volumeML + input.lesions[1].volumeML, accuracy: 1e-9)
        XCTAssertEqual(document.keySlices.map(\.plane), [.axial, .coronal, .sagittal])
        XCTAssertEqual(document.keySlices[0].throughLPS, input.lesions[0].centroidLPS)
        XCTAssertEqual(document.image.orientation, "RIA")

        let checker = try SchemaCheck(schemaURL: Self.schemaURL)
        let object = try JSONSerialization.jsonObject(with: data)
        XCTAssertEqual(checker.errors(object), [])
        // The checker is not vacuous: a broken document fails.
        var broken = try XCTUnwrapDictionary(object)
        broken["lesions"] = [["labelValue": 0, "labelName": "x"]]
        broken.removeValue(forKey: "provenance")
        let problems = checker.errors(broken)
        XCTAssertTrue(problems.contains { $0.contains("missing 'provenance'") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("missing 'volumeML'") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("0.0 < 1.0") }, "\(problems)")
    }

    func testHTMLIsSelfContained() throws {
        let report = try RenderedReport.render(Phantom.shared)
        let html = HTMLReport.render(report, generatedAt: "2026-11-25T15:00:00Z")
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "no external URL")
        XCTAssertFalse(html.contains("<script"), "no scripts")
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { $0.prefix(22) }
        XCTAssertEqual(sources.count, 5, "three key images, the zoom and the chart")
        XCTAssertTrue(sources.allSatisfy { $0 == "data:image/png;base64," })
        XCTAssertTrue(html.contains("PAT^Doe/../12345"), "patient ID shown as given")
        XCTAssertTrue(html.contains(HTMLReport.escape("Mean ± SD")))
        XCTAssertEqual(HTMLReport.escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;")
        var hostile = Phantom.shared
        hostile.header.patientName = "<script>alert(1)</script>"
        hostile.labels[0].name = "<img src=x onerror=alert(1)>"
        let hostileHTML = HTMLReport.render(try RenderedReport.render(hostile), generatedAt: "x")
        XCTAssertFalse(hostileHTML.contains("<script") || hostileHTML.contains("<img src=x"), "header and label text are escaped")
        // The table shows every lesion's numbers, as the JSON carries them (rounded for display).
        for row in Phantom.shared.lesions {
            let cells = ReportFormatting.lesionCells(row).dropFirst().map { "<td>\(HTMLReport.escape($0))</td>" }.joined()
            XCTAssertTrue(html.contains(cells), "row \(row.labelName) #\(row.lesionIndex): \(cells)")
        }
        XCTAssertTrue(html.contains(String(format: "%.2f", Phantom.shared.lesions[0].volumeML)))
    }

    func testChartOnlyWithTwoStudyDates() throws {
        var input = Phantom.shared
        input.history = input.history.filter { $0.studyDate == input.header.studyDate }
        XCTAssertNil(try RenderedReport.render(input).chartPNG)
        input.history = []
        let report = try RenderedReport.render(input)
        XCTAssertNil(report.chartPNG)
        XCTAssertFalse(HTMLReport.render(report, generatedAt: "x").contains("Volume over time"))
        XCTAssertNotNil(try RenderedReport.render(Phantom.shared).chartPNG)
        XCTAssertEqual(ISODate("2024-03-01")!.dayNumber - ISODate("2024-02-28")!.dayNumber, 2, "leap year")
        XCTAssertEqual(ISODate("1970-01-01")?.dayNumber, 0)
        XCTAssertNil(ISODate("2023-02-29"))
    }

    func testOverlayHasContourColourAtLesionBoundary() throws {
        let input = Phantom.shared
        let report = try RenderedReport.render(input)
        let tumour = RGB(255, 48, 48)
        for rendered in report.keySlices {
            let slice = rendered.slice
            let png = try RasterImage(pngData: rendered.png)
            // The centroid pixel of the largest lesion, then walk right to its last label-1 pixel.
            let centre = slice.pixel(ofPatient: input.lesions[0].centroidLPS, geometry: input.image.geometry)
            let row = Int(centre.row.rounded()), column = Int(centre.column.rounded())
            XCTAssertEqual(slice.labels[row * slice.width + column], 1, "\(slice.plane): centroid inside the lesion")
            var edge = column
            while edge + 1 < slice.width && slice.labels[row * slice.width + edge + 1] == 1 { edge += 1 }
            let boundary = rendered.imagePoint(column: Double(edge) + 0.5, row: Double(row))
            func isTumour(_ x: Int, _ y: Int) -> Bool {
                let p = png.pixel(x: x, y: y)
                return p.red == tumour.red && p.green == tumour.green && p.blue == tumour.blue
            }
            let y = Int(boundary.y)
            XCTAssertTrue((-2...2).contains { isTumour(Int(boundary.x) + $0, y) }, "\(slice.plane): outline at the boundary")
            let inside = rendered.imagePoint(column: centre.column, row: centre.row)
            XCTAssertFalse(isTumour(Int(inside.x), Int(inside.y)), "\(slice.plane): outline, not fill")
            // Outside the body the image is black.
            let corner = png.pixel(x: png.width / 2, y: png.height - 3)
            XCTAssertLessThan(Int(corner.green), 250)
        }
        // The zoom shows the largest lesion larger, with its outline, centred.
        let zoom = try XCTUnwrap(report.zoom, "the phantom's largest lesion gets a zoomed view")
        XCTAssertGreaterThan(zoom.pixelsPerMM, report.keySlices[0].pixelsPerMM * 1.4)
        let zoomPNG = try RasterImage(pngData: zoom.png)
        let centre = zoom.slice.pixel(ofPatient: input.lesions[0].centroidLPS, geometry: input.image.geometry)
        let c = zoom.imagePoint(column: centre.column, row: centre.row)
        XCTAssertEqual(c.x / Double(zoomPNG.width), 0.5, accuracy: 0.08, "lesion centred in the zoom")
        var outline = 0
        for y in 0..<zoomPNG.height { for x in 0..<zoomPNG.width {
            let p = zoomPNG.pixel(x: x, y: y)
            if p.red == tumour.red && p.green == tumour.green && p.blue == tumour.blue { outline += 1 }
        } }
        XCTAssertGreaterThan(outline, 500)
        if let keep = Phantom.keepFolder {
            try? FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
            try zoom.png.write(to: keep.appendingPathComponent("key-zoom.png"))
            for r in report.keySlices { try r.png.write(to: keep.appendingPathComponent("key-\(r.slice.plane.rawValue).png")) }
            if let chart = report.chartPNG { try chart.write(to: keep.appendingPathComponent("chart.png")) }
        }
    }

    func testBadInputIsRejectedAndWritesNothing() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("out")
        var cases = [(String, ReportInput)]()
        var input = Phantom.shared
        input.lesions[1].volumeML = .nan
        cases.append(("NaN volume", input))
        input = Phantom.shared; input.header.studyDate = "20260214"
        cases.append(("DICOM-style date", input))
        input = Phantom.shared; input.provenance.modelSHA256 = "unknown"
        cases.append(("bad hash", input))
        input = Phantom.shared; input.labelMap = LabelMap(geometry: VolumeGeometry(size: SIMD3(4, 4, 4)), repeating: 0)
        cases.append(("grid mismatch", input))
        for (name, bad) in cases {
            XCTAssertThrowsError(try ReportWriter.write(bad, to: folder), name) { error in
                guard case ReportError.invalidInput = error else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual((error as? ReportError)?.category, .badInput)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path), "nothing written")
    }

    func testWriteFailureRemovesEarlierFiles() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        // A non-empty folder where report.pdf should go makes the PDF's rename fail after the HTML was written.
        let blocker = root.appendingPathComponent("report.pdf/x")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ReportWriter.write(Phantom.shared, formats: [.html, .pdf, .json], to: root)) { error in
            XCTAssertEqual((error as? ReportError)?.category, .outputFailed, "\(error)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        XCTAssertEqual(names, ["report.pdf"], "only the blocker remains, no HTML and no partial file")
    }

    /// A study without lesions, history or optional header fields still gives valid, complete outputs.
    func testWritesEmptyAndMinimalStudies() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = Self.minimalInput()
        let g = input.image.geometry
        let artefacts = try ReportWriter.write(input, to: root.appendingPathComponent("minimal"))
        let html = try String(contentsOf: artefacts[0].url, encoding: .utf8)
        XCTAssertTrue(html.contains("No lesions found."))
        let data = try Data(contentsOf: artefacts[2].url)
        let document = try JSONDecoder().decode(ReportDocument.self, from: data)
        XCTAssertEqual(document.keySlices[0].throughLPS, g.centerLPS, "no lesion: slices through the grid centre")
        XCTAssertEqual(document.image.windowLower, -160, "CT soft-tissue window")
        XCTAssertEqual(document.labelTotals, [])
        XCTAssertNil(document.zoom)
        XCTAssertEqual(try SchemaCheck(schemaURL: Self.schemaURL).errors(try JSONSerialization.jsonObject(with: data)), [])
        Phantom.keep(artefacts.map(\.url), as: "minimal")
    }

    /// Scripts/reference/report_schema_check.sh recorded a python-jsonschema validation of these reports
    /// against the schema as it is now (re-run the script after changing the schema).
    func testRecordedReferenceValidationIsCurrent() throws {
        let recordURL = TestData.repositoryRoot.appendingPathComponent("Tests/ReportsTests/Expected/jsonschema_validation.json")
        let record = try XCTUnwrapDictionary(JSONSerialization.jsonObject(with: Data(contentsOf: recordURL)))
        XCTAssertEqual(record["schemaSHA256"] as? String, Digest.sha256Hex(try Data(contentsOf: Self.schemaURL)),
                       "schema changed since the reference validation: run Scripts/reference/report_schema_check.sh")
        XCTAssertEqual(record["allPassed"] as? Bool, true)
        let results = try XCTUnwrap(record["results"] as? [[String: Any]])
        XCTAssertEqual(Set(results.compactMap { $0["lesionCount"] as? Int }), [0, 3], "the minimal and the phantom report")
        XCTAssertTrue(results.allSatisfy { ($0["valid"] as? Bool) == true })
    }

    /// A small CT study with no lesion, no history and no optional header fields.
    static func minimalInput() -> ReportInput {
        let g = VolumeGeometry(size: SIMD3(24, 20, 12), spacingMM: Vector3(0.9, 0.9, 4))
        let image = Volume<Float>(geometry: g, voxels: (0..<g.voxelCount).map { Float($0 % 97) })
        let header = StudyHeader(patientID: "P2", studyInstanceUID: "1.2.3", studyDate: "2024-02-29", modality: "CT",
                                 seriesDescription: "")
        return ReportInput(header: header, provenance: Phantom.provenance, lesions: [], labels: [],
                           image: image, labelMap: LabelMap(geometry: g, repeating: 0))
    }

    /// A writer killed between creating and renaming its temporary file leaves `.<id>.partial.report.<ext>`;
    /// the next write removes it (other files stay).
    func testNextWriteRemovesTemporaryFilesOfAKilledWriter() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = Self.minimalInput()
        let folder = ReportWriter.defaultFolder(root: root, header: input.header, runID: input.provenance.runID)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in [".1a2b3c4d.partial.report.pdf", ".deadbeef.partial.report.json", "notes.txt"] {
            try Data("x".utf8).write(to: folder.appendingPathComponent(name))
        }
        try ReportWriter.writeToDefaultFolder(input, formats: [.json], root: root)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["notes.txt", "report.json"])
    }

    /// While another writer holds the folder (a shared flock, as `segment` does for its output), its
    /// temporaries are left alone; once it is gone, the next write removes them.
    func testTemporaryFilesOfALiveWriterAreKept() throws {
        let root = try TestData.temporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = Self.minimalInput()
        let folder = ReportWriter.defaultFolder(root: root, header: input.header, runID: input.provenance.runID)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".0badf00d.partial.report.pdf")
        try Data("x".utf8).write(to: temporary)
        let other = open(folder.path, O_RDONLY | O_DIRECTORY)
        XCTAssertGreaterThanOrEqual(other, 0)
        XCTAssertEqual(flock(other, LOCK_SH), 0)
        try ReportWriter.write(input, formats: [.json], to: folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: temporary.path), "a live writer's temporary was removed")
        close(other)
        XCTAssertEqual(OutputFolderLock.sweep(folder), [temporary.lastPathComponent])
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary.path))
    }
}
