// Storage SCU over DCMTK's DcmSCU: one association, every file proposed in its own transfer syntax and
// in uncompressed little endian; each file's DIMSE status is returned.
#include "segstation_net.h"
#include "net_internal.hpp"
#include <dcmtk/dcmnet/scu.h>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {
struct FileInfo {
    std::string path, sopClass, xfer;
};

/// Failure statuses worth retrying later: the peer is short of resources (0xA7xx).
bool transientStatus(Uint16 status) { return (status & 0xFF00) == 0xA700; }
bool successStatus(Uint16 status) { return status == 0 || (status & 0xF000) == 0xB000; }
} // namespace

extern "C" int ssnet_send_files(const char *calling_ae, const char *called_ae, const char *host, uint16_t port,
                                const char *const *paths, int count, int timeout_seconds, uint16_t *statuses,
                                ssdcm_status *status) {
    ssdcm::ok(status);
    try {
        ssnet::initialise();
        for (int i = 0; i < count && statuses; i++) statuses[i] = 0xFFFF;
        std::vector<FileInfo> files;
        std::map<std::string, std::set<std::string>> contexts;   // SOP class -> transfer syntaxes
        for (int i = 0; i < count; i++) {
            DcmFileFormat ff;
            OFCondition cond = ff.loadFile(paths[i], EXS_Unknown, EGL_noChange, 4096);
            OFString sopClass;
            if (cond.bad() || ff.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sopClass).bad()) {
                ssdcm::fail(status, SSDCM_IO, "cannot read %s: %s", paths[i], cond.bad() ? cond.text() : "no SOP class in the meta header");
                return SSNET_PERMANENT;
            }
            DcmXfer xfer(ff.getDataset()->getOriginalXfer());
            files.push_back({paths[i], sopClass.c_str(), xfer.getXferID()});
            contexts[sopClass.c_str()].insert(xfer.getXferID());
        }
        DcmSCU scu;
        scu.setAETitle(calling_ae);
        scu.setPeerAETitle(called_ae);
        scu.setPeerHostName(host);
        scu.setPeerPort(port);
        scu.setConnectionTimeout(timeout_seconds);
        scu.setACSETimeout(timeout_seconds);
        scu.setDIMSETimeout(timeout_seconds);
        scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        for (auto &entry : contexts) {
            for (auto &xfer : entry.second) {   // the file's own syntax, alone
                OFList<OFString> one;
                one.push_back(xfer.c_str());
                scu.addPresentationContext(entry.first.c_str(), one);
            }
            OFList<OFString> plain;             // and uncompressed, for peers that refuse it
            plain.push_back(UID_LittleEndianExplicitTransferSyntax);
            plain.push_back(UID_LittleEndianImplicitTransferSyntax);
            scu.addPresentationContext(entry.first.c_str(), plain);
        }
        OFCondition cond = scu.initNetwork();
        if (cond.good()) cond = scu.negotiateAssociation();
        if (cond.bad()) {
            ssdcm::fail(status, SSDCM_IO, "association with %s@%s:%u failed: %s", called_ae, host, unsigned(port), cond.text());
            return SSNET_TRANSIENT;
        }
        int result = SSNET_SENT;
        for (size_t i = 0; i < files.size(); i++) {
            T_ASC_PresentationContextID presID = scu.findPresentationContextID(files[i].sopClass.c_str(), files[i].xfer.c_str());
            if (presID == 0) presID = scu.findAnyPresentationContextID(files[i].sopClass.c_str(), files[i].xfer.c_str());
            if (presID == 0) {
                ssdcm::fail(status, SSDCM_UNSUPPORTED, "%s@%s:%u accepts no presentation context for SOP class %s", called_ae, host,
                            unsigned(port), files[i].sopClass.c_str());
                result = SSNET_PERMANENT;
                continue;
            }
            Uint16 rsp = 0xFFFF;
            cond = scu.sendSTORERequest(presID, files[i].path.c_str(), nullptr, rsp);
            if (statuses) statuses[i] = rsp;
            if (cond.bad()) {
                ssdcm::fail(status, SSDCM_IO, "C-STORE of %s to %s failed: %s", files[i].path.c_str(), called_ae, cond.text());
                scu.abortAssociation();
                return SSNET_TRANSIENT;
            }
            if (!successStatus(rsp)) {
                ssdcm::fail(status, SSDCM_IO, "%s answered status 0x%04X to %s", called_ae, unsigned(rsp), files[i].path.c_str());
                if (transientStatus(rsp)) result = SSNET_TRANSIENT;
                else if (result == SSNET_SENT) result = SSNET_PERMANENT;
            }
        }
        scu.releaseAssociation();
        return result;
    } catch (const std::exception &e) {
        ssdcm::fail(status, SSDCM_IO, "C-STORE failed: %s", e.what());
        return SSNET_TRANSIENT;
    }
}
