// Storage SCP over DCMTK's ASC_/DIMSE_ API: an accept loop that hands each association to a thread,
// C-ECHO, and C-STORE into a temporary Part 10 file that the caller's callback files away.
//
// The listening socket is ours: DCMTK 3.6.7 (and its master) binds an acceptor to INADDR_ANY with no
// way to choose the address, so the bridge binds `host` itself and hands each accepted connection to
// dcmnet through `dcmExternalSocketHandle`, the hook storescp's --inetd mode uses (dul.h).
#include "segstation_net.h"
#include "net_internal.hpp"
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/diutil.h>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct ssnet_server {
    ssnet_server_config config{};
    std::string aeTitle, incoming;
    T_ASC_Network *network = nullptr;
    int listenSocket = -1;   // bound to config.host; accepted connections go to dcmnet one by one
    std::atomic<bool> stopping{false};
    std::atomic<int> active{0};
    std::atomic<uint64_t> counter{0};
    std::mutex mutex;
    std::condition_variable idle;
};

namespace {

/// `dcmExternalSocketHandle` is one process-wide value: every hand-over (set, receive, reset) holds this.
std::mutex externalSocketMutex;

/// Creates the listening socket on `host:port` (IPv4: DCMTK 3.6.7 formats peer addresses as IPv4).
int listenOn(const char *host, uint16_t port, std::string &error) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) { error = std::string("'") + host + "' is not an IPv4 address"; return -1; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { error = strerror(errno); return -1; }
    int reuse = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) < 0 ||
        bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) < 0 || listen(fd, 64) < 0) {
        error = strerror(errno);
        close(fd);
        return -1;
    }
    return fd;
}

/// Waits up to a second for a connection on the listening socket and accepts it; -1 when none came.
int acceptOne(int listenSocket) {
    pollfd pfd{listenSocket, POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0 || !(pfd.revents & POLLIN)) return -1;
    return accept4(listenSocket, nullptr, nullptr, SOCK_CLOEXEC);
}

/// Lets dcmnet read the association request on an accepted connection. dcmnet owns the socket once
/// it made a transport connection of it (the association's DUL key exists); otherwise it is closed here.
OFCondition receiveOn(ssnet_server *server, int fd, T_ASC_Association **assoc) {
    std::lock_guard<std::mutex> lock(externalSocketMutex);
    dcmExternalSocketHandle.set(fd);
    OFCondition cond = ASC_receiveAssociation(server->network, assoc, ASC_DEFAULTMAXPDU, nullptr, nullptr, OFFalse, DUL_NOBLOCK, 1);
    dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
    if (*assoc == nullptr || (*assoc)->DULassociation == nullptr) close(fd);
    return cond;
}

/// Storage classes served (plus Verification): classic and enhanced CT/MR, and Segmentation.
const char *kAbstractSyntaxes[] = {
    UID_VerificationSOPClass,
    UID_CTImageStorage, UID_EnhancedCTImageStorage,
    UID_MRImageStorage, UID_EnhancedMRImageStorage,
    UID_SegmentationStorage,
};

/// What the readers decode, compressed first so a sender never has to transcode a compressed file.
const char *kTransferSyntaxes[] = {
    UID_JPEGLSLosslessTransferSyntax, UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax, UID_JPEGProcess14TransferSyntax, UID_RLELosslessTransferSyntax,
    UID_JPEG2000TransferSyntax, UID_JPEGLSLossyTransferSyntax,
    UID_JPEGProcess1TransferSyntax, UID_JPEGProcess2_4TransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_LittleEndianExplicitTransferSyntax, UID_BigEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
};

/// State of one C-STORE while DIMSE_storeProvider runs.
struct StoreContext {
    ssnet_server *server;
    const std::string *callingAE, *peerHost;
};

std::string text(DcmItem *item, const DcmTagKey &tag) {
    OFString value;
    if (item->findAndGetOFStringArray(tag, value).bad()) return "";
    std::string s(value.c_str());
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

bool isImageStorage(const std::string &sopClass) { return sopClass != UID_SegmentationStorage; }

/// Checks what the readers and the router need; returns 0 or a failure status with `reason` filled.
Uint16 validate(DcmDataset *ds, const T_DIMSE_C_StoreRQ *req, std::string &reason) {
    const std::string sopClass = text(ds, DCM_SOPClassUID), sopInstance = text(ds, DCM_SOPInstanceUID);
    if (sopClass.empty() || sopInstance.empty()) { reason = "SOPClassUID or SOPInstanceUID (0008,0016/0018) is missing"; return STATUS_STORE_Error_CannotUnderstand; }
    if (sopClass != req->AffectedSOPClassUID || sopInstance != req->AffectedSOPInstanceUID) {
        reason = "SOP Class/Instance UID in the data set differ from the C-STORE request";
        return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    if (text(ds, DCM_StudyInstanceUID).empty() || text(ds, DCM_SeriesInstanceUID).empty()) {
        reason = "StudyInstanceUID or SeriesInstanceUID (0020,000D/000E) is missing"; return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    Uint16 rows = 0, columns = 0, bitsAllocated = 0, samples = 1;
    if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, columns).bad() || rows == 0 || columns == 0) {
        reason = "Rows/Columns (0028,0010/0011) missing or zero"; return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    if (ds->findAndGetUint16(DCM_BitsAllocated, bitsAllocated).bad() || bitsAllocated == 0 || bitsAllocated > 32) {
        reason = "BitsAllocated (0028,0100) missing or out of range"; return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    ds->findAndGetUint16(DCM_SamplesPerPixel, samples);
    DcmElement *pixels = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, pixels).bad() || pixels == nullptr) {
        reason = "PixelData (7FE0,0010) is missing"; return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    DcmXfer xfer(ds->getOriginalXfer());
    if (!xfer.isEncapsulated()) {
        Sint32 frames = 1;
        ds->findAndGetSint32(DCM_NumberOfFrames, frames);
        if (frames < 1) frames = 1;
        // SEG frames are bit-packed; images hold whole samples.
        const uint64_t bits = uint64_t(rows) * columns * samples * uint64_t(frames) * bitsAllocated;
        const uint64_t needed = isImageStorage(sopClass) ? bits / 8 : (bits + 7) / 8;
        if (uint64_t(pixels->getLength()) < needed) {
            reason = "PixelData holds " + std::to_string(pixels->getLength()) + " bytes; Rows x Columns x frames needs " + std::to_string(needed);
            return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
        }
    }
    return STATUS_Success;
}

void storeCallback(void *data, T_DIMSE_StoreProgress *progress, T_DIMSE_C_StoreRQ *req, char *, DcmDataset **dataset,
                   T_DIMSE_C_StoreRSP *rsp, DcmDataset **statusDetail) {
    if (progress->state != DIMSE_StoreEnd) return;
    auto *ctx = static_cast<StoreContext *>(data);
    *statusDetail = nullptr;
    if (dataset == nullptr || *dataset == nullptr) { rsp->DimseStatus = STATUS_STORE_Error_CannotUnderstand; return; }
    DcmDataset *ds = *dataset;
    std::string reason;
    Uint16 status = validate(ds, req, reason);
    ssnet_server *server = ctx->server;
    if (status != STATUS_Success) {
        if (server->config.refused) server->config.refused(server->config.context, req->AffectedSOPInstanceUID, status, reason.c_str());
        rsp->DimseStatus = status;
        return;
    }
    const std::string temp = server->incoming + "/.recv-" + std::to_string(getpid()) + "-" + std::to_string(server->counter++) + ".dcm";
    E_TransferSyntax xfer = ds->getOriginalXfer();
    DcmFileFormat file(ds, OFFalse);   // borrows the data set; given back below
    OFCondition cond = file.saveFile(temp.c_str(), xfer, EET_UndefinedLength, EGL_recalcGL, EPD_noChange, 0, 0, EWM_fileformat);
    file.getAndRemoveDataset();
    if (cond.bad()) {
        unlink(temp.c_str());
        if (server->config.refused) server->config.refused(server->config.context, req->AffectedSOPInstanceUID, STATUS_STORE_Refused_OutOfResources, cond.text());
        rsp->DimseStatus = STATUS_STORE_Refused_OutOfResources;
        return;
    }
    const std::string sopClass = text(ds, DCM_SOPClassUID), sopInstance = text(ds, DCM_SOPInstanceUID),
        study = text(ds, DCM_StudyInstanceUID), series = text(ds, DCM_SeriesInstanceUID), modality = text(ds, DCM_Modality),
        description = text(ds, DCM_SeriesDescription), bodyPart = text(ds, DCM_BodyPartExamined), imageType = text(ds, DCM_ImageType);
    Sint32 frames = 1;
    if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
    struct stat st {};
    stat(temp.c_str(), &st);
    ssnet_instance instance{temp.c_str(), uint64_t(st.st_size), sopClass.c_str(), sopInstance.c_str(), study.c_str(), series.c_str(),
                            modality.c_str(), description.c_str(), bodyPart.c_str(), imageType.c_str(), frames,
                            ctx->callingAE->c_str(), ctx->peerHost->c_str()};
    rsp->DimseStatus = server->config.store(server->config.context, &instance);
    unlink(temp.c_str());   // normally already moved by the callback
}

/// Serves one association until release, abort, idle timeout or server stop.
void serve(ssnet_server *server, T_ASC_Association *assoc) {
    char callingAE[65] = {0}, calledAE[65] = {0};
    ASC_getAPTitles(assoc->params, callingAE, sizeof callingAE, calledAE, sizeof calledAE, nullptr, 0);
    const std::string calling(callingAE), peer(assoc->params->DULparams.callingPresentationAddress);
    int decision = server->config.accept(server->config.context, callingAE, calledAE, peer.c_str());
    if (decision != SSNET_ACCEPT) {
        T_ASC_RejectParameters rej{ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                                   decision == SSNET_REJECT_CALLED_AE ? ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED
                                                                      : ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED};
        ASC_rejectAssociation(assoc, &rej);
        return;
    }
    OFCondition cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
        assoc->params, kAbstractSyntaxes, DIM_OF(kAbstractSyntaxes), kTransferSyntaxes, DIM_OF(kTransferSyntaxes));
    if (cond.bad() || ASC_acknowledgeAssociation(assoc).bad()) { ASC_abortAssociation(assoc); return; }
    int idleSeconds = 0;
    while (true) {
        if (server->stopping) { ASC_abortAssociation(assoc); return; }
        T_DIMSE_Message msg;
        T_ASC_PresentationContextID presID = 0;
        cond = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, 1, &presID, &msg, nullptr);
        if (cond == DIMSE_NODATAAVAILABLE) {
            if (++idleSeconds >= server->config.idle_timeout_seconds) { ASC_abortAssociation(assoc); return; }
            continue;
        }
        idleSeconds = 0;
        if (cond == DUL_PEERREQUESTEDRELEASE) { ASC_acknowledgeRelease(assoc); return; }
        if (cond == DUL_PEERABORTEDASSOCIATION || cond.bad()) { ASC_abortAssociation(assoc); return; }
        if (msg.CommandField == DIMSE_C_ECHO_RQ) {
            cond = DIMSE_sendEchoResponse(assoc, presID, &msg.msg.CEchoRQ, STATUS_Success, nullptr);
        } else if (msg.CommandField == DIMSE_C_STORE_RQ) {
            StoreContext ctx{server, &calling, &peer};
            DcmDataset *dataset = nullptr;
            cond = DIMSE_storeProvider(assoc, presID, &msg.msg.CStoreRQ, nullptr, OFTrue, &dataset, storeCallback, &ctx, DIMSE_BLOCKING, 0);
            delete dataset;
        } else {
            cond = DIMSE_BADCOMMANDTYPE;   // only C-ECHO and C-STORE are served
        }
        if (cond.bad()) { ASC_abortAssociation(assoc); return; }
    }
}

} // namespace

extern "C" ssnet_server *ssnet_server_open(const ssnet_server_config *config, ssdcm_status *status) {
    ssdcm::ok(status);
    try {
        ssnet::initialise();
        auto *server = new ssnet_server();
        server->config = *config;
        server->aeTitle = config->ae_title ? config->ae_title : "";
        server->incoming = config->incoming_folder ? config->incoming_folder : ".";
        if (server->config.max_associations < 1) server->config.max_associations = 1;
        if (server->config.idle_timeout_seconds < 1) server->config.idle_timeout_seconds = 60;
        const char *host = config->host && *config->host ? config->host : "127.0.0.1";
        std::string error;
        server->listenSocket = listenOn(host, config->port, error);
        if (server->listenSocket < 0) {
            ssdcm::fail(status, SSDCM_IO, "cannot listen on DICOM %s:%u: %s", host, unsigned(config->port), error.c_str());
            delete server;
            return nullptr;
        }
        // An acceptor network whose listening socket is external (ours): dcmnet creates none.
        OFCondition cond;
        {
            std::lock_guard<std::mutex> lock(externalSocketMutex);
            dcmExternalSocketHandle.set(server->listenSocket);
            cond = ASC_initializeNetwork(NET_ACCEPTOR, config->port, 30, &server->network);
            dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
        }
        if (cond.bad()) {
            ssdcm::fail(status, SSDCM_IO, "cannot start the DICOM network layer: %s", cond.text());
            close(server->listenSocket);
            delete server;
            return nullptr;
        }
        return server;
    } catch (const std::exception &e) {
        ssdcm::fail(status, SSDCM_IO, "cannot start the DICOM listener: %s", e.what());
        return nullptr;
    }
}

extern "C" int ssnet_server_run(ssnet_server *server, ssdcm_status *status) {
    ssdcm::ok(status);
    while (!server->stopping) {
        const int fd = acceptOne(server->listenSocket);
        if (fd < 0) continue;
        T_ASC_Association *assoc = nullptr;
        OFCondition cond = receiveOn(server, fd, &assoc);
        if (cond.bad() || server->active >= server->config.max_associations || server->stopping) {
            if (assoc != nullptr && cond.good()) {
                T_ASC_RejectParameters rej{ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                                           ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED};
                ASC_rejectAssociation(assoc, &rej);
            }
            if (assoc != nullptr) { ASC_dropSCPAssociation(assoc); ASC_destroyAssociation(&assoc); }
            continue;
        }
        server->active++;
        std::thread([server, assoc]() mutable {
            serve(server, assoc);
            ASC_dropSCPAssociation(assoc);
            ASC_destroyAssociation(&assoc);
            std::lock_guard<std::mutex> lock(server->mutex);
            server->active--;
            server->idle.notify_all();
        }).detach();
    }
    std::unique_lock<std::mutex> lock(server->mutex);
    server->idle.wait(lock, [server] { return server->active == 0; });
    return 0;
}

extern "C" void ssnet_server_set_context(ssnet_server *server, void *context) { server->config.context = context; }

extern "C" void ssnet_server_stop(ssnet_server *server) { server->stopping = true; }

extern "C" int ssnet_server_active(const ssnet_server *server) { return server->active.load(); }

extern "C" void ssnet_server_close(ssnet_server *server) {
    if (server == nullptr) return;
    if (server->network) ASC_dropNetwork(&server->network);
    if (server->listenSocket >= 0) close(server->listenSocket);
    delete server;
}
