import ArgumentParser
import Lesions
import Pipeline

/// `--split`, `--min-distance-mm`, `--neck-depth-mm`: how a semantic model's mask becomes lesions.
/// One option group for `segment` and `batch` (docs/INSTANCES.md, "A semantic model").
struct SplitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        How a semantic model's mask becomes lesions: 'components' (connected components, 26-connected per \
        label) or 'watershed' (touching lesions kept apart: a marker-controlled watershed on the distance \
        transform; two markers at least --min-distance-mm apart, basins merged when the neck between them is \
        less than --neck-depth-mm below the lower peak). Not for instances models (they detect each lesion).
        """, valueName: "method"))
    var split: SplitMethod = .components

    @Option(name: .customLong("min-distance-mm"), help: ArgumentHelp("With --split watershed: the smallest distance between two lesion centres (default 5).", valueName: "mm"))
    var minDistanceMM: Double?

    @Option(name: .customLong("neck-depth-mm"), help: ArgumentHelp("With --split watershed: how far below the lower of two peaks the neck between two lesions must lie to keep them apart (default 1).", valueName: "mm"))
    var neckDepthMM: Double?

    typealias SplitMethod = LesionSplitChoice.Method

    /// The choice, checked by its one rule (`LesionSplitChoice`, shared with `serve` routes).
    var choice: LesionSplitChoice { LesionSplitChoice(method: split, minDistanceMM: minDistanceMM, neckDepthMM: neckDepthMM) }

    /// Usage errors (exit 64), each naming its flag.
    func validate() throws {
        switch choice.problem {
        case nil: break
        case .onlyWithWatershed: throw ValidationError("--min-distance-mm and --neck-depth-mm apply to --split watershed")
        case .minDistanceNotPositive: throw ValidationError("--min-distance-mm must be a positive number of mm")
        case .neckDepthNegative: throw ValidationError("--neck-depth-mm must be 0 or a positive number of mm")
        }
    }

    /// What the job takes (`SegmentRequest.splitting`, `BatchOptions.splitting`): nil for connected components.
    var splitting: InstanceSplitting? { choice.splitting }
}

extension LesionSplitChoice.Method: ExpressibleByArgument {}
