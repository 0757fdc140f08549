#ifndef SEGSTATION_DCMTK_H
#define SEGSTATION_DCMTK_H
/* The C face of SegStation's DCMTK bridge. Everything DCMTK (C++) stays behind this header. */
#ifdef __cplusplus
extern "C" {
#endif

/// DCMTK's version string, e.g. "3.6.7".
const char *ssdcm_dcmtk_version(void);

#ifdef __cplusplus
}
#endif
#endif
