import Foundation

/// Fans job progress out to the HTTP clients following `GET /jobs/{id}/events` (server-sent events).
public final class ProgressHub: Sendable {
    private let subscribers = Locked<[UUID: AsyncStream<JobProgress>.Continuation]>([:])

    public init() {}

    public func publish(_ event: JobProgress) {
        for continuation in subscribers.current.values { continuation.yield(event) }
    }

    /// A stream of every event from now on; ends when the consumer stops iterating.
    public func subscribe() -> AsyncStream<JobProgress> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<JobProgress>.makeStream(bufferingPolicy: .bufferingNewest(64))
        continuation.onTermination = { [subscribers] _ in _ = subscribers.withLock { $0.removeValue(forKey: id) } }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    /// Ends every stream (shutdown).
    public func finishAll() {
        for continuation in subscribers.current.values { continuation.finish() }
    }
}
