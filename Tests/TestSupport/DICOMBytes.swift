import Foundation

/// Writes DICOM Part 10 files byte by byte (explicit VR little endian), for the fixtures the tests need
/// that no well-behaved writer makes: absurd nesting, directory files, non-image objects. The bytes follow
/// PS3.5 7.1.2 / PS3.10 7.1; the tests read them back with DCMTK.
public struct DICOMBytes {
    public init() {}

    public internal(set) var data = Data()

    /// One element; the value is padded to an even length (NUL for UI/OB, space otherwise).
    public mutating func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: Data) {
        var v = value
        if v.count % 2 == 1 { v.append(vr == "UI" || vr == "OB" ? 0 : 0x20) }
        append16(group); append16(element)
        data.append(contentsOf: Array(vr.utf8))
        if ["OB", "OW", "SQ", "UN", "UT", "OF", "OD", "OL", "UC", "UR"].contains(vr) {
            append16(0); append32(UInt32(v.count))
        } else {
            append16(UInt16(v.count))
        }
        data.append(v)
    }

    public mutating func string(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: String) {
        self.element(group, element, vr, Data(value.utf8))
    }

    public mutating func uint16(_ group: UInt16, _ element: UInt16, _ value: UInt16) {
        self.element(group, element, "US", Data([UInt8(value & 0xFF), UInt8(value >> 8)]))
    }

    /// A sequence of undefined length holding `items` (each an encoded data set) with delimiters.
    public mutating func sequence(_ group: UInt16, _ element: UInt16, items: [Data]) {
        append16(group); append16(element)
        data.append(contentsOf: Array("SQ".utf8)); append16(0); append32(0xFFFF_FFFF)
        for item in items {
            append16(0xFFFE); append16(0xE000); append32(0xFFFF_FFFF)
            data.append(item)
            append16(0xFFFE); append16(0xE00D); append32(0)
        }
        append16(0xFFFE); append16(0xE0DD); append32(0)
    }

    public mutating func append16(_ v: UInt16) { data.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
    public mutating func append32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { data.append(UInt8((v >> UInt32(s)) & 0xFF)) } }

    /// The Deflated Explicit VR Little Endian transfer syntax (PS3.5 A.5).
    public static let deflatedTransferSyntax = "1.2.840.10008.1.2.1.99"

    /// Preamble, "DICM", the file meta group (with its group length) and `dataset`, already encoded in
    /// `transferSyntax` (explicit VR little endian by default).
    public static func part10(sopClass: String, sopInstance: String, dataset: Data,
                              transferSyntax: String = "1.2.840.10008.1.2.1") -> Data {
        var meta = DICOMBytes()
        meta.element(0x0002, 0x0001, "OB", Data([0, 1]))
        meta.string(0x0002, 0x0002, "UI", sopClass)
        meta.string(0x0002, 0x0003, "UI", sopInstance)
        meta.string(0x0002, 0x0010, "UI", transferSyntax)
        meta.string(0x0002, 0x0012, "UI", "1.2.276.0.7230010.3.0.3.6.7")
        var header = DICOMBytes()
        header.element(0x0002, 0x0000, "UL", Data([UInt8(meta.data.count & 0xFF), UInt8((meta.data.count >> 8) & 0xFF), 0, 0]))
        var out = Data(count: 128)
        out.append(contentsOf: Array("DICM".utf8))
        out.append(header.data)
        out.append(meta.data)
        out.append(dataset)
        return out
    }

    /// The identification every object carries (SOP class/instance, study/series, patient).
    public static func identification(sopClass: String, sopInstance: String, modality: String) -> DICOMBytes {
        var d = DICOMBytes()
        d.string(0x0008, 0x0016, "UI", sopClass)
        d.string(0x0008, 0x0018, "UI", sopInstance)
        d.string(0x0008, 0x0060, "CS", modality)
        d.string(0x0010, 0x0010, "PN", "Test^Generated")
        d.string(0x0010, 0x0020, "LO", "GEN-1")
        d.string(0x0020, 0x000D, "UI", "2.25.1001")
        d.string(0x0020, 0x000E, "UI", "2.25.1002" + sopInstance.suffix(3))
        return d
    }

    /// The raw DEFLATE stream (RFC 1951) of `data`, by the system's gzip (its 10-byte header and 8-byte
    /// trailer cut off): what the Deflated Explicit VR Little Endian transfer syntax stores.
    public static func rawDeflate(_ data: Data) throws -> Data {
        let folder = try TestData.temporaryDirectory("deflate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("data")
        try data.write(to: file)
        return try rawDeflate(fileAt: file)
    }

    /// The raw DEFLATE stream of the file at `url` (gzip -n; the file is replaced by its .gz).
    public static func rawDeflate(fileAt url: URL) throws -> Data {
        let gzip = ProcessRunner.tool("gzip") ?? URL(fileURLWithPath: "/bin/gzip")
        let outcome = try ProcessRunner.run(gzip, ["-n", "-f", url.path])
        guard outcome.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "gzip: \(outcome.stderr)"]) }
        let gz = try Data(contentsOf: url.appendingPathExtension("gz"))
        return gz.subdata(in: (gz.startIndex + 10)..<(gz.endIndex - 8))
    }

    /// A data set nesting `depth` sequences (ContentSequence (0040,A730) in an item, `depth` times):
    /// 36 bytes per level, so 6,000 levels make the ~220 KB file of issue 11 point 1. `deflated`
    /// writes the data set in the deflated transfer syntax (the same nesting in about 1 KB).
    public static func deeplyNested(depth: Int, deflated: Bool = false) throws -> Data {
        let file = deeplyNested(depth: depth)
        guard deflated else { return file }
        let metaEnd = 132 + 12 + (Int(file[file.startIndex + 140]) | Int(file[file.startIndex + 141]) << 8)
        return part10(sopClass: "1.2.840.10008.5.1.4.1.1.88.22", sopInstance: "2.25.777",
                      dataset: try rawDeflate(file.subdata(in: (file.startIndex + metaEnd)..<file.endIndex)),
                      transferSyntax: deflatedTransferSyntax)
    }

    /// See `deeplyNested(depth:deflated:)`.
    public static func deeplyNested(depth: Int) -> Data {
        var d = identification(sopClass: "1.2.840.10008.5.1.4.1.1.88.22", sopInstance: "2.25.777", modality: "SR")
        let open: [UInt8] = [0x40, 0x00, 0x30, 0xA7] + Array("SQ".utf8) + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF] + [0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
        let close: [UInt8] = [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
        var body = Data(capacity: depth * 36)
        for _ in 0..<depth { body.append(contentsOf: open) }
        for _ in 0..<depth { body.append(contentsOf: close) }
        d.data.append(body)
        return part10(sopClass: "1.2.840.10008.5.1.4.1.1.88.22", sopInstance: "2.25.777", dataset: d.data)
    }

    /// A media directory without pixels: a DICOMDIR (file-set ID, directory records) or, with
    /// `philips`, a Philips-style DIRFILE (the same Media Storage SOP Class, 1.2.840.10008.1.3.10).
    public static func directory(referencing files: [String], philips: Bool) -> Data {
        var d = DICOMBytes()
        d.string(0x0004, 0x1130, "CS", philips ? "PHILIPS" : "SEGSTATION")
        var records = [Data]()
        for file in files {
            var r = DICOMBytes()
            r.string(0x0004, 0x1430, "CS", "IMAGE")
            r.string(0x0004, 0x1500, "CS", file.uppercased())
            records.append(r.data)
        }
        d.sequence(0x0004, 0x1220, items: records)
        return part10(sopClass: "1.2.840.10008.1.3.10", sopInstance: "2.25.4242" + (philips ? "1" : "2"), dataset: d.data)
    }

    /// A non-image object (SR, PR, KO, RTSTRUCT, RTPLAN): identification only, no pixel data.
    public static func nonImage(sopClass: String, modality: String, instance: String) -> Data {
        let d = identification(sopClass: sopClass, sopInstance: instance, modality: modality)
        return part10(sopClass: sopClass, sopInstance: instance, dataset: d.data)
    }

    public static let nonImageClasses: [(name: String, sopClass: String, modality: String)] = [
        ("sr.dcm", "1.2.840.10008.5.1.4.1.1.88.22", "SR"),
        ("pr.dcm", "1.2.840.10008.5.1.4.1.1.11.1", "PR"),
        ("ko.dcm", "1.2.840.10008.5.1.4.1.1.88.59", "KO"),
        ("rtstruct.dcm", "1.2.840.10008.5.1.4.1.1.481.3", "RTSTRUCT"),
        ("rtplan.dcm", "1.2.840.10008.5.1.4.1.1.481.5", "RTPLAN"),
    ]
}

