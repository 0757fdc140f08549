// Attribute access: strings, numbers and sequence items of any item in an open file.
#include "bridge_internal.hpp"

static DcmItem *asItem(ssdcm_item item) { return static_cast<DcmItem *>(const_cast<void *>(item)); }

static DcmElement *findElement(ssdcm_item item, uint16_t group, uint16_t element) {
    if (!item) return nullptr;
    DcmElement *found = nullptr;
    try {
        if (asItem(item)->findAndGetElement(DcmTagKey(group, element), found, OFFalse).bad()) return nullptr;
    } catch (...) {
        return nullptr;
    }
    return found;
}

extern "C" int ssdcm_value_count(ssdcm_item item, uint16_t group, uint16_t element) {
    DcmElement *e = findElement(item, group, element);
    if (!e) return -1;
    try {
        if (e->getLength() == 0) return 0;
        return static_cast<int>(e->getVM());
    } catch (...) {
        return -1;
    }
}

extern "C" long ssdcm_string(ssdcm_item item, uint16_t group, uint16_t element, char *buffer, size_t capacity) {
    if (capacity > 0) buffer[0] = 0;
    DcmElement *e = findElement(item, group, element);
    if (!e || e->ident() == EVR_SQ || e->ident() == EVR_OB || e->ident() == EVR_OW || e->ident() == EVR_UN
        || e->ident() == EVR_pixelSQ || e->ident() == EVR_OF || e->ident() == EVR_OD || e->ident() == EVR_OL) return -1;
    try {
        OFString value;
        if (e->getOFStringArray(value).bad()) return -1;
        if (capacity > 0) {
            size_t n = value.length() < capacity - 1 ? value.length() : capacity - 1;
            std::memcpy(buffer, value.c_str(), n);
            buffer[n] = 0;
        }
        return static_cast<long>(value.length());
    } catch (...) {
        return -1;
    }
}

extern "C" int ssdcm_float64(ssdcm_item item, uint16_t group, uint16_t element, unsigned index, double *out) {
    DcmElement *e = findElement(item, group, element);
    if (!e || e->getLength() == 0 || index >= e->getVM()) return 0;
    try {
        Float64 f64;
        Float32 f32;
        Sint32 s32;
        Uint32 u32;
        Uint16 u16;
        Sint16 s16;
        switch (e->ident()) {
        case EVR_DS: case EVR_FD:
            if (e->getFloat64(f64, index).good()) { *out = f64; return 1; }
            return 0;
        case EVR_FL:
            if (e->getFloat32(f32, index).good()) { *out = f32; return 1; }
            return 0;
        case EVR_IS: case EVR_SL:
            if (e->getSint32(s32, index).good()) { *out = s32; return 1; }
            return 0;
        case EVR_UL:
            if (e->getUint32(u32, index).good()) { *out = u32; return 1; }
            return 0;
        case EVR_US:
            if (e->getUint16(u16, index).good()) { *out = u16; return 1; }
            return 0;
        case EVR_SS:
            if (e->getSint16(s16, index).good()) { *out = s16; return 1; }
            return 0;
        default:
            return 0;
        }
    } catch (...) {
        return 0;
    }
}

extern "C" int ssdcm_int64(ssdcm_item item, uint16_t group, uint16_t element, unsigned index, int64_t *out) {
    double value = 0;
    if (!ssdcm_float64(item, group, element, index, &value)) return 0;
    if (!(value >= -9.2e18 && value <= 9.2e18)) return 0;
    int64_t integer = static_cast<int64_t>(value);
    if (static_cast<double>(integer) != value) return 0;
    *out = integer;
    return 1;
}

extern "C" long ssdcm_bytes(ssdcm_item item, uint16_t group, uint16_t element, uint8_t *buffer, size_t capacity) {
    DcmElement *e = findElement(item, group, element);
    if (!e || (e->ident() != EVR_OB && e->ident() != EVR_UN && e->ident() != EVR_OW && e->ident() != EVR_ox)) return -1;
    try {
        Uint8 *bytes = nullptr;
        const Uint32 length = e->getLength();
        if (length == 0) return 0;
        if (e->getUint8Array(bytes).bad() || !bytes) return -1;
        if (buffer && capacity > 0) std::memcpy(buffer, bytes, length < capacity ? length : capacity);
        return static_cast<long>(length);
    } catch (...) {
        return -1;
    }
}

static DcmSequenceOfItems *findSequence(ssdcm_item item, uint16_t group, uint16_t element) {
    if (!item) return nullptr;
    DcmSequenceOfItems *seq = nullptr;
    try {
        if (asItem(item)->findAndGetSequence(DcmTagKey(group, element), seq, OFFalse).bad()) return nullptr;
    } catch (...) {
        return nullptr;
    }
    return seq;
}

extern "C" int ssdcm_sequence_count(ssdcm_item item, uint16_t group, uint16_t element) {
    DcmSequenceOfItems *seq = findSequence(item, group, element);
    return seq ? static_cast<int>(seq->card()) : -1;
}

extern "C" ssdcm_item ssdcm_sequence_item(ssdcm_item item, uint16_t group, uint16_t element, unsigned index) {
    DcmSequenceOfItems *seq = findSequence(item, group, element);
    if (!seq || index >= seq->card()) return nullptr;
    return static_cast<DcmItem *>(seq->getItem(index));
}
