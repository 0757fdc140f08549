/// The one error type of the Safety layer: refusals made before any work, so that hostile or absurd
/// input fails with a typed error (exit 65/66) instead of a crash, a hang or an out-of-memory kill.
///
/// It is a `CategorizedError` (SafetyError+Category.swift); `categoryName` is that category's raw value.
public struct SafetyError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// An allocation would exceed the process memory budget (`MemoryBudget`).
        case memoryBudget
        /// The path is a FIFO, device, socket, symlink loop or directory where a regular file is expected.
        case notRegularFile
        /// The path does not exist.
        case notFound
        /// A path named inside a file leaves the folder it must stay in (absolute, `..`, symlink).
        case outsideFolder
        /// A number cannot be converted without trapping (non-finite, beyond Int's range).
        case outOfRange
        /// An output path cannot be written as asked (an existing directory, a missing folder, a
        /// folder that holds another run's artefacts, a folder another run is writing into).
        case badOutput
    }

    public var kind: Kind
    /// What is at fault: a file path, or a field such as `targetSpacingMM`.
    public var subject: String
    public var reason: String

    public init(_ kind: Kind, subject: String, reason: String) {
        self.kind = kind; self.subject = subject; self.reason = reason
    }

    /// `ErrorCategory` raw value: "notFound" for missing paths, "outputFailed" for output refusals,
    /// "badInput" for everything else.
    public var categoryName: String {
        switch kind {
        case .notFound: return "notFound"
        case .badOutput: return "outputFailed"
        default: return "badInput"
        }
    }

    public var description: String { "\(subject): \(reason)" }
}
