import Core
import Imaging

/// The one error type of the VolumeIO layer (NIfTI and NRRD reading and writing).
///
/// Every error names the file and, where one is at fault, the header field (`dim[3]`,
/// `space directions`, `encoding`), with what was expected and what was found.
public struct VolumeIOError: CategorizedError, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The file (or the data file a header points to) does not exist.
        case fileNotFound
        /// A header field is malformed, inconsistent or absurd.
        case invalidHeader
        /// The data ends before the header's dimensions are filled.
        case truncatedData
        /// The compressed stream is corrupt.
        case corruptData
        /// Well-formed but not supported (complex or RGB voxels, a NRRD encoding we do not read).
        case unsupported
        /// The output could not be written.
        case writeFailed
        /// The caller asked for something impossible (volume index out of range, unknown extension).
        case invalidArgument
    }

    public var kind: Kind
    /// The file at fault.
    public var file: String
    /// The header field at fault (`dim[0]`, `datatype`, `space directions`), or nil.
    public var field: String?
    public var expected: String?
    public var found: String?
    /// Extra detail where expected/found do not say it all.
    public var detail: String?

    public init(_ kind: Kind, file: String, field: String? = nil, expected: String? = nil, found: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.file = file
        self.field = field
        self.expected = expected
        self.found = found
        self.detail = detail
    }

    public var category: ErrorCategory {
        switch kind {
        case .fileNotFound: return .notFound
        case .invalidHeader, .truncatedData, .corruptData: return .badInput
        case .unsupported: return .unsupported
        case .writeFailed: return .outputFailed
        case .invalidArgument: return .invalidArgument
        }
    }

    public var description: String {
        var parts = ["\(file):"]
        switch kind {
        case .fileNotFound: parts.append("file not found")
        case .invalidHeader: parts.append("invalid header")
        case .truncatedData: parts.append("truncated data")
        case .corruptData: parts.append("corrupt data")
        case .unsupported: parts.append("unsupported")
        case .writeFailed: parts.append("cannot write")
        case .invalidArgument: parts.append("invalid argument")
        }
        if let field { parts.append("in '\(field)'") }
        var text = parts.joined(separator: " ")
        let comparison = [expected.map { "expected \($0)" }, found.map { "found \($0)" }].compactMap { $0 }
        if !comparison.isEmpty { text += ": " + comparison.joined(separator: ", ") }
        if let detail { text += " (\(detail))" }
        return text
    }
}
