import Core
import Foundation

/// Printing data for people and for programs (`--json`).
enum Output {
    /// Encodes `value` as pretty, key-sorted JSON on stdout.
    static func json<T: Encodable>(_ value: T) throws {
        let data = try JSONFormat.encoder().encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Writes `text` to standard output as is.
    static func text(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func warning(_ text: String) {
        Log.logger(.cli).warning("\(text)")
    }

    /// True when stderr is a terminal: progress is shown only then.
    static var isInteractive: Bool { isatty(STDERR_FILENO) != 0 }
}
