import Foundation
import XCTest
import Core

/// Folder names (and the SHA-256 they use) against Python's hashlib (Fixtures/sha256_vectors.py).
final class HashTests: XCTestCase {
    struct Expected: Decodable {
        struct Vector: Decodable { var message: String?; var repeat_: [AnyCodable]?; var sha256: String
            enum CodingKeys: String, CodingKey { case message, repeat_ = "repeat", sha256 } }
        struct Folder: Decodable { var patientID: String; var studyUID: String; var folder: String }
        var vectors: [Vector]
        var folders: [Folder]
    }
    /// A string or an integer (the "repeat" pairs).
    enum AnyCodable: Decodable {
        case text(String), number(Int)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
        }
    }

    func expected() throws -> Expected {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sha256_vectors.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    func testDigestsMatchHashlib() throws {
        let vectors = try expected().vectors
        XCTAssertEqual(vectors.count, 8)
        for vector in vectors {
            var message = vector.message ?? ""
            if let pair = vector.repeat_, case .text(let c)? = pair.first, case .number(let n)? = pair.last {
                message = String(repeating: c, count: n)
            }
            XCTAssertEqual(Digest.sha256Hex(message), vector.sha256, "message of \(message.utf8.count) bytes")
        }
    }

    func testFolderNamesMatchHashlib() throws {
        for f in try expected().folders {
            XCTAssertEqual(SafeNames.studyFolder(patientID: f.patientID, studyUID: f.studyUID), f.folder)
        }
    }

    func testSafeFolderNameHidesIdentifiers() {
        let name = SafeNames.studyFolder(patientID: "DOE-12345", studyUID: "1.2.840.113619.2.1")
        XCTAssertEqual(name.count, 37)
        XCTAssertTrue(name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }, name)
        XCTAssertFalse(name.contains("12345"))
        XCTAssertEqual(name, SafeNames.studyFolder(patientID: "DOE-12345", studyUID: "1.2.840.113619.2.1"))
        XCTAssertNotEqual(name, SafeNames.studyFolder(patientID: "DOE-12346", studyUID: "1.2.840.113619.2.1"))
        XCTAssertNotEqual(name, SafeNames.studyFolder(patientID: "DOE-12345", studyUID: "1.2.840.113619.2.2"))
        // Names with path separators or dots cannot escape the reports folder.
        XCTAssertFalse(SafeNames.studyFolder(patientID: "../../etc", studyUID: "/").contains("."))
    }

    /// Files hash like their bytes, across the 1 MiB read chunks; unreadable files give nil.
    func testFileDigestMatchesBytes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let data = Data((0..<(3 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try data.write(to: url)
        XCTAssertEqual(Digest.sha256Hex(ofFile: url), Digest.sha256Hex(data))
        try Data().write(to: url)
        XCTAssertEqual(Digest.sha256Hex(ofFile: url), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertNil(Digest.sha256Hex(ofFile: url.appendingPathExtension("missing")))
    }
}
