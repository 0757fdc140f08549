// Inflating a Deflated Explicit VR Little Endian data set for the nesting pre-scan (zlib), before
// DCMTK parses the file.
#include "bridge_internal.hpp"
#include <algorithm>
#include <zlib.h>

/// One inflation of `in` into `out` with zlib's `window_bits` (-15 raw RFC 1951, 15 zlib RFC 1950).
static int inflateInto(const uint8_t *in, size_t in_count, uint8_t *out, size_t capacity, size_t *produced,
                       int window_bits, ssdcm_status *status) {
    z_stream z{};
    if (inflateInit2(&z, window_bits) != Z_OK) {
        ssdcm::fail(status, SSDCM_MALFORMED, "zlib could not start inflating");
        return SSDCM_MALFORMED;
    }
    // zlib counts in uInt (32 bits): feed and drain in slices.
    const size_t slice = 1u << 30;
    size_t read = 0, written = 0;
    int result = Z_OK;
    while (result == Z_OK) {
        if (z.avail_in == 0 && read < in_count) {
            size_t n = std::min(slice, in_count - read);
            z.next_in = const_cast<Bytef *>(in + read);
            z.avail_in = static_cast<uInt>(n);
            read += n;
        }
        if (written == capacity) {
            // Full: one more byte would exceed the capacity, unless the stream ends exactly here.
            uint8_t probe;
            z.next_out = &probe;
            z.avail_out = 1;
            result = inflate(&z, Z_NO_FLUSH);
            if (z.avail_out == 0) {
                inflateEnd(&z);
                ssdcm::fail(status, SSDCM_TOO_LARGE, "the deflated data set inflates to more than %zu bytes", capacity);
                return SSDCM_TOO_LARGE;
            }
            break;
        }
        size_t room = std::min(slice, capacity - written);
        z.next_out = out + written;
        z.avail_out = static_cast<uInt>(room);
        result = inflate(&z, Z_NO_FLUSH);
        written += room - z.avail_out;
        if (result == Z_BUF_ERROR && z.avail_in == 0 && read == in_count) break;   // input ended early
        if (result == Z_BUF_ERROR) result = Z_OK;
    }
    inflateEnd(&z);
    if (result != Z_STREAM_END) {
        ssdcm::fail(status, SSDCM_MALFORMED, "the deflated data set does not inflate (zlib: %s)",
                    z.msg ? z.msg : (result == Z_BUF_ERROR ? "unexpected end of data" : "invalid data"));
        return SSDCM_MALFORMED;
    }
    *produced = written;
    return SSDCM_OK;
}

extern "C" int ssdcm_inflate(const uint8_t *in, size_t in_count, uint8_t *out, size_t capacity, size_t *produced,
                             ssdcm_status *status) {
    ssdcm::ok(status);
    *produced = 0;
    // PS3.5 A.5 prescribes raw deflate; some writers wrap it in a zlib header, which DCMTK also reads.
    int code = inflateInto(in, in_count, out, capacity, produced, -MAX_WBITS, status);
    if (code == SSDCM_MALFORMED && in_count >= 2 && (in[0] & 0x0F) == 8 && ((in[0] << 8) | in[1]) % 31 == 0) {
        ssdcm_status second;
        code = inflateInto(in, in_count, out, capacity, produced, MAX_WBITS, &second);
        if (status) *status = second;
    }
    return code;
}
