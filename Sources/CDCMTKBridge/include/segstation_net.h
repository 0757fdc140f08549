#ifndef SEGSTATION_NET_H
#define SEGSTATION_NET_H
/* The C face of SegStation's DICOM network bridge (DCMTK dcmnet): a storage SCP (C-ECHO, C-STORE)
 * and a storage SCU. Same rules as segstation_dcmtk.h: no C++ exception or DCMTK log line crosses
 * this boundary; failures fill an `ssdcm_status`. Policy (who may call, where an instance goes) is the
 * caller's, through two callbacks; the bridge runs the network loop and the DIMSE protocol. */
#include <stddef.h>
#include <stdint.h>
#include "segstation_dcmtk.h"

#ifdef __cplusplus
extern "C" {
#endif

/// A received instance, written by the bridge as a Part 10 file at `temp_path` (in the incoming
/// folder). Strings are NUL-terminated and live only during the callback ("" when absent).
typedef struct {
    const char *temp_path;
    uint64_t bytes;
    const char *sop_class_uid;
    const char *sop_instance_uid;
    const char *study_instance_uid;
    const char *series_instance_uid;
    const char *modality;
    const char *series_description;
    const char *body_part_examined;
    const char *image_type;          /* values joined by backslashes */
    int32_t number_of_frames;        /* 1 when absent */
    const char *calling_ae;
    const char *peer_host;
} ssnet_instance;

/// Association decisions.
typedef enum {
    SSNET_ACCEPT = 0,
    SSNET_REJECT_CALLING_AE = 1,   /* calling AE title (or its host) not on the allow-list */
    SSNET_REJECT_CALLED_AE = 2     /* called AE title is not ours */
} ssnet_decision;

/// Decides whether an association request is accepted (called on the association's thread).
typedef int (*ssnet_accept_callback)(void *context, const char *calling_ae, const char *called_ae, const char *peer_host);
/// Takes a received, validated instance: moves `temp_path` away (or deletes it) and returns the DIMSE
/// status to answer (0x0000 success, 0xA700 out of resources, ...). Called on the association's thread;
/// several associations may call it at once.
typedef uint16_t (*ssnet_store_callback)(void *context, const ssnet_instance *instance);
/// Reports an instance refused before the store callback (malformed): its SOP Instance UID, the status
/// sent and why. May be NULL.
typedef void (*ssnet_refused_callback)(void *context, const char *sop_instance_uid, uint16_t status, const char *reason);

typedef struct {
    const char *ae_title;
    /// IPv4 address the port is bound to ("127.0.0.1" when NULL or empty; "0.0.0.0" for every interface).
    const char *host;
    uint16_t port;
    /// Folder for the bridge's temporary files (same file system as the final storage).
    const char *incoming_folder;
    /// Most associations served at once; further requests are rejected (transient, local limit).
    int max_associations;
    /// Seconds an association may stay idle between messages before it is aborted.
    int idle_timeout_seconds;
    ssnet_accept_callback accept;
    ssnet_store_callback store;
    ssnet_refused_callback refused;
    void *context;
} ssnet_server_config;

typedef struct ssnet_server ssnet_server;

/// Opens the listening port on `host`. Returns NULL and fills `status` (SSDCM_IO) when it cannot.
ssnet_server *ssnet_server_open(const ssnet_server_config *config, ssdcm_status *status);
/// Sets the `context` passed to the callbacks (before `ssnet_server_run`).
void ssnet_server_set_context(ssnet_server *server, void *context);
/// Runs the accept loop until `ssnet_server_stop`; then aborts open associations after their current
/// message and waits for their threads. Returns 0, or nonzero with `status` on a network failure.
int ssnet_server_run(ssnet_server *server, ssdcm_status *status);
/// Asks `run` to return (thread-safe, async-signal-unsafe).
void ssnet_server_stop(ssnet_server *server);
/// Associations being served now.
int ssnet_server_active(const ssnet_server *server);
void ssnet_server_close(ssnet_server *server);

/* --- storage SCU ----------------------------------------------------------------------------- */

/// Outcome classes of a send, so the caller can retry transient failures and record permanent ones.
typedef enum {
    SSNET_SENT = 0,
    SSNET_TRANSIENT = 1,   /* peer unreachable, association refused/aborted, out-of-resources status */
    SSNET_PERMANENT = 2    /* file unreadable, SOP class not accepted, failure status from the peer */
} ssnet_send_result;

/// Sends the files by C-STORE over one association (each file proposed in its own transfer syntax
/// and in explicit/implicit little endian). `statuses` (count entries, may be NULL) receives each
/// file's DIMSE status (0xFFFF when not sent). Returns an `ssnet_send_result`; `status` says why.
int ssnet_send_files(const char *calling_ae, const char *called_ae, const char *host, uint16_t port,
                     const char *const *paths, int count, int timeout_seconds, uint16_t *statuses,
                     ssdcm_status *status);

#ifdef __cplusplus
}
#endif
#endif
