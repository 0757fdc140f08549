import ArgumentParser
import Foundation
import Imaging

/// SegStation's documented exit codes (README "Exit codes"), after BSD sysexits where one fits.
enum SegStationExit {
    static let success: Int32 = 0
    /// An unexpected internal failure (a bug): please report it.
    static let internalError: Int32 = 1
    /// Bad command-line usage (swift-argument-parser's validation errors use it too).
    static let usage: Int32 = 64
    /// The input exists but is malformed, inconsistent or absurd.
    static let badInput: Int32 = 65
    /// The input does not exist or holds nothing usable.
    static let notFound: Int32 = 66
    /// Well-formed input that SegStation does not support.
    static let unsupported: Int32 = 69
    /// An output file or database could not be written.
    static let outputFailed: Int32 = 73

    static func code(for category: ErrorCategory) -> Int32 {
        switch category {
        case .badInput: return badInput
        case .notFound: return notFound
        case .unsupported: return unsupported
        case .outputFailed: return outputFailed
        case .invalidArgument: return usage
        }
    }
}

/// Runs a command body. Typed errors pass through to `SegStation.main`, which maps their category
/// to an exit code; Foundation's "no such file" becomes a not-found error; anything else is internal.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CategorizedError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CocoaError where (512...642).contains(error.code.rawValue) {
        // Foundation's write failures (disk full, read-only volume, no permission): the output failed.
        FileHandle.standardError.write(Data("segstation: error: cannot write \(error.userInfo[NSFilePathErrorKey] ?? ""): \(error.localizedDescription)\n".utf8))
        throw ExitCode(SegStationExit.outputFailed)
    } catch let error as POSIXError where [.ENOSPC, .EROFS, .EACCES, .EDQUOT, .EISDIR].contains(error.code) {
        FileHandle.standardError.write(Data("segstation: error: cannot write: \(error.localizedDescription)\n".utf8))
        throw ExitCode(SegStationExit.outputFailed)
    } catch let error as CocoaError where error.code == .fileNoSuchFile || error.code == .fileReadNoSuchFile {
        FileHandle.standardError.write(Data("segstation: error: \(error.localizedDescription)\n".utf8))
        throw ExitCode(SegStationExit.notFound)
    } catch {
        FileHandle.standardError.write(Data("segstation: internal error: \(error)\n".utf8))
        throw ExitCode(SegStationExit.internalError)
    }
}
