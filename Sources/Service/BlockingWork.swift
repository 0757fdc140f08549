import Hummingbird
import NIOPosix

/// The HTTP handlers' blocking work — study-database reads (GRDB is synchronous), JSON encoding of
/// large bodies, artefact files and uploads — on a dedicated pool of threads (swift-nio's
/// `NIOThreadPool`), never on Swift's cooperative pool.
///
/// Hummingbird runs every connection's task on the cooperative pool, which has one thread per core
/// (two on the reference machine). A synchronous read there holds one of those threads for its whole
/// duration: two slow requests (a 5,000-lesion answer) stopped every other connection, /health
/// included, until they ended. On this pool they wait for a database reader and a pool thread
/// while the cooperative threads go on parsing and answering the other connections.
/// (`HTTPNonBlockingTests` holds more reads than there are cores and checks that /health and
/// /lesions still answer.)
final class BlockingWork: Sendable {
    /// Threads of the pool: as many as the study database's concurrent SQLite readers
    /// (GRDB `DatabasePool`, `Configuration.maximumReaderCount`, 5 by default), so that a thread
    /// never waits for a reader connection.
    static let threads = 5

    private let pool: NIOThreadPool

    init(threads: Int = BlockingWork.threads) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Runs `body` on the pool and returns its result to the calling task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Stops the pool once queued work has run (the server has stopped accepting requests).
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
