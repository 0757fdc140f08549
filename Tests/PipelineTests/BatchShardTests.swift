import XCTest
@testable import Pipeline

/// `--shard I/N`: SHA-256(case id) mod N, checked against Python's hashlib and for exact cover.
final class BatchShardTests: XCTestCase {
    /// Values from Python: `int.from_bytes(hashlib.sha256(cid.encode()).digest(), 'big') % n`
    /// (Scripts/reference/batch_shards.py prints them).
    func testShardMatchesPythonHashlib() {
        XCTAssertEqual(BatchShard.shard(of: "BraTS_001", count: 4), 1)
        XCTAssertEqual(BatchShard.shard(of: "case-0007", count: 16), 6)
        XCTAssertEqual(BatchShard.shard(of: "1.2.840.113619.2.55.3", count: 7), 2)
        XCTAssertEqual(BatchShard.shard(of: "x", count: 1_000_000), 915_265)
    }

    /// For N = 1...16 and cohorts growing 1 -> 300 cases: every case is in exactly one shard, and a
    /// case's shard never changes as the cohort grows.
    func testShardsCoverGrowingCohortsExactlyOnce() throws {
        var firstShard: [Int: [String: Int]] = [:]
        for size in [1, 2, 5, 17, 64, 150, 300] {
            let cohort = (0..<size).map { String(format: "case-%04d", $0) }
            for n in 1...16 {
                let shards = try (0..<n).map { try BatchShard(index: $0, count: n) }
                for id in cohort {
                    let owners = shards.filter { $0.contains(caseID: id) }
                    XCTAssertEqual(owners.count, 1, "\(id) with N=\(n) is in \(owners.count) shards")
                    if let previous = firstShard[n]?[id] {
                        XCTAssertEqual(owners.first?.index, previous, "\(id) moved from shard \(previous) when the cohort grew to \(size)")
                    } else {
                        firstShard[n, default: [:]][id] = owners.first?.index
                    }
                }
                let covered = shards.reduce(0) { total, s in total + cohort.filter { s.contains(caseID: $0) }.count }
                XCTAssertEqual(covered, cohort.count)
            }
        }
        // Not degenerate: 300 cases over 4 shards land in every shard.
        let counts = (0..<4).map { i in (0..<300).filter { BatchShard.shard(of: String(format: "case-%04d", $0), count: 4) == i }.count }
        XCTAssertTrue(counts.allSatisfy { $0 > 40 }, "\(counts)")
    }

    func testParsingIsZeroBasedAndStrict() throws {
        XCTAssertEqual(try BatchShard(parsing: "0/4"), try BatchShard(index: 0, count: 4))
        XCTAssertEqual(try BatchShard(parsing: " 3 / 4 "), try BatchShard(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", ""] {
            XCTAssertThrowsError(try BatchShard(parsing: bad), bad)
        }
    }

    func testParallelismIsClampedToTheCores() {
        func plan(_ jobs: Int, _ threads: Int?, cores: Int) -> (Int, Int, Bool) {
            let r = BatchOptions(input: "", output: "", jobs: jobs, threadsPerJob: threads, cores: cores).resolvedParallelism()
            return (r.jobs, r.threadsPerJob, r.warning != nil)
        }
        XCTAssert(plan(1, nil, cores: 2) == (1, 2, false))
        XCTAssert(plan(2, nil, cores: 2) == (2, 1, false))
        XCTAssert(plan(2, 1, cores: 2) == (2, 1, false))
        XCTAssert(plan(1, 2, cores: 2) == (1, 2, false))
        XCTAssert(plan(2, 2, cores: 2) == (2, 1, true))
        XCTAssert(plan(4, 1, cores: 2) == (2, 1, true))
        XCTAssert(plan(3, nil, cores: 8) == (3, 2, false))
    }
}
