// Shared between the bridge's C++ files; never included from Swift.
#pragma once
#include "segstation_dcmtk.h"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <cstdarg>
#include <cstdio>
#include <string>

struct ssdcm_file {
    DcmFileFormat format;
    std::string path;
    uint64_t fileSize = 0;
    std::string transferSyntaxUID;
};

namespace ssdcm {

/// Fills `status` (if non-null) with a code and a printf-style message.
inline void fail(ssdcm_status *status, ssdcm_code code, const char *format, ...) {
    if (!status) return;
    status->code = code;
    va_list args;
    va_start(args, format);
    std::vsnprintf(status->message, sizeof status->message, format, args);
    va_end(args);
}

/// Fills `status` (if non-null) with `code` and `message`; returns `code`, so that a fallible function
/// can `return refuse(status, code, "...")`.
inline int refuse(ssdcm_status *status, ssdcm_code code, const std::string &message) {
    if (status) {
        status->code = code;
        std::snprintf(status->message, sizeof status->message, "%s", message.c_str());
    }
    return code;
}

/// The failure code to return after `fail` filled `status` (SSDCM_MALFORMED when there is none).
inline int failed(const ssdcm_status *status) {
    return status && status->code != SSDCM_OK ? status->code : SSDCM_MALFORMED;
}

inline void ok(ssdcm_status *status) {
    if (!status) return;
    status->code = SSDCM_OK;
    status->message[0] = 0;
}

/// Registers DCMTK's decoders and routes its logger (once per process).
void initialise();
/// Sends DCMTK's log to the routing of bridge_log.cpp (once; safe from any thread).
void installLogRouting();

/// Decodes the encapsulated JPEG 2000 frames of `file` into `out` as raw component values.
bool decodeJPEG2000(ssdcm_file *file, const ssdcm_pixel_info &info, int32_t *out, ssdcm_status *status);

} // namespace ssdcm
