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

    /// MONAI UNet, BasicUNet, DynUNet, SegResNet, AttentionUnet and nnU-Net PlainConvUNet /
    /// ResidualEncoderUNet, exported by torch.onnx.
    func testPyTorchExportsMatchOnnxruntime() throws {
        let entries = try Fixtures.manifest("torch_manifest.json")
        XCTAssertEqual(entries.count, 7)
        for entry in entries {
            for backend in Backend.allCases {
                XCTAssertNoThrow(try assertMatchesFixture(entry, backend: backend), "\(entry.name) \(backend)")
            }
        }
    }
}
