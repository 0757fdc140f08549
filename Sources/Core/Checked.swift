/// Range-checked conversions: a Double that is not finite or does not fit an Int is an input error
/// naming its field, never a trap (Swift's `Int(_: Double)` traps on both).
public enum Checked {
    /// `value` rounded toward zero as an Int.
    /// - Throws: `SafetyError.outOfRange` naming `field` when `value` is NaN, infinite or beyond Int's range.
    public static func int(_ value: Double, field: String) throws -> Int {
        guard let n = intOrNil(value) else {
            throw SafetyError(.outOfRange, subject: field, reason: "\(value) is not a finite number in Int's range")
        }
        return n
    }

    /// `value` rounded toward zero, or nil when it is NaN, infinite or beyond Int's range.
    @inlinable
    public static func intOrNil(_ value: Double) -> Int? {
        // 2^63 is exactly representable; everything strictly inside (-2^63 - 1, 2^63) converts.
        guard value.isFinite, value > -9_223_372_036_854_775_808.0 - 1, value < 9_223_372_036_854_775_808.0 else { return nil }
        return Int(value)
    }

    /// `value` as an Int clamped into `range` (NaN becomes `range.lowerBound`): for indices computed
    /// from geometry, where out-of-range means "outside" and is clamped by design.
    @inlinable
    public static func clampedInt(_ value: Double, _ range: ClosedRange<Int>) -> Int {
        guard !value.isNaN else { return range.lowerBound }
        if value <= Double(range.lowerBound) { return range.lowerBound }
        if value >= Double(range.upperBound) { return range.upperBound }
        return Int(value)
    }
}
