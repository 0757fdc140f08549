/// `SafetyError` maps to the documented exit codes like every other layer's error type.
extension SafetyError: CategorizedError {
    public var category: ErrorCategory { ErrorCategory(rawValue: categoryName) ?? .badInput }
}
