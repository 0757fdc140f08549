#if canImport(Glibc)
import Glibc
#endif

/// Memory hints for large freshly allocated buffers (label volumes of hundreds of MB).
enum HugePages {
    /// Asks the kernel to back `byteCount` bytes at `base` with transparent huge pages (2 MiB) when
    /// they are first touched, so filling a 300 MB volume costs ~150 page faults instead of ~77 000.
    /// Only a hint: does nothing on other systems, for small buffers, or when THP is disabled
    /// (`/sys/kernel/mm/transparent_hugepage/enabled` = never). Contents are unaffected.
    static func advise(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        #if os(Linux)
        let minimumBytes = 4 << 20
        guard byteCount >= minimumBytes else { return }
        let page = 4096
        let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: base) + byteCount) & ~(page - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, MADV_HUGEPAGE)
        #endif
    }
}
