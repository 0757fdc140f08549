import Foundation

/// The one naming scheme of files and folders being written: `.<8 hex digits>.partial.<final name>`,
/// hidden and beside the destination (so the final rename stays on one file system). Every writer
/// uses it (`AtomicFile`, series folders), and `OutputFolderLock` sweeps exactly these names.
public enum TemporaryName {
    /// A fresh temporary sibling of `destination`. The final name is kept whole at the end, so
    /// multi-part extensions such as ".nii.gz" survive (libraries that pick compression by suffix
    /// behave the same on the temporary).
    public static func beside(_ destination: URL) -> URL {
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        let padded = String(repeating: "0", count: 8 - id.count) + id
        return destination.deletingLastPathComponent().appendingPathComponent(".\(padded).partial.\(destination.lastPathComponent)")
    }

    /// Whether `name` is a temporary name: "." + 8 hex digits + ".partial." + a non-empty final name.
    public static func isTemporary(_ name: String) -> Bool {
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].isEmpty && parts[1].count == 8 && parts[1].allSatisfy(\.isHexDigit)
            && parts[2].hasPrefix("partial.") && parts[2].count > "partial.".count
    }
}
