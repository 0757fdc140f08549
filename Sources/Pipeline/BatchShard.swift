import Core
import Foundation

/// One of N deterministic slices of a cohort (`batch --shard I/N`), 0-based as Slurm's
/// `SLURM_ARRAY_TASK_ID` (with `--array=0-(N-1)`) and Kubernetes' `JOB_COMPLETION_INDEX`.
///
/// A case belongs to shard `SHA-256(case id) mod N`, the digest read as a big-endian 256-bit number.
/// The shard of a case depends on its id and N only: the N shards cover a cohort exactly once, and
/// adding cases never moves an existing case to another shard. (Swift's `Hasher` is seeded per
/// process, so it cannot be used: two array tasks would disagree.)
public struct BatchShard: Equatable, Sendable, CustomStringConvertible {
    /// 0-based shard index, `0 ..< count`.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= 1_000_000 else {
            throw BatchError.invalidArgument("--shard I/N: N must be between 1 and 1000000, found \(count)")
        }
        guard index >= 0, index < count else {
            throw BatchError.invalidArgument("--shard I/N is 0-based (as SLURM_ARRAY_TASK_ID with --array=0-\(count - 1)): I must be 0...\(count - 1), found \(index)")
        }
        self.index = index
        self.count = count
    }

    /// Parses "I/N" (e.g. "0/4", or "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT").
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw BatchError.invalidArgument("--shard must be I/N with 0 <= I < N (e.g. 0/4), found '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// True when the case `caseID` belongs to this shard.
    public func contains(caseID: String) -> Bool { Self.shard(of: caseID, count: count) == index }

    /// `SHA-256(UTF-8 caseID)` modulo `count`, reading the 32 digest bytes as one big-endian number.
    public static func shard(of caseID: String, count: Int) -> Int {
        let n = UInt64(count)
        var remainder: UInt64 = 0
        for byte in Digest.sha256(Data(caseID.utf8)) {
            // (r * 256 + byte) mod n; r < n <= 1e6, so nothing overflows.
            remainder = (remainder * 256 + UInt64(byte)) % n
        }
        return Int(remainder)
    }
}
