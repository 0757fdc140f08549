/// Voxel types that can be converted to and from `Double` (for interpolation and statistics).
public protocol VoxelScalar: Sendable, Equatable {
    var doubleValue: Double { get }
    /// The nearest representable value: rounded and clamped for integers.
    init(clampingDouble value: Double)
}

extension Float: VoxelScalar {
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(clampingDouble value: Double) { self = Float(value) }
}

extension Double: VoxelScalar {
    @inlinable public var doubleValue: Double { self }
    @inlinable public init(clampingDouble value: Double) { self = value }
}

extension VoxelScalar where Self: FixedWidthInteger {
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(clampingDouble value: Double) {
        if value.isNaN { self = 0; return }
        let r = value.rounded()
        if r <= Double(Self.min) { self = .min } else if r >= Double(Self.max) { self = .max } else { self = Self(r) }
    }
}

extension UInt8: VoxelScalar {}
extension Int8: VoxelScalar {}
extension UInt16: VoxelScalar {}
extension Int16: VoxelScalar {}
extension UInt32: VoxelScalar {}
extension Int32: VoxelScalar {}
