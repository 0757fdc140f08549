import Foundation
import TestSupport

/// Truncated, bit-flipped and absurd DICOM; nested sequences; compressed-pixel fuzz.
enum DICOMTrials {
    static func truncated(_ c: Context) -> [Trial] {
        guard let slices = Optional(c.sampleSlices), !slices.isEmpty, let sample = c.sample else { return [] }
        var trials: [Trial] = []
        let data = (try? Data(contentsOf: URL(fileURLWithPath: slices[0]))) ?? Data()
        for n in 0..<3 {
            let dir = c.folder("trunc-file")
            let cut = c.int(200...(data.count - 2))
            let file = c.write(data.prefix(cut), dir + "/slice.dcm")
            trials.append(Trial(category: "dicom-truncated", name: "convert file cut at \(cut) (\(n))",
                                arguments: ["convert", file, "-o", dir + "/out.nii.gz"], expectedExit: [65],
                                mentions: ["slice.dcm"], watchedFolders: [dir]))
        }
        if let flair = c.flairCopy("trunc-series") {
            let victim = flair + "/" + (((try? FileManager.default.contentsOfDirectory(atPath: flair)) ?? []).sorted()[3])
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: victim))) ?? Data()
            _ = c.write(bytes.dropLast(1), victim)
            let out = c.folder("trunc-series-out")
            let name = URL(fileURLWithPath: victim).lastPathComponent
            trials.append(Trial(category: "dicom-truncated", name: "segment: series with a slice missing its last byte",
                                arguments: ["segment", flair, sample + "/T1c", "-o", out + "/run", "--db", out + "/db.sqlite"],
                                expectedExit: [65], mentions: [name], watchedFolders: [out], timeout: 120,
                                note: "issue 11 point 5: the bad slice named (i11-dicom)"))
            trials.append(Trial(category: "dicom-truncated", name: "export-seg: source with a slice missing its last byte",
                                arguments: ["export-seg", "--mask", sample + "/reference-mask.nii.gz", "--source", flair, "-o", out + "/seg.dcm"],
                                expectedExit: [65], mentions: [name], watchedFolders: [out], note: "issue 11 point 5 (i11-dicom)"))
        }
        return trials
    }

    static func bitFlipped(_ c: Context) -> [Trial] {
        let slices = c.sampleSlices
        guard !slices.isEmpty else { return [] }
        return (0..<12).map { n in
            let dir = c.folder("bitflip")
            let data = (try? Data(contentsOf: URL(fileURLWithPath: slices[n % slices.count]))) ?? Data()
            let flipped = c.flipBits(data, count: c.int(1...8), in: 128..<min(data.count, 1200))
            let file = c.write(flipped, dir + "/flipped.dcm")
            return Trial(category: "dicom-bitflip", name: "convert header bit flips #\(n)", arguments: ["convert", file, "-o", dir + "/out.nii.gz"],
                         expectedExit: [0, 65, 66, 69], mentions: ["flipped.dcm"], watchedFolders: [dir])
        }
    }

    /// A three-slice crafted CT series with one element changed on every slice (or on `only` slice).
    static func absurdSeries(_ c: Context, _ label: String, only: Int? = nil, _ edit: (inout DICOMBytes) -> Void) -> String {
        let dir = c.folder(label) + "/series"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<3 {
            var slice = DICOMBytes.ctSlice(series: "2.25.3333", index: i)
            if only == nil || only == i { edit(&slice) }
            _ = c.write(slice.encoded(), dir + "/s\(i).dcm")
        }
        return dir
    }

    static func absurd(_ c: Context) -> [Trial] {
        var trials: [Trial] = []
        func add(_ name: String, _ dir: String, _ mentions: [String], note: String? = "DICOM non-finite tags (i11-dicom)") {
            let out = URL(fileURLWithPath: dir).deletingLastPathComponent().path
            trials.append(Trial(category: "dicom-absurd", name: name, arguments: ["convert", dir, "-o", out + "/out.nii.gz"],
                                expectedExit: [65], mentions: mentions, watchedFolders: [out], note: note))
        }
        add("PixelSpacing 1e308", absurdSeries(c, "spacing") { $0.set(0x0028, 0x0030, "DS", "1e308\\1e308") }, ["PixelSpacing", "0028,0030"])
        add("RescaleSlope 1e308", absurdSeries(c, "slope") { $0.set(0x0028, 0x1053, "DS", "1e308") }, ["RescaleSlope", "0028,1053"])
        add("PixelSpacing NaN", absurdSeries(c, "nan") { $0.set(0x0028, 0x0030, "DS", "NaN\\1") }, ["PixelSpacing", "0028,0030"])
        add("slice moved 1e12 mm", absurdSeries(c, "moved", only: 2) { $0.set(0x0020, 0x0032, "DS", "0\\0\\1e12") }, ["s2.dcm"],
            note: "issue 11 point 5 (i11-dicom)")
        add("Rows/Columns 65535 over 512 bytes", absurdSeries(c, "rows") { $0.setUS(0x0028, 0x0010, 65535); $0.setUS(0x0028, 0x0011, 65535) },
            ["s0.dcm", "s1.dcm", "s2.dcm"], note: "absurd DICOM sizes as 65, not 'nothing usable' 66 (i11-dicom)")
        add("NumberOfFrames 2147483647", absurdSeries(c, "frames") { $0.set(0x0028, 0x0008, "IS", "2147483647") },
            ["s0.dcm", "s1.dcm", "s2.dcm", "NumberOfFrames"], note: "absurd DICOM sizes as 65, not 'nothing usable' 66 (i11-dicom)")
        return trials
    }

    static func nested(_ c: Context) -> [Trial] {
        let dir = c.folder("nested")
        var d = DICOMBytes.ctSlice(series: "2.25.4444", index: 0)
        d.set(0x0008, 0x0018, "UI", "2.25.4444.99")
        let file = c.write(d.encoded(trailer: DICOMBytes.nestedSequences(depth: 6000)), dir + "/deep.dcm")
        let folder = absurdSeries(c, "nested-folder") { _ in }
        _ = c.write((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data(), folder + "/deep.dcm")
        let note = "nested-sequence guard (i11-dicom)"
        var trials: [Trial] = []
        // The same nesting in the deflated transfer syntax (about 1 KB): inflated and scanned before DCMTK.
        if let deflated = try? TestSupport.DICOMBytes.deeplyNested(depth: 6000, deflated: true) {
            let file = c.write(deflated, dir + "/deep-deflated.dcm")
            trials.append(Trial(category: "nested-sequences", name: "inspect a deflated 6,000-level file", arguments: ["inspect", file],
                                expectedExit: [65], mentions: ["deep-deflated.dcm", "nested"]))
        }
        // A deflate bomb: 300 MiB of zeros in one OB value, deflated to about 300 KB; the guard may
        // inflate a quarter of the 1 GiB budget, so it refuses the file instead of seeing only part of it.
        if let bomb = deflateBomb(c, bytes: 300 << 20) {
            let file = c.write(bomb, dir + "/bomb-deflated.dcm")
            trials.append(Trial(category: "nested-sequences", name: "inspect a deflated data set inflating to 300 MiB", arguments: ["inspect", file],
                                expectedExit: [65], mentions: ["bomb-deflated.dcm", "inflates"]))
        }
        return trials + [
            Trial(category: "nested-sequences", name: "inspect a 6,000-level file", arguments: ["inspect", file],
                  expectedExit: [65], mentions: ["deep.dcm"], note: note),
            // The documented rule (docs/REFUSALS.md, DICOM): a bad file refuses the input naming it,
            // unless --skip-bad-slices, which leaves it out with a warning naming it.
            Trial(category: "nested-sequences", name: "convert a folder holding it: refused, naming it",
                  arguments: ["convert", folder, "-o", dir + "/out.nii.gz"], expectedExit: [65], mentions: ["deep.dcm"], watchedFolders: [dir]),
            Trial(category: "nested-sequences", name: "convert --skip-bad-slices: skipped with a warning naming it",
                  arguments: ["convert", folder, "--skip-bad-slices", "-o", dir + "/skipped.nii.gz"], expectedExit: [0], mentions: [],
                  check: { $0.stderr.contains("deep.dcm") || $0.stdout.contains("deep.dcm") ? nil : "no warning names deep.dcm" }),
        ]
    }

    /// A deflated Part 10 SR whose data set is an identification plus one OB value of `bytes` zeros
    /// (written sparse, deflated by gzip).
    static func deflateBomb(_ c: Context, bytes: Int) -> Data? {
        var d = DICOMBytes()
        d.set(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.88.22")
        d.set(0x0008, 0x0018, "UI", "2.25.5555")
        d.set(0x0008, 0x0060, "CS", "SR")
        let full = d.encoded()
        let metaEnd = 132 + 12 + (Int(full[140]) | Int(full[141]) << 8)
        var header = Bytes()
        header.u16(0x0009); header.u16(0x1010); header.ascii("OB"); header.u16(0); header.u32(UInt32(bytes))
        let raw = c.folder("bomb") + "/dataset"
        _ = c.write(full.subdata(in: metaEnd..<full.count) + header.data, raw)
        guard truncate(raw, off_t(full.count - metaEnd + header.data.count + bytes)) == 0,
              let deflated = try? TestSupport.DICOMBytes.rawDeflate(fileAt: URL(fileURLWithPath: raw)) else { return nil }
        return TestSupport.DICOMBytes.part10(sopClass: "1.2.840.10008.5.1.4.1.1.88.22", sopInstance: "2.25.5555", dataset: deflated,
                                             transferSyntax: TestSupport.DICOMBytes.deflatedTransferSyntax)
    }

    static func compressed(_ c: Context) -> [Trial] {
        guard let data = c.data else { return [] }
        let inputs = (1...9).map { data.appendingPathComponent("dcm_qa_ts/In/\($0).dcm").path }.filter { FileManager.default.fileExists(atPath: $0) }
        var trials: [Trial] = []
        for (n, path) in inputs.enumerated() where n >= 3 {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            for k in 0..<3 {
                let dir = c.folder("compressed")
                let tail = (bytes.count * 2 / 3)..<bytes.count
                let mutated = k == 2 ? bytes.prefix(c.int(bytes.count / 2...bytes.count - 100)) : c.flipBits(bytes, count: c.int(1...32), in: tail)
                let file = c.write(mutated, dir + "/ts\(n + 1)-\(k).dcm")
                trials.append(Trial(category: "compressed-fuzz", name: "\(n + 1).dcm \(k == 2 ? "truncated" : "pixel bit flips") #\(k)",
                                    arguments: ["convert", file, "-o", dir + "/out.nii.gz"],
                                    expectedExit: k == 2 ? [65] : [0, 65], mentions: ["ts\(n + 1)-\(k).dcm"], watchedFolders: [dir]))
            }
        }
        return trials
    }
}
