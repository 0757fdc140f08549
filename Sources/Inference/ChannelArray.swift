/// A multi-channel 3D array in C order: `values[((c * d0 + x0) * d1 + x1) * d2 + x2]`, the memory
/// layout of an NCDHW tensor with N = 1. `d2` is the fastest axis. 2D models see `d0` as the slice axis.
public struct ChannelArray: Sendable, Equatable {
    public var channels: Int
    public var shape: [Int]           // [d0, d1, d2]
    public var values: [Float]

    public init(channels: Int, shape: [Int], values: [Float]) {
        precondition(shape.count == 3 && values.count == channels * shape.reduce(1, *), "ChannelArray: size mismatch")
        self.channels = channels
        self.shape = shape
        self.values = values
    }

    public init(channels: Int, shape: [Int], repeating value: Float = 0) {
        self.init(channels: channels, shape: shape, values: [Float](repeating: value, count: channels * shape.reduce(1, *)))
    }

    public var voxelsPerChannel: Int { shape.reduce(1, *) }

    /// A copy padded with `value` so every axis is at least `minimum[a]` long; the original sits at
    /// `offset` (padding split evenly, the extra voxel after). Returns the padded array and the offset.
    public func padded(toAtLeast minimum: [Int], value: Float = 0) -> (ChannelArray, [Int]) {
        let newShape = zip(shape, minimum).map { max($0, $1) }
        if newShape == shape { return (self, [0, 0, 0]) }
        let offset = zip(newShape, shape).map { ($0 - $1) / 2 }
        var out = ChannelArray(channels: channels, shape: newShape, repeating: value)
        for c in 0..<channels {
            for x0 in 0..<shape[0] {
                for x1 in 0..<shape[1] {
                    let src = ((c * shape[0] + x0) * shape[1] + x1) * shape[2]
                    let dst = ((c * newShape[0] + x0 + offset[0]) * newShape[1] + x1 + offset[1]) * newShape[2] + offset[2]
                    for x2 in 0..<shape[2] { out.values[dst + x2] = values[src + x2] }
                }
            }
        }
        return (out, offset)
    }
}
