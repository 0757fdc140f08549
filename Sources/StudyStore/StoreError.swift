import Core
import Foundation
import GRDB

/// Errors of the study store, each naming its `ErrorCategory`.
public enum StoreError: CategorizedError, Equatable {
    /// No database file at the path (queries never create one).
    case databaseMissing(path: String)
    /// The file could not be created or opened (permissions, not a database, disk full).
    case cannotOpen(path: String, reason: String)
    /// The database was written by a newer SegStation: it holds migrations this build does not know.
    case schemaTooNew(path: String, unknownMigrations: [String])
    /// An identifier already belongs to something else (a StudyInstanceUID under another patient...).
    case identityConflict(String)
    /// No run with this ID.
    case runNotFound(Int64)
    /// No patient with this ID.
    case patientNotFound(String)
    /// The run is not in a state that allows the operation (completing a failed run...).
    case runNotRunning(runID: Int64, status: String)
    /// The caller passed inconsistent data (a lesion of an undeclared label, invalid JSON...).
    case invalidArgument(String)
    /// SQLite reported an error during `operation`.
    case sqlite(operation: String, message: String)

    public var description: String {
        switch self {
        case .databaseMissing(let path):
            return "no study database at \(path)"
        case .cannotOpen(let path, let reason): return "cannot open study database \(path): \(reason)"
        case .schemaTooNew(let path, let ids):
            return "study database \(path) was written by a newer SegStation (unknown migrations: \(ids.joined(separator: ", ")))"
        case .identityConflict(let m): return "identity conflict: \(m)"
        case .runNotFound(let id): return "no segmentation run with ID \(id)"
        case .patientNotFound(let id): return "no patient with ID '\(id)' in the study database"
        case .runNotRunning(let id, let status): return "run \(id) is \(status), expected running"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .sqlite(let op, let m): return "study database error while \(op): \(m)"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .databaseMissing, .runNotFound, .patientNotFound: return .notFound
        case .cannotOpen, .sqlite: return .outputFailed
        case .schemaTooNew: return .unsupported
        case .identityConflict: return .badInput
        case .runNotRunning, .invalidArgument: return .invalidArgument
        }
    }

    /// Runs `body`, turning GRDB errors into `.sqlite` naming `operation`; StoreErrors pass through.
    static func wrap<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError.sqlite(operation: operation, message: error.message ?? error.description)
        } catch {
            throw StoreError.sqlite(operation: operation, message: "\(error)")
        }
    }
}
