import Foundation

/// The process-wide memory budget: every large allocation is estimated first and refused, before
/// any work, when it exceeds the budget (one rule, here, for every layer).
///
/// The budget is `$SEGSTATION_MAX_MEMORY` (bytes, or with a K/M/G/T suffix, powers of 1024) when set
/// (the CLI's global `--max-memory` sets it), else a quarter of physical memory. It is read from the
/// environment on each check, so the process holds no mutable global state.
public struct MemoryBudget: Sendable, Equatable {
    public static let environmentVariable = "SEGSTATION_MAX_MEMORY"
    /// Share of physical memory used when nothing is set.
    public static let defaultFraction = 0.25

    public var bytes: Int
    /// Where the value came from, for messages ("--max-memory/SEGSTATION_MAX_MEMORY" or the default).
    public var source: String

    /// The budget in force now.
    public static var current: MemoryBudget {
        // getenv, not ProcessInfo.environment (which copies the whole environment): engines check
        // the budget on every run.
        if let raw = getenv(environmentVariable), let bytes = parse(String(cString: raw)) {
            return MemoryBudget(bytes: bytes, source: "--max-memory / \(environmentVariable)")
        }
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        return MemoryBudget(bytes: Int(physical * defaultFraction), source: "default: a quarter of physical memory")
    }

    /// Parses "1073741824", "512M", "2G", "1.5GiB", "8g" (binary units); nil when malformed or not positive.
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) && t.count > suffix.count { t.removeLast(suffix.count); break }
        var scale = 1.0
        if let last = t.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = pow(1024, Double(power)); t.removeLast()
        }
        guard let value = Double(t), value.isFinite, value > 0 else { return nil }
        let bytes = value * scale
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes)
    }

    /// The product of `factors` (element counts, sizes in bytes), or nil when one is negative or the
    /// product overflows 64 bits. The one checked product of SegStation (the engine's tensor sizes too);
    /// a Double estimate is never trusted to convert: sizes come as integers or through `Checked.int`.
    public static func product(_ factors: [Int]) -> Int? {
        var total = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// The sum of `parts`, or nil when one is nil (an overflowed product) or the sum overflows 64 bits:
    /// an allocation estimate made of several checked products.
    public static func sum(_ parts: [Int?]) -> Int? {
        var total = 0
        for part in parts {
            guard let part else { return nil }
            let (s, overflow) = total.addingReportingOverflow(part)
            if overflow { return nil }
            total = s
        }
        return total
    }

    /// Refuses, with the numbers, an allocation of `bytes` (nil: beyond 64 bits) for `what`, read from `input`.
    /// - Throws: `SafetyError.memoryBudget` naming what is needed, the budget and the input.
    /// Whether `bytes` fit the current budget (nil: beyond 64 bits, never).
    public static func allows(bytes: Int?) -> Bool {
        guard let bytes else { return false }
        return bytes <= current.bytes
    }

    public static func require(bytes: Int?, for what: String, input: String) throws {
        let budget = current
        guard let bytes, bytes <= budget.bytes else {
            let needed = bytes.map(format) ?? "more than 2^63 bytes"
            throw SafetyError(.memoryBudget, subject: input,
                              reason: "\(what) needs \(needed), over the memory budget of \(format(budget.bytes)) (\(budget.source)); raise it with --max-memory if this input is genuine")
        }
    }

    /// Refuses an allocation of the product of `factors` (e.g. voxel counts and bytes per element).
    public static func require(_ factors: [Int], for what: String, input: String) throws {
        try require(bytes: product(factors), for: what, input: input)
    }

    /// "8.00 GiB (8589934592 bytes)".
    public static func format(_ bytes: Int) -> String {
        let gib = Double(bytes) / 1_073_741_824
        if gib >= 1 { return String(format: "%.2f GiB", gib) + " (\(bytes) bytes)" }
        return String(format: "%.1f MiB", Double(bytes) / 1_048_576) + " (\(bytes) bytes)"
    }
}
