extension String {
    /// The UTF-8 text a C function wrote into `buffer`, up to its first NUL (or the whole buffer
    /// when it has none). Invalid UTF-8 becomes U+FFFD; the read never runs past the buffer.
    public init(cBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
