// Pixel module validation and decoding of native, RLE, JPEG and JPEG-LS pixel data.
// Sizes are validated against the PixelData element before anything is decoded or allocated.
#include "bridge_internal.hpp"
#include <new>
#include <vector>
#include <cstring>

namespace {

/// Largest number of stored values one file may decode to (4 GiB of int32).
const uint64_t kMaxValues = 1ull << 30;

bool readUint16(DcmDataset *ds, const DcmTagKey &key, uint32_t &out, bool required, uint32_t fallback,
                const char *name, ssdcm_status *status) {
    Uint16 value = 0;
    if (ds->findAndGetUint16(key, value).good()) { out = value; return true; }
    if (!required) { out = fallback; return true; }
    ssdcm::fail(status, SSDCM_MISSING, "%s (%04X,%04X) is missing", name, key.getGroup(), key.getElement());
    return false;
}

bool isJPEG2000(const std::string &uid) {
    return uid == "1.2.840.10008.1.2.4.90" || uid == "1.2.840.10008.1.2.4.91" || uid == "1.2.840.10008.1.2.4.201"
        || uid == "1.2.840.10008.1.2.4.202" || uid == "1.2.840.10008.1.2.4.203";
}

DcmPixelData *findPixelData(DcmDataset *ds) {
    DcmElement *element = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, element, OFFalse).bad() || !element) return nullptr;
    return dynamic_cast<DcmPixelData *>(element);
}

} // namespace

extern "C" int ssdcm_pixel_info_read(ssdcm_file *file, ssdcm_pixel_info *info, ssdcm_status *status) {
    ssdcm::ok(status);
    try {
        *info = ssdcm_pixel_info{};
        DcmDataset *ds = file->format.getDataset();
        if (!readUint16(ds, DCM_Rows, info->rows, true, 0, "Rows", status)) return ssdcm::failed(status);
        if (!readUint16(ds, DCM_Columns, info->columns, true, 0, "Columns", status)) return ssdcm::failed(status);
        if (!readUint16(ds, DCM_BitsAllocated, info->bits_allocated, true, 0, "BitsAllocated", status)) return ssdcm::failed(status);
        if (!readUint16(ds, DCM_BitsStored, info->bits_stored, false, info->bits_allocated, "", status)) return ssdcm::failed(status);
        if (!readUint16(ds, DCM_HighBit, info->high_bit, false, info->bits_stored - 1, "", status)) return ssdcm::failed(status);
        if (!readUint16(ds, DCM_PixelRepresentation, info->pixel_representation, false, 0, "", status)) return ssdcm::failed(status);
        if (!readUint16(ds, DCM_SamplesPerPixel, info->samples_per_pixel, false, 1, "", status)) return ssdcm::failed(status);
        Sint32 frames = 1;
        if (ds->tagExistsWithValue(DCM_NumberOfFrames) && ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad()) {
            ssdcm::fail(status, SSDCM_MALFORMED, "NumberOfFrames (0028,0008) is not an integer");
            return ssdcm::failed(status);
        }
        if (info->rows == 0 || info->columns == 0) {
            ssdcm::fail(status, SSDCM_MALFORMED, "Rows (0028,0010) x Columns (0028,0011) is %ux%u; expected both positive",
                        info->rows, info->columns);
            return ssdcm::failed(status);
        }
        if (frames < 1) {
            ssdcm::fail(status, SSDCM_MALFORMED, "NumberOfFrames (0028,0008) is %d; expected at least 1", frames);
            return ssdcm::failed(status);
        }
        info->frames = static_cast<uint32_t>(frames);
        if (info->bits_allocated != 8 && info->bits_allocated != 16 && info->bits_allocated != 32) {
            ssdcm::fail(status, SSDCM_UNSUPPORTED, "BitsAllocated (0028,0100) is %u; expected 8, 16 or 32", info->bits_allocated);
            return ssdcm::failed(status);
        }
        if (info->bits_stored == 0 || info->bits_stored > info->bits_allocated || info->high_bit >= info->bits_allocated
            || info->high_bit + 1 < info->bits_stored) {
            ssdcm::fail(status, SSDCM_MALFORMED, "BitsStored (0028,0101) %u / HighBit (0028,0102) %u do not fit BitsAllocated %u",
                        info->bits_stored, info->high_bit, info->bits_allocated);
            return ssdcm::failed(status);
        }
        if (info->pixel_representation > 1) {
            ssdcm::fail(status, SSDCM_MALFORMED, "PixelRepresentation (0028,0103) is %u; expected 0 or 1", info->pixel_representation);
            return ssdcm::failed(status);
        }
        if (info->samples_per_pixel != 1) {
            ssdcm::fail(status, SSDCM_UNSUPPORTED, "SamplesPerPixel (0028,0002) is %u; only greyscale (1) images are supported",
                        info->samples_per_pixel);
            return ssdcm::failed(status);
        }
        uint64_t values = uint64_t(info->rows) * info->columns * info->frames;
        if (values > kMaxValues) {
            ssdcm::fail(status, SSDCM_TOO_LARGE, "Rows x Columns x NumberOfFrames = %ux%ux%u exceeds the %llu-value limit",
                        info->rows, info->columns, info->frames, (unsigned long long)kMaxValues);
            return ssdcm::failed(status);
        }
        DcmPixelData *pixels = findPixelData(ds);
        if (!pixels) {
            if (ds->tagExists(DCM_FloatPixelData) || ds->tagExists(DCM_DoubleFloatPixelData)) {
                ssdcm::fail(status, SSDCM_UNSUPPORTED, "float pixel data (7FE0,0008/0009) is not supported");
            } else {
                ssdcm::fail(status, SSDCM_MISSING, "PixelData (7FE0,0010) is missing");
            }
            return ssdcm::failed(status);
        }
        DcmXfer xfer(ds->getOriginalXfer());
        const DcmRepresentationParameter *param = nullptr;
        DcmPixelSequence *sequence = nullptr;
        if (xfer.isEncapsulated() && pixels->getEncapsulatedRepresentation(ds->getOriginalXfer(), param, sequence).good() && sequence) {
            info->encapsulated = 1;
            info->fragments = sequence->card() > 0 ? sequence->card() - 1 : 0;
            if (info->fragments == 0) {
                ssdcm::fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) has no fragments; expected at least one per frame");
                return ssdcm::failed(status);
            }
            if (info->frames > 1 && info->fragments < info->frames) {
                ssdcm::fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) has %u fragments for %u frames; expected at least one per frame",
                            info->fragments, info->frames);
                return ssdcm::failed(status);
            }
            return SSDCM_OK;
        }
        if (xfer.isEncapsulated()) {
            ssdcm::fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) is not encapsulated although the transfer syntax %s is compressed",
                        xfer.getXferName());
            return ssdcm::failed(status);
        }
        info->pixel_data_length = pixels->getLength();
        uint64_t expected = values * (info->bits_allocated / 8);
        if (info->pixel_data_length < expected) {
            ssdcm::fail(status, SSDCM_MALFORMED,
                        "PixelData (7FE0,0010) holds %llu bytes; expected %llu for %ux%u x %u frames at %u bits",
                        (unsigned long long)info->pixel_data_length, (unsigned long long)expected, info->rows, info->columns,
                        info->frames, info->bits_allocated);
            return ssdcm::failed(status);
        }
        // A deflated data set is smaller on disk than its values; DCMTK checks the stream there.
        if (xfer.getStreamCompression() == ESC_none && info->pixel_data_length > file->fileSize) {
            ssdcm::fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) declares %llu bytes but the file has only %llu: truncated",
                        (unsigned long long)info->pixel_data_length, (unsigned long long)file->fileSize);
            return ssdcm::failed(status);
        }
        return SSDCM_OK;
    } catch (const std::exception &e) {
        ssdcm::fail(status, SSDCM_MALFORMED, "reading the pixel module failed: %s", e.what());
    } catch (...) {
        ssdcm::fail(status, SSDCM_MALFORMED, "reading the pixel module failed");
    }
    return ssdcm::failed(status);
}

/// Applies HighBit, BitsStored and PixelRepresentation to raw words (as read, in local byte order).
template <typename Word>
static bool unpackStoredValues(const Word *words, const ssdcm_pixel_info &info, int32_t *out, uint64_t count,
                               ssdcm_status *status) {
    const unsigned shift = info.high_bit + 1 - info.bits_stored;
    const uint64_t mask = info.bits_stored >= 32 ? 0xFFFFFFFFull : ((1ull << info.bits_stored) - 1);
    const uint64_t signBit = 1ull << (info.bits_stored - 1);
    for (uint64_t n = 0; n < count; ++n) {
        uint64_t v = (static_cast<uint64_t>(words[n]) >> shift) & mask;
        int64_t value = static_cast<int64_t>(v);
        if (info.pixel_representation == 1 && (v & signBit)) value -= int64_t(mask) + 1;
        if (value > INT32_MAX) {
            ssdcm::fail(status, SSDCM_UNSUPPORTED, "stored value %lld exceeds the 32-bit signed range", (long long)value);
            return false;
        }
        out[n] = static_cast<int32_t>(value);
    }
    return true;
}

/// Reads native (or just decompressed) pixel words in local byte order and unpacks them.
static bool readNative(DcmPixelData *pixels, const ssdcm_pixel_info &info, bool bigEndianSource, int32_t *out,
                       uint64_t count, ssdcm_status *status) {
    const uint64_t needed = count * (info.bits_allocated / 8);
    if (pixels->getLength() < needed) {
        ssdcm::fail(status, SSDCM_MALFORMED, "decoded PixelData (7FE0,0010) holds %llu bytes; expected %llu",
                    (unsigned long long)pixels->getLength(), (unsigned long long)needed);
        return false;
    }
    OFCondition cond;
    if (info.bits_allocated == 16) {
        Uint16 *words = nullptr;
        cond = pixels->getUint16Array(words);
        if (cond.good() && words) return unpackStoredValues(words, info, out, count, status);
    } else if (info.bits_allocated == 8) {
        Uint8 *bytes = nullptr;
        cond = pixels->getUint8Array(bytes);
        if (cond.good() && bytes) return unpackStoredValues(bytes, info, out, count, status);
    } else {
        if (bigEndianSource) {
            ssdcm::fail(status, SSDCM_UNSUPPORTED, "32-bit pixel data in big endian is not supported");
            return false;
        }
        Uint8 *bytes = nullptr;
        cond = pixels->getUint8Array(bytes);
        if (cond.good() && bytes) {
            std::vector<Uint32> words(count);
            std::memcpy(words.data(), bytes, count * 4);  // little endian file on a little endian host
            return unpackStoredValues(words.data(), info, out, count, status);
        }
    }
    ssdcm::fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) cannot be read: %s (truncated file?)",
                cond.bad() ? cond.text() : "no value");
    return false;
}

extern "C" int ssdcm_decode_frames(ssdcm_file *file, int32_t *out, uint64_t count, ssdcm_status *status) {
    ssdcm::ok(status);
    try {
        ssdcm_pixel_info info;
        if (ssdcm_pixel_info_read(file, &info, status) != SSDCM_OK) return ssdcm::failed(status);
        const uint64_t values = uint64_t(info.rows) * info.columns * info.frames;
        if (count != values) {
            ssdcm::fail(status, SSDCM_MALFORMED, "caller expected %llu values, the file has %llu",
                        (unsigned long long)count, (unsigned long long)values);
            return ssdcm::failed(status);
        }
        if (info.encapsulated && isJPEG2000(file->transferSyntaxUID)) {
            if (!ssdcm::decodeJPEG2000(file, info, out, status)) return ssdcm::failed(status);
            // Apply BitsStored/sign handling to the decoded component values as for native data.
            const uint64_t mask = info.bits_stored >= 32 ? 0xFFFFFFFFull : ((1ull << info.bits_stored) - 1);
            const uint64_t signBit = 1ull << (info.bits_stored - 1);
            for (uint64_t n = 0; n < count; ++n) {
                uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(out[n])) & mask;
                int64_t value = static_cast<int64_t>(v);
                if (info.pixel_representation == 1 && (v & signBit)) value -= int64_t(mask) + 1;
                out[n] = static_cast<int32_t>(value);
            }
            return SSDCM_OK;
        }
        DcmDataset *ds = file->format.getDataset();
        if (info.encapsulated) {
            OFCondition cond = ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
            if (cond.bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit)) {
                DcmXfer xfer(ds->getOriginalXfer());
                ssdcm::fail(status, SSDCM_DECODE, "cannot decode %s pixel data: %s", xfer.getXferName(),
                            cond.bad() ? cond.text() : "no decoder for this transfer syntax");
                return ssdcm::failed(status);
            }
        }
        DcmPixelData *pixels = findPixelData(ds);
        if (!pixels) {
            ssdcm::fail(status, SSDCM_MISSING, "PixelData (7FE0,0010) is missing");
            return ssdcm::failed(status);
        }
        const bool bigEndian = DcmXfer(ds->getOriginalXfer()).getByteOrder() == EBO_BigEndian && !info.encapsulated;
        return readNative(pixels, info, bigEndian, out, count, status) ? SSDCM_OK : ssdcm::failed(status);
    } catch (const std::bad_alloc &) {
        ssdcm::fail(status, SSDCM_TOO_LARGE, "out of memory while decoding the pixel data");
    } catch (const std::exception &e) {
        ssdcm::fail(status, SSDCM_DECODE, "decoding failed: %s", e.what());
    } catch (...) {
        ssdcm::fail(status, SSDCM_DECODE, "decoding failed with an unknown exception");
    }
    return ssdcm::failed(status);
}
