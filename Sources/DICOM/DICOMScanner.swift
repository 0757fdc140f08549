import Foundation
import Imaging

/// Finds DICOM images under a path and groups them into studies, series and stacks.
public enum DICOMScanner {
    /// Scans a folder tree, a single file or a DICOMDIR.
    ///
    /// Files that are not loadable images (non-DICOM files, SR/RTSTRUCT/SEG/PR objects, colour
    /// images, unreadable or malformed files inside a folder) are listed in `skipped` with the
    /// reason. A single file given directly that cannot be parsed throws its own error.
    /// - Throws: `DICOMError.notFound` when the path does not exist or holds no loadable image
    ///   (the message lists the first skip reasons); the file's error for a single bad file.
    public static func scan(path: String) throws -> DICOMInventory {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DICOMError.notFound(path: path, reason: "no such file or folder")
        }
        var files: [String]
        var singleFile = false
        if isDirectory.boolValue {
            files = listFiles(under: path)
        } else {
            singleFile = true
            files = [path]
        }
        var results = parseAll(files, strict: singleFile)
        // A DICOMDIR (given directly) expands into the files it references.
        if singleFile, case .success(.directory(let referenced))? = results.first?.outcome {
            singleFile = false
            files = referenced
            results = parseAll(referenced, strict: false)
        }
        if singleFile, case .failure(let error)? = results.first?.outcome { throw error }

        var instances = [ParsedInstance]()
        var skipped = [DICOMSkippedFile]()
        for r in results {
            switch r.outcome {
            case .success(.image(let instance)): instances.append(instance)
            case .success(.skipped(let reason)): skipped.append(DICOMSkippedFile(path: r.path, reason: reason))
            case .success(.directory): skipped.append(DICOMSkippedFile(path: r.path, reason: "DICOMDIR or DIRFILE: a media directory (the folder is scanned directly)"))
            case .failure(let error):
                // Unsupported objects are noted like non-images; unreadable and malformed ones are bad slices.
                let kind: DICOMSkippedFile.Kind = error.category == .unsupported ? .notImage : .unreadable
                skipped.append(DICOMSkippedFile(path: r.path, reason: error.reasonText, kind: kind))
            }
        }
        var studies = group(instances)
        deriveMissingIdentities(&studies)
        if studies.isEmpty {
            if singleFile, let only = skipped.first { throw DICOMError.notFound(path: path, reason: "not a loadable image: \(only.reason)") }
            if let bad = skipped.first(where: { $0.kind == .unreadable }) {
                throw DICOMError.badSlice(file: bad.path, reason: bad.reason, others: skipped.filter { $0.kind == .unreadable }.count - 1)
            }
            let reasons = skipped.prefix(3).map { "\(($0.path as NSString).lastPathComponent): \($0.reason)" }
            throw DICOMError.notFound(path: path, reason: "no loadable DICOM image among \(files.count) file(s)" + (reasons.isEmpty ? "" : "; " + reasons.joined(separator: "; ")))
        }
        return DICOMInventory(root: path, fileCount: files.count, studies: studies, skipped: skipped)
    }

    /// Regular files under `folder`, recursively, sorted, hidden files excluded.
    static func listFiles(under folder: String) -> [String] {
        let url = URL(fileURLWithPath: folder)
        guard let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [] }
        var result = [String]()
        for case let item as URL in e {
            if (try? item.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { result.append(item.path) }
        }
        return result.sorted()
    }

    struct Result {
        var path: String
        var outcome: Swift.Result<ParseOutcome, DICOMError>
    }

    /// Parses files on all cores. With `strict`, a non-DICOM file is an error rather than a skip.
    static func parseAll(_ files: [String], strict: Bool) -> [Result] {
        var results = [Result?](repeating: nil, count: files.count)
        results.withUnsafeMutableBufferPointer { buffer in
            // Safe to share: iteration i writes only element i, and concurrentPerform returns
            // before the buffer's scope ends.
            nonisolated(unsafe) let slots = buffer
            DispatchQueue.concurrentPerform(iterations: files.count) { i in
                slots[i] = Result(path: files[i], outcome: parseOne(files[i], strict: strict))
            }
        }
        return results.compactMap { $0 }
    }

    static func parseOne(_ path: String, strict: Bool) -> Swift.Result<ParseOutcome, DICOMError> {
        switch DICOMSniffer.check(path) {
        case .unreadable(let reason): return .failure(.unreadable(file: path, reason: reason))
        case .notDICOM(let reason):
            guard strict else { return .success(.skipped(reason)) }
            // A file named explicitly still gets DCMTK's verdict (it may hold an unusual data set).
            do {
                return .success(try InstanceParser.parse(try DICOMFile(path: path)))
            } catch let error as DICOMError {
                return .failure(.malformed(file: path, reason: "\(reason); \(error.reasonText)"))
            } catch {
                return .failure(.malformed(file: path, reason: reason))
            }
        case .dicom:
            break
        }
        do {
            let file = try DICOMFile(path: path)
            return .success(try InstanceParser.parse(file))
        } catch let error as DICOMError {
            return .failure(error)
        } catch {
            return .failure(.malformed(file: path, reason: "\(error)"))
        }
    }

    /// Studies -> series -> stacks, in order of first appearance (studies and series sorted by UID/number).
    static func group(_ instances: [ParsedInstance]) -> [DICOMStudy] {
        var studyOrder = [String]()
        var studyInfo = [String: (DICOMStudyInfo, DICOMPatient)]()
        var seriesByStudy = [String: [String]]()
        var seriesInfo = [String: DICOMSeriesInfo]()
        var records = [String: [FrameRecord]]()
        var syntaxes = [String: Set<String>]()
        for inst in instances {
            let study = inst.study.studyInstanceUID
            // Files without a SeriesInstanceUID form one series per folder (its UID is derived later).
            let series = inst.series.seriesInstanceUID.isEmpty
                ? "\u{0}" + study + "\u{0}" + (inst.path as NSString).deletingLastPathComponent : inst.series.seriesInstanceUID
            if studyInfo[study] == nil { studyOrder.append(study); studyInfo[study] = (inst.study, inst.patient) }
            if seriesInfo[series] == nil { seriesByStudy[study, default: []].append(series); seriesInfo[series] = inst.series }
            records[series, default: []].append(contentsOf: inst.frames)
            syntaxes[series, default: []].formUnion(inst.frames.map(\.slice.transferSyntaxUID))
        }
        return studyOrder.map { studyUID in
            let (info, patient) = studyInfo[studyUID]!
            let series: [DICOMSeries] = seriesByStudy[studyUID, default: []].map { uid in
                let built = StackBuilder.stacks(records[uid]!, patient: patient, study: info, series: seriesInfo[uid]!)
                return DICOMSeries(info: seriesInfo[uid]!, transferSyntaxUIDs: syntaxes[uid]!.sorted(), stacks: built.stacks, warnings: built.warnings)
            }.sorted { ($0.info.seriesNumber ?? Int.max, $0.info.seriesInstanceUID) < ($1.info.seriesNumber ?? Int.max, $1.info.seriesInstanceUID) }
            return DICOMStudy(info: info, patient: patient, series: series)
        }
    }
}

/// A cheap look at a file's first bytes before DCMTK parses it.
enum DICOMSniffer {
    enum Verdict { case dicom, notDICOM(String), unreadable(String) }

    /// DICOM when "DICM" sits at offset 128, or the file starts like a bare data set
    /// (group 0x0008 or 0x0002, little or big endian), as older files without meta header do.
    static func check(_ path: String) -> Verdict {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .unreadable("cannot open for reading") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 132)) ?? Data()
        if head.count >= 132, head[128] == 0x44, head[129] == 0x49, head[130] == 0x43, head[131] == 0x4D { return .dicom }
        if head.count >= 8 {
            let le = UInt16(head[0]) | UInt16(head[1]) << 8
            let be = UInt16(head[1]) | UInt16(head[0]) << 8
            if le == 0x0008 || le == 0x0002 || be == 0x0008 { return .dicom }
        }
        if head.isEmpty { return .notDICOM("empty file") }
        return .notDICOM("not a DICOM file: no \"DICM\" marker at byte 128 and no data set at the start (\(head.count) bytes read)")
    }
}
