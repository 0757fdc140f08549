import Logging
import XCTest
@testable import segstation

/// The global --verbose / --quiet flags and SEGSTATION_LOG_LEVEL.
final class LogSetupTests: XCTestCase {
    func testGlobalFlagsAreTakenOutAnywhereBeforeDoubleDash() {
        let split = LogSetup.globalFlags(["--verbose", "studies", "--json", "--quiet", "--", "--verbose"])
        XCTAssertEqual(split.remaining, ["studies", "--json", "--", "--verbose"])
        XCTAssertTrue(split.verbose)
        XCTAssertTrue(split.quiet)
        XCTAssertFalse(LogSetup.globalFlags(["show", "--", "--verbose"]).verbose)
    }

    func testLevels() {
        XCTAssertEqual(LogSetup.level(verbose: false, quiet: false, environment: [:]), .warning)
        XCTAssertEqual(LogSetup.level(verbose: true, quiet: false, environment: [:]), .debug)
        XCTAssertEqual(LogSetup.level(verbose: true, quiet: true, environment: [:]), .error, "quiet wins")
        XCTAssertEqual(LogSetup.level(verbose: false, quiet: false, environment: ["SEGSTATION_LOG_LEVEL": "INFO"]), .info)
        XCTAssertEqual(LogSetup.level(verbose: false, quiet: false, environment: ["SEGSTATION_LOG_LEVEL": "loud"]), .warning)
    }
}
