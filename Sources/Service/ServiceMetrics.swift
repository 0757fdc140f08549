import Foundation
import Prometheus
import StudyStore

/// The service's Prometheus metrics (swift-prometheus registry, served as text by GET /metrics):
/// jobs by state (read from the database at scrape time), job seconds, received instances and bytes,
/// refused instances and associations, HTTP request latency by route, response cache hits and misses.
public final class ServiceMetrics: ListenerObserver, Sendable {
    public let registry = PrometheusCollectorRegistry()
    let received: Counter
    let duplicates: Counter
    let receivedBytes: Counter
    let refusedInstances: Counter
    let refusedAssociations: Counter
    let jobSeconds: ValueHistogram
    let deliveries: Counter
    let deliveryRetries: Counter
    let cacheHits: Counter
    let cacheMisses: Counter

    public init() {
        received = registry.makeCounter(descriptor: Self.metric("segstation_received_instances_total", "DICOM instances received and stored"))
        duplicates = registry.makeCounter(descriptor: Self.metric("segstation_received_duplicates_total", "DICOM instances received that were already held"))
        receivedBytes = registry.makeCounter(descriptor: Self.metric("segstation_received_bytes_total", "Bytes of DICOM instances stored"))
        refusedInstances = registry.makeCounter(descriptor: Self.metric("segstation_refused_instances_total", "DICOM instances answered with a failure status"))
        refusedAssociations = registry.makeCounter(descriptor: Self.metric("segstation_refused_associations_total", "Associations rejected (caller not allowed)"))
        jobSeconds = registry.makeValueHistogram(descriptor: Self.metric("segstation_job_seconds", "Wall-clock seconds of finished jobs (segmentation and delivery)"),
                                                 buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600])
        deliveries = registry.makeCounter(descriptor: Self.metric("segstation_deliveries_total", "Result sets delivered to a destination"))
        deliveryRetries = registry.makeCounter(descriptor: Self.metric("segstation_delivery_retries_total", "Deliveries put back for a later try"))
        cacheHits = registry.makeCounter(descriptor: Self.metric("segstation_http_cache_hits_total", "GET /lesions and /runs/{id} answered from the response cache"))
        cacheMisses = registry.makeCounter(descriptor: Self.metric("segstation_http_cache_misses_total", "GET /lesions and /runs/{id} answered by reading the database"))
    }

    /// A metric's full name (as exposed) and help text; the descriptor's other parts stay empty.
    static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    public func instanceStored(bytes: Int64, duplicate: Bool) {
        if duplicate { duplicates.increment(); return }
        received.increment()
        receivedBytes.increment(by: bytes)
    }

    public func instanceRefused(status: UInt16, reason: String) { refusedInstances.increment() }
    public func associationRefused(callingAE: String, host: String) { refusedAssociations.increment() }

    /// HTTP latency per route pattern (created on first use; the registry returns the same histogram for the same labels).
    func httpLatency(route: String, status: Int) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.metric("segstation_http_request_duration_seconds", "HTTP request latency"),
                                       labels: [("route", route), ("status", String(status))],
                                       buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                                 .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)])
    }

    /// The exposition text, with the job-state gauges refreshed from the database.
    public func render(store: StudyStore) -> String {
        if let counts = try? store.jobCounts() {
            for (state, n) in counts {
                registry.makeGauge(descriptor: Self.metric("segstation_jobs", "Jobs in the queue by state"), labels: [("state", state.rawValue)]).set(Double(n))
            }
        }
        return registry.emitToString()
    }
}
