/// Placeholder replaced by the oneDNN executor.
final class FastExecutor {
    let plan: Plan
    init(plan: Plan, threads: Int?) throws { self.plan = plan }
    func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] { try ReferenceExecutor.run(plan, inputs: inputs) }
}
