import Foundation
import XCTest

/// Issue 14, security: the DICOM port binds to 127.0.0.1 unless `dicom.host` says otherwise.
/// Proof without traffic off the machine: the listening socket's local address in /proc/net/tcp, and
/// C-ECHO to 127.0.0.2, another local address that only a socket bound beyond 127.0.0.1 answers.
final class ListenerBindTests: XCTestCase {
    /// Local IPv4 addresses of the sockets listening on `port` (/proc/net/tcp: state 0A is LISTEN,
    /// addresses are hex in host byte order).
    static func listeningAddresses(port: Int) throws -> [String] {
        let table = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "0A" else { return nil }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, Int(local[1], radix: 16) == port, local[0].count == 8 else { return nil }
            let hex = Array(local[0])
            let bytes = stride(from: 0, to: 8, by: 2).map { Int(String(hex[$0..<$0 + 2]), radix: 16)! }
            return bytes.reversed().map(String.init).joined(separator: ".")
        }
    }

    func echo(_ h: ServiceHarness, host: String) throws -> Int32 {
        try h.run(["-aet", "STORESCU", "-aec", "SEGSTATION", "-to", "5", "-ta", "5", host, String(ServiceHarness.dicomPort)],
                  tool: "/usr/bin/echoscu").status
    }

    func testDICOMPortIsLoopbackUnlessConfigured() throws {
        guard FileManager.default.fileExists(atPath: "/proc/net/tcp") else { throw XCTSkip("/proc/net/tcp is missing (not Linux)") }
        let h = try ServiceHarness(withPACS: false)

        try h.writeConfig()   // no dicom.host: the default
        try h.start()
        XCTAssertEqual(try Self.listeningAddresses(port: ServiceHarness.dicomPort), ["127.0.0.1"])
        XCTAssertEqual(try echo(h, host: "127.0.0.1"), 0, "C-ECHO on loopback")
        XCTAssertNotEqual(try echo(h, host: "127.0.0.2"), 0, "another local address must not reach a loopback-bound port")
        h.stop()

        try h.writeConfig(dicomHost: "0.0.0.0")
        try h.start()
        XCTAssertEqual(try Self.listeningAddresses(port: ServiceHarness.dicomPort), ["0.0.0.0"])
        XCTAssertEqual(try echo(h, host: "127.0.0.1"), 0)
        XCTAssertEqual(try echo(h, host: "127.0.0.2"), 0, "bound to every interface")
        h.stop()

        try h.writeConfig(dicomHost: "127.0.0.2")
        try h.start()
        XCTAssertEqual(try Self.listeningAddresses(port: ServiceHarness.dicomPort), ["127.0.0.2"])
        XCTAssertNotEqual(try echo(h, host: "127.0.0.1"), 0)
        XCTAssertEqual(try echo(h, host: "127.0.0.2"), 0)
        h.stop()
    }
}
