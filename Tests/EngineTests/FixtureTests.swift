import XCTest
import Engine

/// Every fixture model against onnxruntime's outputs, on both backends.
final class FixtureTests: XCTestCase {
    func testManifestIsComplete() throws {
        // Guards against an empty or truncated manifest making the loops below vacuous.
        XCTAssertGreaterThanOrEqual(try Fixtures.manifest().count, 80)
    }

    func testReferenceBackendMatchesOnnxruntime() throws {
        for entry in try Fixtures.manifest() {
            XCTAssertNoThrow(try assertMatchesFixture(entry, backend: .reference), entry.name)
        }
    }

    func testFastBackendMatchesOnnxruntime() throws {
        for entry in try Fixtures.manifest() {
            XCTAssertNoThrow(try assertMatchesFixture(entry, backend: .fast), entry.name)
        }
    }
}
