// Opening files: DCMTK's parser with every failure turned into a status.
#include "bridge_internal.hpp"
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/oflog/oflog.h>
#include <mutex>
#include <new>
#include <sys/stat.h>

extern "C" const char *ssdcm_dcmtk_version(void) { return OFFIS_DCMTK_VERSION_STRING; }

namespace ssdcm {
void initialise() {
    static std::once_flag once;
    std::call_once(once, [] {
        installLogRouting();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}
} // namespace ssdcm

/// Values longer than this stay on disk until the pixel data is decoded.
static const Uint32 kMaxReadLength = 4096;

extern "C" ssdcm_file *ssdcm_open(const char *path, ssdcm_status *status) {
    ssdcm::ok(status);
    try {
        ssdcm::initialise();
        struct stat st;
        if (stat(path, &st) != 0) {
            ssdcm::fail(status, SSDCM_IO, "cannot open: %s", std::strerror(errno));
            return nullptr;
        }
        if (!S_ISREG(st.st_mode)) {
            ssdcm::fail(status, SSDCM_IO, "not a regular file");
            return nullptr;
        }
        if (st.st_size < 132) {
            // Shorter than the preamble + "DICM"; DCMTK may still parse a bare data set.
        }
        auto *file = new (std::nothrow) ssdcm_file();
        if (!file) {
            ssdcm::fail(status, SSDCM_IO, "out of memory");
            return nullptr;
        }
        file->path = path;
        file->fileSize = static_cast<uint64_t>(st.st_size);
        OFCondition cond = file->format.loadFile(path, EXS_Unknown, EGL_noChange, kMaxReadLength, ERM_autoDetect);
        if (cond.bad()) {
            ssdcm::fail(status, SSDCM_MALFORMED, "truncated or malformed data set (DCMTK: %s)", cond.text());
            delete file;
            return nullptr;
        }
        DcmDataset *dataset = file->format.getDataset();
        if (!dataset || dataset->card() == 0) {
            ssdcm::fail(status, SSDCM_MALFORMED, "no data set: not a DICOM file");
            delete file;
            return nullptr;
        }
        DcmXfer xfer(dataset->getOriginalXfer());
        file->transferSyntaxUID = xfer.getXferID() ? xfer.getXferID() : "";
        return file;
    } catch (const std::exception &e) {
        ssdcm::fail(status, SSDCM_MALFORMED, "DCMTK failed: %s", e.what());
    } catch (...) {
        ssdcm::fail(status, SSDCM_MALFORMED, "DCMTK failed with an unknown exception");
    }
    return nullptr;
}

extern "C" void ssdcm_close(ssdcm_file *file) { delete file; }

extern "C" ssdcm_item ssdcm_dataset(const ssdcm_file *file) {
    return static_cast<DcmItem *>(const_cast<ssdcm_file *>(file)->format.getDataset());
}

extern "C" ssdcm_item ssdcm_meta(const ssdcm_file *file) {
    return static_cast<DcmItem *>(const_cast<ssdcm_file *>(file)->format.getMetaInfo());
}

extern "C" uint64_t ssdcm_file_size(const ssdcm_file *file) { return file->fileSize; }

extern "C" const char *ssdcm_transfer_syntax(const ssdcm_file *file) { return file->transferSyntaxUID.c_str(); }
