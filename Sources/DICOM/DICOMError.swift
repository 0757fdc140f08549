import Core
import Imaging

/// Every failure of the DICOM layer (reading series, SEG and SR, writing them): one error type.
/// Messages name the file, the attribute tag such as "(0028,0010)", the slice or frame, and what was
/// expected versus found.
public enum DICOMError: Error, Equatable, CategorizedError {
    /// The file cannot be opened or read.
    case unreadable(file: String, reason: String)
    /// The file is not DICOM, truncated, or an attribute is malformed or inconsistent.
    case malformed(file: String, reason: String)
    /// A required attribute is missing.
    case missingAttribute(file: String, tag: DICOMTag, name: String)
    /// Well-formed input SegStation does not handle (colour images, float pixel data).
    case unsupported(file: String, reason: String)
    /// Compressed pixel data that did not decode.
    case decodeFailed(file: String, reason: String)
    /// Sizes beyond the limits (rows x columns x frames).
    case tooLarge(file: String, reason: String)
    /// The slices of a stack do not form a volume (duplicate positions, varying orientation,
    /// uneven spacing without the resampling option).
    case inconsistentStack(stack: String, reason: String)
    /// Nothing loadable at the path (no DICOM image found, unknown stack).
    case notFound(path: String, reason: String)
    /// The caller asked for something invalid (stack index out of range).
    case invalidArgument(String)
    /// A file of the scanned folder (or a slice of the stack) is unreadable or inconsistent with the
    /// others; the loading commands refuse it unless `--skip-bad-slices`. `others` counts the rest.
    case badSlice(file: String, reason: String, others: Int)
    /// A series holds several stacks and none was chosen (`--stack N`); the message lists them.
    case ambiguousStacks(series: String, stacks: [String])
    /// A non-finite or absurd value of a geometry or intensity attribute.
    case nonFinite(file: String, tag: DICOMTag, name: String, value: String)
    /// A DICOM object (SEG, SR) or its inputs are inconsistent: missing functional groups, wrong frame
    /// counts, segment text beyond its VR, a labels file that does not fit.
    case badInput(file: String, detail: String)
    /// A SEG frame references a source instance (or frame) that is not in the given source series.
    case unknownReferencedInstance(file: String, frame: Int, sopInstanceUID: String)
    /// A DICOM output (SEG, SR, series) could not be written.
    case outputFailed(file: String, reason: String)

    public var category: ErrorCategory {
        switch self {
        case .unreadable, .notFound: return .notFound
        case .malformed, .missingAttribute, .decodeFailed, .tooLarge, .inconsistentStack, .badSlice, .nonFinite,
             .badInput, .unknownReferencedInstance: return .badInput
        case .outputFailed: return .outputFailed
        case .ambiguousStacks: return .invalidArgument
        case .unsupported: return .unsupported
        case .invalidArgument: return .invalidArgument
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
        case .malformed(let file, let reason): return "\(file): malformed DICOM: \(reason)"
        case .missingAttribute(let file, let tag, let name): return "\(file): \(name) \(tag) is missing"
        case .unsupported(let file, let reason): return "\(file): unsupported: \(reason)"
        case .decodeFailed(let file, let reason): return "\(file): pixel data does not decode: \(reason)"
        case .tooLarge(let file, let reason): return "\(file): too large: \(reason)"
        case .inconsistentStack(let stack, let reason): return "stack \(stack): \(reason)"
        case .notFound(let path, let reason): return "\(path): \(reason)"
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .badSlice(let file, let reason, let others):
            let more = others > 0 ? " (and \(others) more bad file(s))" : ""
            return "\(file): bad slice: \(reason)\(more); remove it, or pass --skip-bad-slices to load the series without it"
        case .ambiguousStacks(let series, let stacks):
            return "series \(series) holds \(stacks.count) stacks; choose one with --stack N:\n" + stacks.joined(separator: "\n")
        case .nonFinite(let file, let tag, let name, let value):
            return "\(file): \(name) \(tag) is \(value); expected a finite value in range"
        case .badInput(let file, let detail): return "\(file): \(detail)"
        case .unknownReferencedInstance(let file, let frame, let uid):
            return "\(file): frame \(frame) references SOP instance \(uid), which is not in the source series"
        case .outputFailed(let file, let reason): return "\(file): cannot write: \(reason)"
        }
    }

    /// The message without the file name.
    var reasonText: String {
        switch self {
        case .unreadable(_, let r), .malformed(_, let r), .unsupported(_, let r), .decodeFailed(_, let r), .tooLarge(_, let r),
             .inconsistentStack(_, let r), .notFound(_, let r):
            return r
        case .missingAttribute(_, let tag, let name): return "\(name) \(tag) is missing"
        case .invalidArgument(let m): return m
        case .badSlice(_, let r, _), .badInput(_, let r), .outputFailed(_, let r): return r
        case .unknownReferencedInstance: return description
        case .ambiguousStacks: return description
        case .nonFinite(_, let tag, let name, let value): return "\(name) \(tag) is \(value); expected a finite value in range"
        }
    }

    /// The file the error is about, when it is about one file.
    public var file: String? {
        switch self {
        case .unreadable(let f, _), .malformed(let f, _), .missingAttribute(let f, _, _), .unsupported(let f, _),
             .decodeFailed(let f, _), .tooLarge(let f, _), .badSlice(let f, _, _), .nonFinite(let f, _, _, _),
             .badInput(let f, _), .unknownReferencedInstance(let f, _, _), .outputFailed(let f, _):
            return f
        case .notFound(let p, _): return p
        case .inconsistentStack, .invalidArgument, .ambiguousStacks: return nil
        }
    }
}
