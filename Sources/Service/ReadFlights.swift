import Foundation

/// Concurrent cache misses of one query share one database read (a "single flight"): after a commit has
/// emptied the response cache, the 100 connections asking for the same page wait for the first one's
/// read instead of running 100 reads and encodings of the same answer.
///
/// Only requests that saw the same data version share a read: a request that saw a newer version than
/// the read in flight (a commit landed since it started) reads on its own, so no request is answered
/// with data older than its own probe.
final class ReadFlights: Sendable {
    /// What a request gets: `.lead` (run the read, then `land`), or the answer of the read it joined
    /// (nil when that read failed or another version's read is in flight: read alone, without landing).
    enum Role: Sendable {
        case lead
        case joined(HTTPAPI.CachedRead?)
    }

    private struct Flight {
        var version: Int64
        var waiters: [CheckedContinuation<Role, Never>] = []
    }

    private let flights = Locked([ResponseCache.Key: Flight]())

    /// Leads the read of `key` at `version`, or waits for the one in flight and returns its answer.
    func join(_ key: ResponseCache.Key, version: Int64) async -> Role {
        await withCheckedContinuation { continuation in
            let role: Role? = flights.withLock { table in
                guard var flight = table[key] else {
                    table[key] = Flight(version: version)
                    return .lead
                }
                guard flight.version == version else { return .joined(nil) }
                flight.waiters.append(continuation)
                table[key] = flight
                return nil
            }
            if let role { continuation.resume(returning: role) }
        }
    }

    /// Ends the leader's read: the waiters get `read` (nil when it failed: they read on their own).
    func land(_ key: ResponseCache.Key, version: Int64, _ read: HTTPAPI.CachedRead?) {
        let waiters = flights.withLock { table -> [CheckedContinuation<Role, Never>] in
            guard let flight = table[key], flight.version == version else { return [] }
            table[key] = nil
            return flight.waiters
        }
        for waiter in waiters { waiter.resume(returning: .joined(read)) }
    }

    /// Reads in flight (tests).
    var count: Int { flights.withLock { $0.count } }
}
