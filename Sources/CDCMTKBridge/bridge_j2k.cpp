// JPEG 2000: DCMTK's free edition has no codec, so the frames' fragments are gathered from the
// encapsulated pixel data here and decoded with OpenJPEG from memory (strict mode: a truncated
// code stream is an error, not a partial image).
#include "bridge_internal.hpp"
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <openjpeg-2.5/openjpeg.h>
#include <algorithm>
#include <cstring>
#include <vector>

namespace {

struct Fragment {
    const Uint8 *bytes;
    uint64_t length;
};

struct MemoryStream {
    const std::vector<Uint8> *data;
    uint64_t position;
};

OPJ_SIZE_T readStream(void *buffer, OPJ_SIZE_T size, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (s->position >= s->data->size()) return (OPJ_SIZE_T)-1;
    OPJ_SIZE_T n = std::min<OPJ_SIZE_T>(size, s->data->size() - s->position);
    std::memcpy(buffer, s->data->data() + s->position, n);
    s->position += n;
    return n;
}

OPJ_OFF_T skipStream(OPJ_OFF_T count, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (count < 0) {
        if (uint64_t(-count) > s->position) return -1;
    } else if (s->position + uint64_t(count) > s->data->size()) {
        count = OPJ_OFF_T(s->data->size() - s->position);
    }
    s->position += count;
    return count;
}

OPJ_BOOL seekStream(OPJ_OFF_T offset, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (offset < 0 || uint64_t(offset) > s->data->size()) return OPJ_FALSE;
    s->position = uint64_t(offset);
    return OPJ_TRUE;
}

void recordMessage(const char *message, void *user) {
    auto *text = static_cast<std::string *>(user);
    if (text->empty() && message) {
        *text = message;
        while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    }
}
void ignoreMessage(const char *, void *) {}

bool startsFrame(const Fragment &f) {
    if (f.length >= 2 && f.bytes[0] == 0xFF && f.bytes[1] == 0x4F) return true;                 // SOC
    if (f.length >= 8 && std::memcmp(f.bytes + 4, "jP  ", 4) == 0) return true;                 // JP2 box
    return false;
}

/// Decodes one frame's code stream into `out` (rows * columns values).
bool decodeFrame(const std::vector<Uint8> &codestream, const ssdcm_pixel_info &info, unsigned frame, int32_t *out,
                 ssdcm_status *status) {
    const bool jp2 = codestream.size() >= 8 && std::memcmp(codestream.data() + 4, "jP  ", 4) == 0;
    opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_stream_t *stream = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_image_t *image = nullptr;
    std::string error;
    MemoryStream memory{&codestream, 0};
    bool okay = false;
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    if (!codec || !stream) {
        ssdcm::fail(status, SSDCM_DECODE, "OpenJPEG could not be initialised");
        goto done;
    }
    opj_set_error_handler(codec, recordMessage, &error);
    opj_set_warning_handler(codec, ignoreMessage, nullptr);
    opj_set_info_handler(codec, ignoreMessage, nullptr);
    opj_stream_set_user_data(stream, &memory, nullptr);
    opj_stream_set_user_data_length(stream, codestream.size());
    opj_stream_set_read_function(stream, readStream);
    opj_stream_set_skip_function(stream, skipStream);
    opj_stream_set_seek_function(stream, seekStream);
    if (!opj_setup_decoder(codec, &parameters) || !opj_decoder_set_strict_mode(codec, OPJ_TRUE)
        || !opj_read_header(stream, codec, &image)) {
        ssdcm::fail(status, SSDCM_DECODE, "JPEG 2000 frame %u has no valid header: %s", frame + 1,
                    error.empty() ? "corrupt code stream" : error.c_str());
        goto done;
    }
    // Check the code stream's own size before OpenJPEG allocates for it (a corrupt SIZ marker
    // could claim gigapixels).
    if (image->x1 - image->x0 != info.columns || image->y1 - image->y0 != info.rows) {
        ssdcm::fail(status, SSDCM_MALFORMED, "JPEG 2000 frame %u is %ux%u; Rows/Columns (0028,0010/0011) say %ux%u",
                    frame + 1, image->x1 - image->x0, image->y1 - image->y0, info.columns, info.rows);
        goto done;
    }
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
        ssdcm::fail(status, SSDCM_DECODE, "JPEG 2000 frame %u does not decode: %s", frame + 1,
                    error.empty() ? "corrupt or truncated code stream" : error.c_str());
        goto done;
    }
    if (image->numcomps != 1) {
        ssdcm::fail(status, SSDCM_UNSUPPORTED, "JPEG 2000 frame %u has %u components; only greyscale is supported",
                    frame + 1, image->numcomps);
        goto done;
    }
    if (image->comps[0].w != info.columns || image->comps[0].h != info.rows || !image->comps[0].data) {
        ssdcm::fail(status, SSDCM_MALFORMED, "JPEG 2000 frame %u is %ux%u; Rows/Columns (0028,0010/0011) say %ux%u",
                    frame + 1, image->comps[0].w, image->comps[0].h, info.columns, info.rows);
        goto done;
    }
    std::memcpy(out, image->comps[0].data, sizeof(int32_t) * info.rows * info.columns);
    okay = true;
done:
    if (image) opj_image_destroy(image);
    if (stream) opj_stream_destroy(stream);
    if (codec) opj_destroy_codec(codec);
    return okay;
}

} // namespace

namespace ssdcm {

bool decodeJPEG2000(ssdcm_file *file, const ssdcm_pixel_info &info, int32_t *out, ssdcm_status *status) {
    DcmDataset *ds = file->format.getDataset();
    DcmElement *element = nullptr;
    DcmPixelData *pixels = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, element, OFFalse).good()) pixels = dynamic_cast<DcmPixelData *>(element);
    DcmPixelSequence *sequence = nullptr;
    const DcmRepresentationParameter *param = nullptr;
    if (!pixels || pixels->getEncapsulatedRepresentation(ds->getOriginalXfer(), param, sequence).bad() || !sequence) {
        fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) has no encapsulated fragments");
        return false;
    }
    // Item 0 is the basic offset table; the rest are fragments.
    std::vector<Fragment> fragments;


    for (unsigned long i = 1; i < sequence->card(); ++i) {
        DcmPixelItem *item = nullptr;
        Uint8 *bytes = nullptr;
        if (sequence->getItem(item, i).bad() || !item) {
            fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) fragment %lu cannot be read", i);
            return false;
        }
        const uint64_t length = item->getLength();
        if (length > 0 && (item->getUint8Array(bytes).bad() || !bytes)) {
            fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010) fragment %lu (%llu bytes) cannot be read: truncated file?", i,
                 (unsigned long long)length);
            return false;
        }
        fragments.push_back({bytes, length});


    }
    // Assign fragments to frames: all to one frame, one per frame, or by start-of-code-stream markers.
    std::vector<unsigned> frameStart;
    if (info.frames == 1) {
        frameStart.push_back(0);
    } else if (fragments.size() == info.frames) {
        for (unsigned f = 0; f < info.frames; ++f) frameStart.push_back(f);
    } else {
        for (unsigned i = 0; i < fragments.size(); ++i)
            if (startsFrame(fragments[i])) frameStart.push_back(i);
        if (frameStart.size() != info.frames || frameStart[0] != 0) {
            fail(status, SSDCM_MALFORMED, "PixelData (7FE0,0010): %zu of %zu fragments start a JPEG 2000 code stream; expected %u frames",
                 frameStart.size(), fragments.size(), info.frames);
            return false;
        }
    }
    const uint64_t frameValues = uint64_t(info.rows) * info.columns;
    std::vector<Uint8> codestream;
    for (unsigned f = 0; f < info.frames; ++f) {
        const unsigned first = frameStart[f];
        const unsigned end = f + 1 < frameStart.size() ? frameStart[f + 1] : unsigned(fragments.size());
        codestream.clear();
        for (unsigned i = first; i < end; ++i)
            codestream.insert(codestream.end(), fragments[i].bytes, fragments[i].bytes + fragments[i].length);
        // Some writers pad the last fragment; OpenJPEG stops at EOC.
        if (codestream.size() < 2) {
            fail(status, SSDCM_MALFORMED, "JPEG 2000 frame %u is empty", f + 1);
            return false;
        }
        if (!decodeFrame(codestream, info, f, out + f * frameValues, status)) return false;
    }

    return true;
}

} // namespace ssdcm
