import Foundation
import TestSupport

/// One finished child process of the suite: TestSupport's one process runner's outcome.
typealias Finished = ProcessRunner.Outcome

/// Runs `argv` (`argv[0]` a full path) with TestSupport's process runner in `folder`, with
/// `environment` added, under an address-space limit of `limit` bytes, its process group killed after
/// `timeout` seconds. A program that cannot be started comes back as exit 127 with the reason on stderr.
func runChild(_ argv: [String], timeout: Double, in folder: String, environment: [String: String] = [:], limit: Int = 1 << 30) -> Finished {
    do {
        return try ProcessRunner.run(URL(fileURLWithPath: argv[0]), Array(argv.dropFirst()), in: URL(fileURLWithPath: folder),
                                     environment: environment, timeoutSeconds: timeout, addressSpaceLimit: limit)
    } catch {
        return Finished(status: 127, signalled: false, stdout: "", stderr: "\(error)", arguments: argv, timedOut: false,
                        peakRSSBytes: 0, seconds: 0)
    }
}
