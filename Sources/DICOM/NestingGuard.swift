internal import CDCMTKBridge
import Core
import Foundation

/// A pre-scan of a DICOM file's byte stream, before DCMTK parses it: DCMTK reads nested sequences
/// recursively, and a file of a few hundred kilobytes nesting thousands of sequences overflows the
/// thread's stack (SIGSEGV). The scan walks the elements iteratively (no recursion), counting open
/// sequences and items, and stops at the first level beyond `maximumDepth`.
///
/// It understands explicit and implicit VR little endian and explicit VR big endian. A value of
/// defined length in implicit VR is treated as a sequence when it starts with an item tag
/// (FFFE,E000), so the depth is never under-counted. A Deflated Explicit VR Little Endian data set is
/// inflated first (zlib, through the bridge) into at most `deflatedCapacity()` bytes and walked the
/// same way; one that inflates beyond that, or does not inflate, is refused, since the guard could
/// not see all of it. A stream that ends early is not judged here: DCMTK reports the truncation with
/// its own message.
enum NestingGuard {
    /// Most sequences open at once that a file may hold. Real objects stay below 10 (SEG and
    /// enhanced multi-frame nest 3-4 levels); DCMTK overflows an 8 MiB stack near 2,000.
    static let maximumDepth = 64

    /// Most bytes a deflated data set may inflate to before the scan: a quarter of the memory budget,
    /// at most 1 GiB (a deflated image of 1 GiB is far beyond what scanners write in this syntax).
    static func deflatedCapacity() -> Int { min(MemoryBudget.current.bytes / 4, 1 << 30) }

    /// nil when the file is acceptable (or cannot be judged); else the reason to refuse it.
    static func check(_ path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        return data.withUnsafeBytes { raw -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            return check(bytes)
        }
    }

    static func check(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        var p = 0
        var explicit = true, bigEndian = false
        if b.count >= 132, b[128] == 0x44, b[129] == 0x49, b[130] == 0x43, b[131] == 0x4D {
            p = 132
            // File meta group (explicit VR little endian): find the transfer syntax, skip to the data set.
            var syntax = ""
            while p + 8 <= b.count, u16(b, p, false) == 0x0002 {
                let element = u16(b, p + 2, false)
                let long = isLongVR(b[p + 4], b[p + 5])
                let length = long ? (p + 12 <= b.count ? Int(u32(b, p + 8, false)) : 0) : Int(u16(b, p + 6, false))
                let start = p + (long ? 12 : 8)
                guard start + length <= b.count else { return nil }
                if element == 0x0010 {
                    syntax = String(decoding: b[start..<(start + length)], as: UTF8.self).trimmingCharacters(in: .init(charactersIn: "\0 "))
                }
                p = start + length
            }
            switch syntax {
            case "1.2.840.10008.1.2": explicit = false
            case "1.2.840.10008.1.2.2": bigEndian = true
            case "1.2.840.10008.1.2.1.99": return checkDeflated(UnsafeBufferPointer(rebasing: b[p...]))
            default: break
            }
        } else if b.count >= 6 {
            explicit = isVR(b[4], b[5])
        }
        return scan(b, from: p, explicit: explicit, bigEndian: bigEndian)
    }

    /// Inflates a deflated data set (bounded by `deflatedCapacity()`) and scans it as explicit VR little endian.
    static func checkDeflated(_ deflated: UnsafeBufferPointer<UInt8>, capacity: Int = deflatedCapacity()) -> String? {
        // The pages of the buffer are only touched as far as the data set inflates.
        let out = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(capacity, 1))
        defer { out.deallocate() }
        var produced = 0
        var status = ssdcm_status()
        let code = ssdcm_inflate(deflated.baseAddress, deflated.count, out.baseAddress, capacity, &produced, &status)
        guard code == Int32(SSDCM_OK.rawValue) else {
            let reason = withUnsafeBytes(of: status.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return "\(reason): the nesting guard cannot see the whole data set; refused before parsing"
        }
        return scan(UnsafeBufferPointer(rebasing: out[0..<produced]), from: 0, explicit: true, bigEndian: false)
    }

    /// Walks the data set from `start`, counting open sequences and items.
    static func scan(_ b: UnsafeBufferPointer<UInt8>, from start: Int, explicit: Bool, bigEndian: Bool) -> String? {
        var p = start
        // Open containers (sequences and items): end offset (nil for undefined length); `fragments`
        // marks encapsulated pixel data, whose items hold compressed bytes, not elements.
        struct Container { var end: Int?; var fragments = false }
        var open = [Container]()
        while p + 8 <= b.count {
            while let end = open.last?.end, end <= p { open.removeLast() }
            let group = u16(b, p, bigEndian), element = u16(b, p + 2, bigEndian)
            if group == 0xFFFE {
                let length = u32(b, p + 4, bigEndian)
                p += 8
                switch element {
                case 0xE000 where open.last?.fragments == true:
                    guard length != 0xFFFF_FFFF, p + Int(length) <= b.count else { return nil }
                    p += Int(length)
                case 0xE000:
                    open.append(Container(end: length == 0xFFFF_FFFF ? nil : p + Int(length)))
                case 0xE00D, 0xE0DD:
                    if !open.isEmpty { open.removeLast() }
                default: break
                }
            } else {
                var length: UInt32, header: Int, isSequence = false
                if explicit && p + 8 <= b.count && isVR(b[p + 4], b[p + 5]) {
                    let (v0, v1) = (b[p + 4], b[p + 5])
                    isSequence = v0 == 0x53 && v1 == 0x51   // "SQ"
                    if isLongVR(v0, v1) {
                        guard p + 12 <= b.count else { return nil }
                        length = u32(b, p + 8, bigEndian); header = 12
                    } else {
                        length = UInt32(u16(b, p + 6, bigEndian)); header = 8
                    }
                } else {
                    length = u32(b, p + 4, bigEndian); header = 8
                }
                p += header
                if length == 0xFFFF_FFFF {
                    open.append(Container(end: nil, fragments: group == 0x7FE0 && element == 0x0010))
                } else {
                    let end = p + Int(length)
                    guard end <= b.count else { return nil }
                    let startsWithItem = p + 4 <= end && u16(b, p, bigEndian) == 0xFFFE && u16(b, p + 2, bigEndian) == 0xE000
                    if isSequence || startsWithItem { open.append(Container(end: end)) } else { p = end }
                }
            }
            // Each sequence level opens a sequence and an item.
            if open.count > 2 * maximumDepth {
                return "sequences nested more than \(maximumDepth) levels deep (at byte \(p)); refused before parsing"
            }
        }
        return nil
    }

    private static func u16(_ b: UnsafeBufferPointer<UInt8>, _ p: Int, _ big: Bool) -> UInt16 {
        big ? UInt16(b[p]) << 8 | UInt16(b[p + 1]) : UInt16(b[p]) | UInt16(b[p + 1]) << 8
    }

    private static func u32(_ b: UnsafeBufferPointer<UInt8>, _ p: Int, _ big: Bool) -> UInt32 {
        big ? UInt32(u16(b, p, true)) << 16 | UInt32(u16(b, p + 2, true))
            : UInt32(u16(b, p, false)) | UInt32(u16(b, p + 2, false)) << 16
    }

    private static func isVR(_ a: UInt8, _ b: UInt8) -> Bool { (0x41...0x5A).contains(a) && (0x41...0x5A).contains(b) }

    /// VRs with a 2-byte reserved field and a 4-byte length (PS3.5 7.1.2).
    private static func isLongVR(_ a: UInt8, _ b: UInt8) -> Bool {
        switch (a, b) {
        case (0x4F, 0x42), (0x4F, 0x44), (0x4F, 0x46), (0x4F, 0x4C), (0x4F, 0x56), (0x4F, 0x57),   // OB OD OF OL OV OW
             (0x53, 0x51), (0x53, 0x56), (0x55, 0x43), (0x55, 0x4E), (0x55, 0x52), (0x55, 0x54), (0x55, 0x56):   // SQ SV UC UN UR UT UV
            return true
        default:
            return false
        }
    }
}
