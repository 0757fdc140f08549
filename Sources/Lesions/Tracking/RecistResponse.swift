/// RECIST 1.1 response of target lesions (Eisenhauer et al., Eur J Cancer 2009;45:228-247), from
/// lesions tracked across time points. Every choice the guideline leaves to the reader is stated in
/// docs/RECIST.md; in short: target lesions are chosen at baseline by size, a lesion not found at a
/// later time point measures 0 mm, non-target lesions are not assessed, and a new lesion counts when it
/// is at least `newLesionMinimumML` (the report's visibility threshold).
public enum RecistResponse {
    /// One tracked lesion at one time point.
    public struct Lesion: Codable, Equatable, Sendable {
        /// The tracked identity ("lesion N"), the same at every time point.
        public var identity: Int
        /// The organ or label; at most 2 targets per label.
        public var label: String
        /// A lymph node (its label says "node"): measured by its short axis.
        public var isNode: Bool
        public var longAxisMM: Double
        public var shortAxisMM: Double
        public var volumeML: Double
        public init(identity: Int, label: String, isNode: Bool = false, longAxisMM: Double, shortAxisMM: Double, volumeML: Double) {
            self.identity = identity; self.label = label; self.isNode = isNode
            self.longAxisMM = longAxisMM; self.shortAxisMM = shortAxisMM; self.volumeML = volumeML
        }
        /// The diameter that enters the sum: short axis for nodes, long axis otherwise.
        public var recistDiameterMM: Double { isNode ? shortAxisMM : longAxisMM }
        /// Measurable at baseline: long axis >= 10 mm (nodes: short axis >= 15 mm).
        public var isMeasurable: Bool { isNode ? shortAxisMM >= 15 : longAxisMM >= 10 }
    }

    public struct Timepoint: Codable, Equatable, Sendable {
        public var date: String
        public var lesions: [Lesion]
        public init(date: String, lesions: [Lesion]) { self.date = date; self.lesions = lesions }
    }

    public enum Category: String, Codable, Sendable {
        case completeResponse = "CR", partialResponse = "PR", stableDisease = "SD", progressiveDisease = "PD"
        /// No measurable lesion at baseline: RECIST cannot assess target response.
        case notEvaluable = "NE"
    }

    public struct Assessment: Codable, Equatable, Sendable {
        /// Identities of the target lesions (chosen at baseline), in decreasing diameter.
        public var targets: [Int]
        public var baselineSumMM: Double
        /// The smallest sum before the current time point (baseline included).
        public var nadirSumMM: Double
        public var currentSumMM: Double
        public var changeFromBaselinePercent: Double?
        public var changeFromNadirPercent: Double?
        public var changeFromNadirMM: Double
        /// Identities of lesions first seen after baseline that count as new lesions.
        public var newLesions: [Int]
        public var category: Category
    }

    /// Up to 5 measurable lesions, at most 2 per label, largest RECIST diameter first (ties: lower identity).
    public static func targets(at baseline: Timepoint, maximum: Int = 5, perLabel: Int = 2) -> [Lesion] {
        var chosen = [Lesion](), count = [String: Int]()
        for lesion in baseline.lesions.filter(\.isMeasurable)
            .sorted(by: { ($1.recistDiameterMM, $0.identity) < ($0.recistDiameterMM, $1.identity) }) where chosen.count < maximum {
            guard count[lesion.label, default: 0] < perLabel else { continue }
            count[lesion.label, default: 0] += 1
            chosen.append(lesion)
        }
        return chosen
    }

    /// The assessment of the last time point against the first (baseline) and the ones between (nadir).
    /// - Parameter timepoints: oldest first; at least two for a response.
    public static func assess(_ timepoints: [Timepoint], newLesionMinimumML: Double = 0.1) -> Assessment? {
        guard timepoints.count >= 2, let baseline = timepoints.first, let now = timepoints.last else { return nil }
        let targets = Self.targets(at: baseline)
        let ids = targets.map(\.identity)
        let isNode = Dictionary(uniqueKeysWithValues: targets.map { ($0.identity, $0.isNode) })
        func sum(_ t: Timepoint) -> Double {
            ids.reduce(0) { total, id in total + (t.lesions.first { $0.identity == id }?.recistDiameterMM ?? 0) }
        }
        let sums = timepoints.map(sum)
        let baselineSum = sums[0], currentSum = sums[sums.count - 1]
        let nadir = sums.dropLast().min() ?? baselineSum
        let earlier = Set(timepoints.dropLast().flatMap { $0.lesions.map(\.identity) })
        let newLesions = now.lesions.filter { !earlier.contains($0.identity) && $0.volumeML >= newLesionMinimumML }.map(\.identity).sorted()
        let category: Category
        if targets.isEmpty {
            category = newLesions.isEmpty ? .notEvaluable : .progressiveDisease
        } else if !newLesions.isEmpty || (currentSum >= nadir * 1.2 && currentSum - nadir >= 5) {
            category = .progressiveDisease
        } else if ids.allSatisfy({ id in
            let d = now.lesions.first { $0.identity == id }
            return isNode[id]! ? (d?.shortAxisMM ?? 0) < 10 : (d?.longAxisMM ?? 0) == 0
        }) {
            category = .completeResponse
        } else if currentSum <= baselineSum * 0.7 {
            category = .partialResponse
        } else {
            category = .stableDisease
        }
        return Assessment(targets: ids, baselineSumMM: baselineSum, nadirSumMM: nadir, currentSumMM: currentSum,
                          changeFromBaselinePercent: baselineSum > 0 ? (currentSum - baselineSum) / baselineSum * 100 : nil,
                          changeFromNadirPercent: nadir > 0 ? (currentSum - nadir) / nadir * 100 : nil,
                          changeFromNadirMM: currentSum - nadir, newLesions: newLesions, category: category)
    }
}
