#if canImport(Glibc)
import Glibc
#endif

/// Memory hints for large freshly allocated buffers (label volumes of hundreds of MB) that are
/// about to be filled front to back.
enum HugePages {
    /// Makes the first touch of a large fresh buffer cheap. With transparent huge pages available
    /// (`/sys/kernel/mm/transparent_hugepage/enabled` = always or madvise) the range is advised
    /// `MADV_HUGEPAGE`: a 300 MB volume then costs ~150 page faults of 2 MiB instead of ~77 000 of
    /// 4 KiB (numpy gives its large arrays the same hint). Without them it is prefaulted in one call
    /// (`MADV_POPULATE_WRITE`, Linux 5.14+) instead of one fault per page.
    /// Only hints: errors are ignored, buffers under 4 MiB and non-Linux systems are left alone,
    /// contents are unaffected.
    /// - Parameter hugePages: which hint to give; by default whether THP is usable on this system.
    static func advise(_ base: UnsafeMutableRawPointer, byteCount: Int, hugePages: Bool? = nil) {
        #if os(Linux)
        let minimumBytes = 4 << 20
        guard byteCount >= minimumBytes else { return }
        let page = 4096
        let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: base) + byteCount) & ~(page - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, (hugePages ?? transparentHugePagesUsable) ? MADV_HUGEPAGE : MADV_POPULATE_WRITE)
        #endif
    }

    #if os(Linux)
    /// False when THP is off ("[never]") or its setting cannot be read.
    static let transparentHugePagesUsable: Bool = {
        guard let f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r") else { return false }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), f) != nil else { return false }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.contains("[always]") || text.contains("[madvise]")
    }()
    #endif
}
