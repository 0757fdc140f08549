// PrepackedBinarySegmentation and the bit packer (see seg_packed.hpp for why).
#include "seg_packed.hpp"
#include <dcmtk/dcmiod/iodutil.h>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ssseg {

namespace {

/// The last pixels, 8 per byte (from `i`, a multiple of 8); the last byte's unused high bits stay 0.
void packTail(const uint8_t *pixels, size_t i, size_t count, uint8_t label, uint8_t *out) {
    for (; i < count; i += 8) {
        uint8_t byte = 0;
        for (size_t b = 0; b < 8 && i + b < count; ++b) {
            const bool set = label == 0 ? pixels[i + b] != 0 : pixels[i + b] == label;
            byte |= static_cast<uint8_t>(set << b);
        }
        out[i / 8] = byte;
    }
}

#if defined(__x86_64__)
/// 32 pixels per step with AVX2: compare bytes, one bit per byte (byte j -> bit j), invert for "nonzero".
__attribute__((target("avx2"))) void packAVX2(const uint8_t *pixels, size_t count, uint8_t label, uint8_t *out) {
    const __m256i match = _mm256_set1_epi8(static_cast<char>(label));
    const uint32_t flip = label == 0 ? 0xFFFFFFFFu : 0u;
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(pixels + i));
        const uint32_t set = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, match))) ^ flip;
        std::memcpy(out + i / 8, &set, 4);   // little endian: pixel i + j -> bit j % 8 of byte (i + j) / 8
    }
    packTail(pixels, i, count, label, out);
}
#endif

} // namespace

void packBinaryBits(const uint8_t *pixels, size_t count, uint8_t label, uint8_t *out) {
#if defined(__x86_64__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2) return packAVX2(pixels, count, label, out);
#endif
    size_t i = 0;
#if defined(__SSE2__)
    // 16 pixels per step: compare bytes, take one bit per byte (byte j -> bit j); for "nonzero", invert "== 0".
    const __m128i match = _mm_set1_epi8(static_cast<char>(label));
    const unsigned flip = label == 0 ? 0xFFFFu : 0u;
    for (; i + 16 <= count; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(pixels + i));
        const unsigned set = (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, match))) ^ flip) & 0xFFFFu;
        out[i / 8] = static_cast<uint8_t>(set & 0xFFu);
        out[i / 8 + 1] = static_cast<uint8_t>(set >> 8);
    }
#endif
    packTail(pixels, i, count, label, out);
}

OFCondition PrepackedBinarySegmentation::create(PrepackedBinarySegmentation *&segmentation, Uint16 rows, Uint16 columns,
                                                const IODGeneralEquipmentModule::EquipmentInfo &equipment,
                                                const ContentIdentificationMacro &content) {
    segmentation = nullptr;
    if (rows == 0 || columns == 0) return EC_IllegalParameter;
    std::unique_ptr<PrepackedBinarySegmentation> seg(new PrepackedBinarySegmentation());
    seg->getImagePixel().setRows(rows);
    seg->getImagePixel().setColumns(columns);
    OFCondition status = seg->setContentIdentification(content);
    OFString instanceNumber;
    if (status.good()) status = const_cast<ContentIdentificationMacro &>(content).getInstanceNumber(instanceNumber);
    if (status.good()) status = seg->getGeneralImage().setInstanceNumber(instanceNumber);
    if (status.good()) status = DcmIODUtil::setContentDateAndTimeNow(seg->getGeneralImage());
    if (status.good()) status = seg->setEquipmentInfo(equipment, OFTrue);
    if (status.good()) segmentation = seg.release();
    return status;
}

size_t PrepackedBinarySegmentation::bitsPerFrame() {
    Uint16 rows = 0, columns = 0;
    getImagePixel().getRows(rows);
    getImagePixel().getColumns(columns);
    return static_cast<size_t>(rows) * columns;
}

OFCondition PrepackedBinarySegmentation::reserveFrames(size_t frames) {
    if (m_pixelData || frames == 0) return EC_IllegalCall;
    const size_t length = (bitsPerFrame() * frames + 7) / 8;
    if (length > 0xFFFFFFFEu) return EC_ElemLengthExceeds32BitField;   // one Pixel Data element holds < 4 GiB
    std::unique_ptr<DcmPixelData> element(new DcmPixelData(DCM_PixelData));
    element->setVR(EVR_OB);   // as DcmSegmentation's putAndInsertUint8Array does for 1-bit data
    Uint8 *bytes = nullptr;   // zero-filled by DCMTK
    OFCondition status = element->createUint8Array(static_cast<Uint32>(length), bytes);
    if (status.bad()) return status;
    if (!bytes) return EC_MemoryExhausted;
    m_pixelData = std::move(element);
    m_bits = bytes;
    m_length = length;
    m_reserved = frames;
    m_packed.assign(frames, false);
    return EC_Normal;
}

OFCondition PrepackedBinarySegmentation::addFrameGroups(Uint16 segmentNumber, const OFVector<FGBase *> &perFrameInformation) {
    if (m_withGroups >= m_reserved) return SG_EC_MaxFramesReached;
    Uint8 unused = 0;   // never read: addFrame(Uint8*) below only registers a placeholder
    m_addingGroups = true;
    OFCondition status = DcmSegmentation::addFrame(&unused, segmentNumber, perFrameInformation);
    m_addingGroups = false;
    if (status.good()) ++m_withGroups;
    return status;
}

OFCondition PrepackedBinarySegmentation::addFrame(Uint8 *) {
    if (!m_addingGroups) return IOD_EC_CannotInsertFrame;
    Uint16 rows = 0, columns = 0;
    getImagePixel().getRows(rows);
    getImagePixel().getColumns(columns);
    // DCMTK numbers frames by the length of its private frame list: register a 1x1 placeholder there.
    Uint8 placeholder = 0;
    getImagePixel().setRows(1);
    getImagePixel().setColumns(1);
    OFCondition status = DcmSegmentation::addFrame(&placeholder);
    getImagePixel().setRows(rows);
    getImagePixel().setColumns(columns);
    return status;
}

OFCondition PrepackedBinarySegmentation::packFrame(size_t index, const Uint8 *pixels, Uint8 label) {
    if (index >= m_reserved || m_packed[index]) return EC_IllegalCall;
    const size_t bits = bitsPerFrame(), first = index * bits;
    if (first % 8 == 0 && bits % 8 == 0) {
        packBinaryBits(pixels, bits, label, m_bits + first / 8);
    } else {   // frames share bytes: OR the bits into the zero-filled value (any order of frames)
        for (size_t p = 0; p < bits; ++p) {
            const bool set = label == 0 ? pixels[p] != 0 : pixels[p] == label;
            if (set) m_bits[(first + p) / 8] |= static_cast<Uint8>(1u << ((first + p) % 8));
        }
    }
    m_packed[index] = true;
    return EC_Normal;
}

OFCondition PrepackedBinarySegmentation::writeBinaryFrames(Uint8 *pixData, Uint16, Uint16, const size_t pixDataLength) {
    if (m_writingPacked) return EC_Normal;   // writeDatasetPacked inserts the element itself
    // Reached through DcmSegmentation::writeDataset: DCMTK's buffer gets a copy of the packed bits.
    if (!m_pixelData || pixDataLength != m_length) return EC_InternalError;
    std::memcpy(pixData, m_bits, pixDataLength);
    return EC_Normal;
}

OFCondition PrepackedBinarySegmentation::writeDatasetPacked(DcmItem &dataset) {
    if (!m_pixelData || m_withGroups != m_reserved) return EC_IllegalCall;
    for (bool packed : m_packed)
        if (!packed) return EC_IllegalCall;
    // DCMTK allocates its own Pixel Data buffer here; writeBinaryFrames leaves it unfilled (never written,
    // so never paged in).
    Uint8 *unused = nullptr;
    size_t length = 0;
    m_writingPacked = true;
    OFCondition status = writeWithSeparatePixelData(dataset, unused, length);
    m_writingPacked = false;
    delete[] unused;
    if (status.bad()) return status;
    if (length != m_length) return EC_InternalError;
    status = dataset.insert(m_pixelData.get(), OFTrue);
    if (status.good()) {
        m_pixelData.release();   // owned by the dataset now
        m_bits = nullptr;
    }
    return status;
}

} // namespace ssseg
