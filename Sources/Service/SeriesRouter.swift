import Foundation
import Logging
import Pipeline
import StudyStore

/// Decides what happens to received series once they are stable (no instance for `stableSeconds`,
/// Orthanc's "stable series"): the first matching route queues a job (after all its channels are
/// stable in the same study); a series no route matches is kept and listed as unmatched.
public struct SeriesRouter: Sendable {
    let store: StudyStore
    let routes: [Route]
    let stableSeconds: Double
    let logger: Logger

    public init(store: StudyStore, routes: [Route], stableSeconds: Double, logger: Logger) {
        self.store = store; self.routes = routes; self.stableSeconds = stableSeconds; self.logger = logger
    }

    static func facts(_ s: ReceivedSeriesRow) -> SeriesFacts {
        SeriesFacts(modality: s.modality, seriesDescription: s.seriesDescription, bodyPartExamined: s.bodyPartExamined,
                    imageType: s.imageType.split(separator: "\\").map { $0.trimmingCharacters(in: .whitespaces) },
                    sliceCount: s.instanceCount)
    }

    /// One pass over the series that became stable; returns the IDs of newly queued jobs.
    @discardableResult
    public func tick(now: Date = Date()) throws -> [JobID] {
        let cutoff = now.addingTimeInterval(-stableSeconds)
        var queued: [JobID] = []
        for series in try store.seriesToRoute(lastReceivedBefore: cutoff) {
            guard let route = Route.first(in: routes, matching: Self.facts(series)) else {
                if series.state != .unmatched {
                    try store.setReceivedSeriesState(series.seriesInstanceUID, .unmatched, route: nil, decidedAt: cutoff)
                    logger.info("stable series matches no route: stored, not segmented", metadata: ["folder": "\(URL(fileURLWithPath: series.folder).lastPathComponent)"])
                }
                continue
            }
            let study = try store.receivedSeries(studyInstanceUID: series.studyInstanceUID)
            var inputs = [series]
            for channel in route.channels {
                let found = study.first { other in
                    other.seriesInstanceUID != series.seriesInstanceUID && !inputs.contains(other)
                        && other.lastReceivedAt < cutoff && channel.matches(Self.facts(other))
                }
                guard let found else { break }
                inputs.append(found)
            }
            guard inputs.count == route.channels.count + 1 else {
                if series.state != .waiting {
                    try store.setReceivedSeriesState(series.seriesInstanceUID, .waiting, route: route.name, decidedAt: cutoff)
                    logger.info("series waits for its other channels", metadata: ["route": "\(route.name)"])
                }
                continue
            }
            // The same series with the same instances is one job, however often it is routed.
            let key = "route:\(route.name)|" + inputs.map { "\($0.seriesInstanceUID)#\($0.instanceCount)" }.joined(separator: "|")
            let options = String(decoding: (try? JSONEncoder().encode(route.options)) ?? Data("{}".utf8), as: UTF8.self)
            let (id, created) = try store.enqueueJob(JobSpec(
                source: "dicom", route: route.name, model: route.model,
                inputs: inputs.map { JobInput(path: $0.folder, seriesInstanceUID: $0.seriesInstanceUID) },
                optionsJSON: options, destinations: route.destinations, dedupKey: key))
            for input in inputs {
                try store.setReceivedSeriesState(input.seriesInstanceUID, .routed, route: route.name, decidedAt: cutoff)
            }
            if created {
                queued.append(id)
                logger.info("queued job \(id)", metadata: ["route": "\(route.name)", "channels": "\(inputs.count)"])
            }
        }
        return queued
    }
}
