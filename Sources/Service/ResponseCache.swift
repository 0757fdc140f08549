import Core
import Foundation
import Hummingbird
import StudyStore

/// The answers of GET /lesions and GET /runs/{id} kept in memory, so that a repeated query is served
/// without reading the database or encoding JSON again (docs/SERVICE.md, "Response cache").
///
/// **Invalidation.** Every entry carries the database's data version (`DataVersionProbe`: SQLite's
/// `PRAGMA data_version` on a connection of the cache's own) read *before* its answer was read. A request
/// reads the version again and is served from memory only when it is the same: nothing was committed in
/// between, by this process (job worker, listener, uploads) or by another one (`batch`, `segment`,
/// `jobs retry` on the same file), so the stored answer is the one a read would give now. A new
/// version drops every entry at once (all of them are older). A commit that lands between the probe and
/// the read only makes the entry older than its data, never newer: the next request sees a new version
/// and reads again.
///
/// **Bounds.** At most `maxEntries` entries and `maxBytes` bytes of bodies (their buffers' capacity; keys
/// and bookkeeping counted as `overheadBytes` each); an answer larger than a quarter of `maxBytes` is not kept. When full, the
/// least recently used eighth of the entries is evicted (batches keep eviction cheap under a stream of
/// distinct queries). `maxBytes` 0 turns the cache off.
///
/// Thread-safe: one lock around the table; the bodies are `ByteBuffer`s shared copy-on-write with the
/// responses that send them.
final class ResponseCache: Sendable {
    /// What an answer depends on: the normalised query, not the URL's spelling (parameter order,
    /// `1` vs `1.0`, unknown parameters).
    enum Key: Hashable, Sendable {
        case lesions(LesionsQuery)
        case run(Int64)
    }

    /// The parameters of GET /lesions that select its rows and page.
    struct LesionsQuery: Hashable, Sendable {
        var patient: String?
        var label: String?
        var latest: Bool
        /// `minVolumeML`'s bit pattern (a Double is not Hashable-safe across NaN; NaN is refused before).
        var minVolumeMLBits: UInt64?
        var run: Int64?
        var limit: Int
        var offset: Int
    }

    /// A JSON answer as sent: the body, its X-Total-Count (lesion pages), and its entity tag.
    struct Answer: Sendable {
        let body: ByteBuffer
        let total: Int?
        /// A strong ETag: SHA-256 of the body and the total (a page of the same rows with another total is
        /// another representation: its X-Total-Count and Link differ).
        let etag: String

        init(body: ByteBuffer, total: Int?) {
            self.body = body
            self.total = total
            // Hashed in place (a miss of GET /lesions made a copy of its body for this before).
            let hasher = SHA256Hasher()
            body.withUnsafeReadableBytes { hasher.update($0) }
            if let total { hasher.update(Array("\u{0}\(total)".utf8)) }
            etag = "\"" + Digest.hex(hasher.finalize().prefix(16)) + "\""
        }
    }

    static let defaultMaxBytes = 64 << 20
    static let defaultMaxEntries = 4096
    /// Bytes counted per entry beside its body (key, tag, table slot).
    static let overheadBytes = 256

    let maxEntries: Int
    let maxBytes: Int
    var isEnabled: Bool { maxBytes > 0 && maxEntries > 0 }

    private struct Slot {
        var answer: Answer
        var bytes: Int
        var lastUse: UInt64
    }

    private struct Table {
        var version: Int64?
        var slots: [Key: Slot] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let table = Locked(Table())

    init(maxEntries: Int = ResponseCache.defaultMaxEntries, maxBytes: Int = ResponseCache.defaultMaxBytes) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The answer stored for `key` when the database is still at `version`; a new version empties the cache.
    func lookup(_ key: Key, version: Int64) -> Answer? {
        table.withLock { t in
            guard t.version == version else {
                t.version = version
                t.slots.removeAll(keepingCapacity: true)
                t.bytes = 0
                return nil
            }
            guard var slot = t.slots[key] else { return nil }
            t.clock += 1
            slot.lastUse = t.clock
            t.slots[key] = slot
            return slot.answer
        }
    }

    /// Keeps `answer`, read after the database was seen at `version` (by `lookup(_:version:)`); ignored
    /// when another version has been seen since (the answer may be older than the database), when none
    /// has, or when it is too large.
    func store(_ key: Key, _ answer: Answer, version: Int64) {
        // The buffer's capacity, not its length: NIO may have allocated more than the body needs.
        let bytes = answer.body.capacity + Self.overheadBytes
        guard isEnabled, bytes <= maxBytes / 4 else { return }
        table.withLock { t in
            guard t.version == version else { return }
            if let old = t.slots[key] { t.bytes -= old.bytes }
            t.clock += 1
            t.slots[key] = Slot(answer: answer, bytes: bytes, lastUse: t.clock)
            t.bytes += bytes
            if t.slots.count > maxEntries || t.bytes > maxBytes { Self.evict(&t, maxEntries: maxEntries, maxBytes: maxBytes) }
        }
    }

    /// Drops the least recently used entries: at least an eighth of them, and as many as needed to fit.
    private static func evict(_ t: inout Table, maxEntries: Int, maxBytes: Int) {
        let oldestFirst = t.slots.sorted { $0.value.lastUse < $1.value.lastUse }
        var dropped = 0
        for (key, slot) in oldestFirst {
            let fits = t.slots.count <= maxEntries && t.bytes <= maxBytes
            if fits && dropped >= max(1, oldestFirst.count / 8) { break }
            t.slots[key] = nil
            t.bytes -= slot.bytes
            dropped += 1
        }
    }

    /// Entries and bytes held (tests, metrics).
    var usage: (entries: Int, bytes: Int) { table.withLock { ($0.slots.count, $0.bytes) } }
}

/// Conditional GET (RFC 9110 13.1.2): whether an `If-None-Match` value names `etag` (weak comparison).
enum ConditionalGET {
    static func matches(ifNoneMatch header: String?, etag: String) -> Bool {
        guard let header else { return false }
        let target = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for candidate in header.split(separator: ",") {
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag == target { return true }
        }
        return false
    }
}
