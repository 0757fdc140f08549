import CNIfTI
import Foundation
import Imaging
import Core
import TestSupport
import VolumeIO
import XCTest

/// Truncated, absurd and garbage inputs give a typed VolumeIOError naming the file, never a crash.
final class MalformedInputTests: XCTestCase {
    var folder: URL!
    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("volumeio-bad") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A fixed-seed generator so failures reproduce.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    /// Writes `bytes` to `name` and reads it; the read must throw a VolumeIOError naming the file
    /// (or, when `mayRead` is true, either succeed or throw one). Returns the error.
    @discardableResult
    func expectError(_ bytes: Data, _ name: String, mayRead: Bool = false, file: StaticString = #filePath, line: UInt = #line) -> VolumeIOError? {
        let p = path(name)
        try? FileManager.default.removeItem(atPath: p)
        _ = FileManager.default.createFile(atPath: p, contents: bytes)
        do {
            _ = try VolumeFile.read(p)
            if !mayRead { XCTFail("\(name): read succeeded", file: file, line: line) }
            return nil
        } catch let error as VolumeIOError {
            XCTAssertTrue(error.description.contains(name), "\(error) does not name the file", file: file, line: line)
            return error
        } catch {
            XCTFail("\(name): untyped error \(error)", file: file, line: line)
            return nil
        }
    }

    func validFile(_ name: String, version: NIfTIVersion = .nifti1) throws -> Data {
        let p = path("valid-" + name)
        if name.hasSuffix(".nrrd") {
            try NRRDFile.write(RoundTripTests.floatVolume(), to: p, gzip: !name.contains("raw"))
        } else {
            try NIfTIFile.write(RoundTripTests.floatVolume(), to: p, version: version)
        }
        return try Data(contentsOf: URL(fileURLWithPath: p))
    }

    func patched<T>(_ data: Data, at offset: Int, _ value: T) -> Data {
        var d = data
        withUnsafeBytes(of: value) { d.replaceSubrange(offset..<offset + $0.count, with: $0) }
        return d
    }

    func testTruncationsAtFixedAndRandomOffsets() throws {
        var rng = SeededGenerator(state: 42)
        for name in ["t.nii", "t.nii.gz", "t.nrrd", "t-raw.nrrd"] {
            let data = try validFile(name)
            var offsets = [0, 1, 100, 300, data.count / 2, data.count - 5, data.count - 1]
            for _ in 0..<40 { offsets.append(Int.random(in: 0..<data.count, using: &rng)) }
            for offset in offsets {
                // Cutting only the gzip trailer can leave every voxel readable: allowed to succeed then.
                let gzip = name.hasSuffix(".gz") || (name.hasSuffix(".nrrd") && !name.contains("raw"))
                let trailerOnly = gzip && offset >= data.count - 8
                expectError(data.prefix(offset), "cut\(offset)-" + name, mayRead: trailerOnly)
            }
        }
    }

    func testAbsurdNIfTIDims() throws {
        let n1 = try validFile("d.nii")
        // NIfTI-1: dim[] are int16 at byte 40.
        XCTAssertEqual(expectError(patched(n1, at: 42, Int16(-5)), "neg.nii")?.field, "dim[1]")
        XCTAssertEqual(expectError(patched(n1, at: 44, Int16(0)), "zero.nii")?.field, "dim[2]")
        XCTAssertEqual(expectError(patched(patched(n1, at: 42, Int16.max), at: 44, Int16.max), "huge.nii")?.field, "dim[1...3]")
        let e = expectError(patched(n1, at: 42, Int16.max), "long.nii")
        XCTAssertEqual(e?.kind, .truncatedData, "\(String(describing: e))")
        XCTAssertEqual(expectError(patched(n1, at: 40, Int16(8)), "dim0.nii")?.kind, .invalidHeader)
        XCTAssertEqual(expectError(patched(n1, at: 70, Int16(9999)), "datatype.nii")?.field, "datatype")
        XCTAssertEqual(expectError(patched(n1, at: 70, Int16(128)), "rgb.nii")?.kind, .unsupported)
        XCTAssertEqual(expectError(patched(n1, at: 108, Float(-1)), "offset.nii")?.field, "vox_offset")
        XCTAssertEqual(expectError(patched(n1, at: 280, Float.nan), "srow.nii")?.field, "srow_x/y/z")
        XCTAssertEqual(expectError(patched(patched(n1, at: 112, Float(2)), at: 116, Float.infinity), "inter.nii")?.field, "scl_inter")

        // NIfTI-2: dim[] are int64 at byte 16.
        let n2 = try validFile("d2.nii", version: .nifti2)
        let e31 = expectError(patched(n2, at: 24, Int64(1) << 31), "dim2e31.nii")
        XCTAssertEqual(e31?.field, "dim[1...3]")
        XCTAssertEqual(e31?.category, .badInput)
        XCTAssertEqual(expectError(patched(n2, at: 24, Int64(-1) << 31), "dimneg.nii")?.field, "dim[1]")
        XCTAssertNotNil(expectError(patched(patched(n2, at: 16, Int64(4)), at: 48, Int64(1) << 62), "dim4.nii"))
        // The same through gzip: the header is validated before any data is inflated.
        XCTAssertEqual(expectError(gzip(patched(n2, at: 24, Int64(1) << 31)), "dim2e31.nii.gz")?.field, "dim[1...3]")
        XCTAssertEqual(expectError(gzip(patched(n1, at: 42, Int16(-5))), "neg.nii.gz")?.field, "dim[1]")
        // Dims that fit the limit but not what a small gzip file can inflate to.
        let e2 = expectError(gzip(patched(patched(n2, at: 24, Int64(1) << 16), at: 32, Int64(1) << 10)), "big.nii.gz")
        XCTAssertEqual(e2?.kind, .truncatedData, "\(String(describing: e2))")
    }

    func gzip(_ data: Data) -> Data {
        var out: UnsafeMutableRawPointer?
        let n = data.withUnsafeBytes { cnifti_gzip($0.baseAddress, Int64($0.count), &out) }
        defer { cnifti_free(out) }
        return Data(bytes: out!, count: Int(n))
    }

    func testGarbageAndBadGzip() throws {
        var rng = SeededGenerator(state: 7)
        let garbage = Data((0..<2000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        XCTAssertEqual(expectError(garbage, "garbage.nii")?.kind, .invalidHeader)
        XCTAssertNotNil(expectError(garbage, "garbage.nii.gz"))
        XCTAssertEqual(expectError(garbage, "garbage.nrrd")?.field, "magic")
        XCTAssertEqual(expectError(Data(), "empty.nii")?.kind, .truncatedData)

        for name in ["g.nii.gz", "g.nrrd"] {
            let data = try validFile(name)
            let start = name.hasSuffix(".nrrd") ? data.count - 200 : 20
            for k in 0..<30 {
                var bad = data
                let at = start + (k * 7) % (data.count - start - 8)
                bad[at] ^= 0x5A
                bad[at + 1] ^= 0xA5
                // A flipped byte may land in a stored (uncompressed) block or the CRC: reading may succeed.
                expectError(bad, "flip\(k)-" + name, mayRead: true)
            }
        }
        // Deflate data replaced wholesale: must fail.
        var nrrd = try validFile("z.nrrd")
        let header = nrrd.range(of: Data("\n\n".utf8))!.upperBound
        nrrd.replaceSubrange(header..<nrrd.count, with: garbage.prefix(300))
        let e = expectError(nrrd, "zgarbage.nrrd")
        XCTAssertTrue(e?.kind == .corruptData || e?.kind == .truncatedData, "\(String(describing: e))")
    }

    func testRandomHeaderByteFlipsNeverCrash() throws {
        var rng = SeededGenerator(state: 99)
        for (name, version) in [("f.nii", NIfTIVersion.nifti1), ("f2.nii", NIfTIVersion.nifti2)] {
            let data = try validFile(name, version: version)
            let headerSize = version == .nifti1 ? 348 : 540
            for k in 0..<150 {
                var bad = data
                for _ in 0..<3 { bad[Int.random(in: 0..<headerSize, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                expectError(bad, "hflip\(k)-" + name, mayRead: true)
            }
        }
    }

    func testMalformedNRRDHeaders() throws {
        func nrrd(_ lines: [String], data: Data = Data(repeating: 1, count: 24)) -> Data {
            Data(lines.joined(separator: "\n").utf8) + Data("\n\n".utf8) + data
        }
        let good = ["NRRD0004", "type: uchar", "dimension: 3", "space: left-posterior-superior", "sizes: 2 3 4",
                    "space directions: (1,0,0) (0,1,0) (0,0,1)", "encoding: raw", "space origin: (0,0,0)"]
        XCTAssertNil(expectError(nrrd(good), "good.nrrd", mayRead: true))
        func replacing(_ field: String, with line: String?) -> [String] {
            var l = good.filter { !$0.hasPrefix(field) }
            if let line { l.insert(line, at: 1) }
            return l
        }
        let cases: [(String, [String], String)] = [
            ("sizes.nrrd", replacing("sizes", with: "sizes: 2 3"), "sizes"),
            ("negsize.nrrd", replacing("sizes", with: "sizes: -2 3 4"), "sizes[0]"),
            ("hugesize.nrrd", replacing("sizes", with: "sizes: 2147483648 2147483648 4"), "sizes"),
            ("dirs.nrrd", replacing("space directions", with: "space directions: (1,0) (0,1,0) (0,0,1)"), "space directions"),
            ("dirsnan.nrrd", replacing("space directions", with: "space directions: (nan,0,0) (0,1,0) (0,0,1)"), "space directions"),
            ("collinear.nrrd", replacing("space directions", with: "space directions: (1,0,0) (2,0,0) (0,0,1)"), "space directions"),
            ("origin.nrrd", replacing("space origin", with: "space origin: 1 2 3"), "space origin"),
            ("type.nrrd", replacing("type", with: "type: banana"), "type"),
            ("enc.nrrd", replacing("encoding", with: "encoding: bzip2"), "encoding"),
            ("noenc.nrrd", replacing("encoding", with: nil), "encoding"),
            ("space.nrrd", replacing("space:", with: "space: scanner-xyz"), "space"),
            ("line.nrrd", replacing("type", with: "this is not a field"), "header line"),
            ("endian.nrrd", replacing("type", with: "type: short"), "endian"),
            ("dim.nrrd", replacing("dimension", with: "dimension: 2"), "dimension"),
        ]
        for (name, lines, field) in cases {
            XCTAssertEqual(expectError(nrrd(lines), name)?.field, field, name)
        }
        XCTAssertEqual(expectError(nrrd(good, data: Data(count: 23)), "short.nrrd")?.kind, .truncatedData)
        XCTAssertEqual(expectError(Data(good.joined(separator: "\n").utf8), "noblank.nrrd")?.field, "header")
        XCTAssertEqual(expectError(nrrd(["NRRD0009"] + good.dropFirst()), "magic.nrrd")?.field, "magic")
        let detached = good.filter { !$0.hasPrefix("encoding") } + ["encoding: raw", "data file: missing.raw"]
        XCTAssertEqual(expectError(nrrd(detached, data: Data()), "detached.nhdr")?.kind, .fileNotFound)
    }

    func testMissingFilesAndBadArguments() throws {
        XCTAssertThrowsError(try VolumeFile.read(path("nothing.nii.gz"))) { error in
            XCTAssertEqual((error as? VolumeIOError)?.category, .notFound)
        }
        XCTAssertThrowsError(try VolumeFile.read(path("x.mha"))) { error in
            XCTAssertEqual((error as? VolumeIOError)?.kind, .invalidArgument)
        }
        XCTAssertThrowsError(try VolumeFile.write(RoundTripTests.labelMap(), to: path("x.png"))) { error in
            XCTAssertEqual((error as? VolumeIOError)?.field, "extension")
        }
        XCTAssertThrowsError(try NIfTIFile.write(RoundTripTests.labelMap(), to: folder.appendingPathComponent("no/such/dir/x.nii").path)) { error in
            XCTAssertEqual((error as? VolumeIOError)?.category, .outputFailed)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("partial") }
        XCTAssertEqual(leftovers, [])
    }
}

/// Issue 11 points 2, 10, 11: NIfTI bombs, non-finite voxels and NRRD data files leaving their folder.
final class HostileVolumeTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        unsetenv(MemoryBudget.environmentVariable)
        try? FileManager.default.removeItem(at: folder)
    }

    /// A NIfTI-1 header (348 bytes + 4) with `dims`, float32 or uint8 voxels, identity sform.
    func header(dims: [Int16], datatype: Int16 = 16, bitpix: Int16 = 32) -> Data {
        var d = Data(count: 352)
        func put<T>(_ v: T, _ offset: Int) { withUnsafeBytes(of: v) { d.replaceSubrange(offset..<offset + $0.count, with: $0) } }
        put(Int32(348), 0)
        for (i, v) in ([Int16(dims.count)] + dims + Array(repeating: 1, count: 7 - dims.count)).enumerated() { put(v, 40 + 2 * i) }
        put(datatype, 70); put(bitpix, 72)
        for i in 0..<8 { put(Float(1), 76 + 4 * i) }
        put(Float(352), 108); put(Int16(1), 254)
        for (r, row) in [[Float(1), 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]].enumerated() { for (c, v) in row.enumerated() { put(v, 280 + 16 * r + 4 * c) } }
        d.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        return d
    }

    /// Regression: a .nii.gz declaring 2^31 voxels was inflated (8 GB) before a misleading "truncated".
    func testBombIsRefusedFromTheHeader() throws {
        setenv(MemoryBudget.environmentVariable, "1G", 1)
        let path = folder.appendingPathComponent("bomb.nii").path
        _ = FileManager.default.createFile(atPath: path, contents: header(dims: [2048, 1024, 1024], datatype: 2, bitpix: 8))
        let start = Date()
        XCTAssertThrowsError(try VolumeFile.read(path)) { error in
            XCTAssertEqual((error as? SafetyError)?.kind, .memoryBudget, "\(error)")
            XCTAssertTrue("\(error)".contains("bomb.nii"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    /// Regression: nifticlib replaced NaN voxels by 0, so all-NaN images gave statistics of 0.
    func testNonFiniteVoxelsAreRefused() throws {
        for value in [Float.nan, .infinity] {
            var data = header(dims: [2, 2, 2])
            for _ in 0..<8 { withUnsafeBytes(of: value) { data.append(contentsOf: $0) } }
            let path = folder.appendingPathComponent("nonfinite.nii").path
            _ = FileManager.default.createFile(atPath: path, contents: data)
            XCTAssertThrowsError(try VolumeFile.read(path)) { error in
                XCTAssertEqual((error as? VolumeIOError)?.field, "voxel values", "\(error)")
            }
            XCTAssertThrowsError(try VolumeFile.readLabels(path))
        }
    }

    /// Regression: `data file: ../../../../etc/shadow` was followed and its bytes became voxels.
    func testNRRDDataFileStaysInItsFolder() throws {
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.raw").path, withDestinationPath: "/etc/passwd")
        for target in ["../../../../etc/shadow", "/etc/passwd", "link.raw"] {
            let path = folder.appendingPathComponent("h.nhdr").path
            let text = "NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 2\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nencoding: raw\ndata file: \(target)\n"
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            XCTAssertThrowsError(try VolumeFile.read(path), target) { error in
                XCTAssertEqual((error as? SafetyError)?.kind, .outsideFolder, "\(error)")
                XCTAssertTrue("\(error)".contains("data file"))
            }
        }
    }
}
