import Foundation
import XCTest
@testable import StudyStore

/// SHA-256 and folder names against Python's hashlib (Fixtures/sha256_vectors.py).
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
            XCTAssertEqual(SHA256.hex(message), vector.sha256, "message of \(message.utf8.count) bytes")
        }
    }

    func testFolderNamesMatchHashlib() throws {
        for f in try expected().folders {
            XCTAssertEqual(StudyStore.safeFolderName(patientID: f.patientID, studyUID: f.studyUID), f.folder)
        }
    }
}
