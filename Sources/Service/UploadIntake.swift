import Foundation
import Hummingbird
import StudyStore

/// POST /jobs: queue a job for series already received (JSON body), or for an uploaded NIfTI file or zip
/// of DICOM files (raw body, `?model=NAME`; for a multi-channel model `&inputs=A,B` names the zip's
/// folder of each input, in the model's order). Bodies above `http.maxUploadBytes`, and zips that expand
/// past `http.maxUnzippedBytes` or hold more than `ZipUpload.maxEntries` entries, get 413.
struct UploadIntake: Sendable {
    let config: ServiceConfig
    let store: StudyStore

    /// JSON form: `{"series": [UID, ...], "model": NAME, "options": {...}, "destinations": [NAME, ...]}`,
    /// series in the model's input order.
    struct SeriesRequest: Decodable {
        var series: [String]
        var model: String
        var options: RouteOptions?
        var destinations: [String]?
    }

    struct Queued: Codable, Sendable { var jobID: Int64; var created: Bool }

    var uploads: URL { URL(fileURLWithPath: config.storageFolder).appendingPathComponent("Uploads") }

    /// Collects the body (up to `http.maxUploadBytes`), then stores and queues it on `blocking`.
    func accept(_ request: Request, blocking: BlockingWork) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > config.maxUploadBytes {
            return APIResponse.error(.contentTooLarge, "the body is \(length) bytes; http.maxUploadBytes is \(config.maxUploadBytes)")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: config.maxUploadBytes) } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            return APIResponse.error(.contentTooLarge, "the body exceeds http.maxUploadBytes (\(config.maxUploadBytes) bytes)")
        }
        let type = request.headers[.contentType] ?? ""
        let q = request.uri.queryParameters
        let model = q["model"].map(String.init), minLesionML = q["minLesionML"].map(String.init), inputs = q["inputs"].map(String.init)
        return try await blocking.run {
            if type.hasPrefix("application/json") { return try queueSeries(Data(body.readableBytesView)) }
            return try queueUpload(body, type: type, model: model, minLesionML: minLesionML, inputs: inputs)
        }
    }

    /// A NIfTI or zip upload: written under `storage.folder/Uploads/<uuid>/`, then queued.
    func queueUpload(_ body: ByteBuffer, type: String, model: String?, minLesionML: String?, inputs inputNames: String?) throws -> Response {
        guard let model, !model.isEmpty else {
            return APIResponse.error(.badRequest, "an upload needs ?model=NAME")
        }
        let minLesion = minLesionML.flatMap { Double($0) } ?? 0
        let options = String(decoding: try JSONEncoder().encode(RouteOptions(minLesionML: minLesion)), as: UTF8.self)
        let folder = uploads.appendingPathComponent(UUID().uuidString.lowercased())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var inputs: [JobInput]
        switch type {
        case "application/zip":
            let dicom = folder.appendingPathComponent("dicom")
            do {
                _ = try ZipUpload.extract(Data(body.readableBytesView), into: dicom,
                                          limits: .init(maxBytes: config.maxUnzippedBytes, maxEntries: ZipUpload.maxEntries))
                inputs = try ZipUpload.inputFolders(inputNames, in: dicom).map { JobInput(path: $0.path) }
            } catch {
                try? FileManager.default.removeItem(at: folder)   // nothing of a refused zip stays
                switch error as? ServiceError {
                case .uploadTooLarge(let m)?: return APIResponse.error(.contentTooLarge, m)
                case .badUpload(let m)?: return APIResponse.error(.badRequest, m)
                default: throw error
                }
            }
        case "application/gzip", "application/octet-stream":
            let isGzip = body.readableBytesView.starts(with: [0x1F, 0x8B])
            let input = folder.appendingPathComponent(isGzip ? "image.nii.gz" : "image.nii")
            try write(body, to: input)
            inputs = [JobInput(path: input.path)]
        default:
            return APIResponse.error(.unsupportedMediaType, "send application/json (stored series), application/zip (DICOM) or application/octet-stream (NIfTI)")
        }
        let (id, created) = try store.enqueueJob(JobSpec(source: "upload", model: model, inputs: inputs, optionsJSON: options))
        return APIResponse.json(Queued(jobID: id, created: created), status: .accepted)
    }

    func queueSeries(_ data: Data) throws -> Response {
        guard let r = try? JSONDecoder().decode(SeriesRequest.self, from: data), !r.series.isEmpty else {
            return APIResponse.error(.badRequest, "expected {\"series\": [UID, ...], \"model\": NAME, \"options\"?: {...}, \"destinations\"?: [NAME]}")
        }
        for name in r.destinations ?? [] where config.destination(named: name) == nil {
            return APIResponse.error(.badRequest, "unknown destination '\(name)'")
        }
        let received = try store.receivedSeries()
        var inputs: [JobInput] = []
        for uid in r.series {
            guard Validate.isUID(uid), let s = received.first(where: { $0.seriesInstanceUID == uid }) else {
                return APIResponse.error(.notFound, "no received series '\(uid)'")
            }
            inputs.append(JobInput(path: s.folder, seriesInstanceUID: uid))
        }
        let options = String(decoding: try JSONEncoder().encode(r.options ?? RouteOptions()), as: UTF8.self)
        let (id, created) = try store.enqueueJob(JobSpec(source: "api", model: r.model, inputs: inputs, optionsJSON: options,
                                                         destinations: r.destinations ?? []))
        return APIResponse.json(Queued(jobID: id, created: created), status: .accepted)
    }

    func write(_ body: ByteBuffer, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: Data(body.readableBytesView), attributes: [.posixPermissions: 0o600]) else {
            throw ServiceError.output("cannot write the upload \(url.path)")
        }
    }
}
