#ifndef SEGSTATION_CNIFTI_H
#define SEGSTATION_CNIFTI_H
// nifticlib's NIfTI-1/NIfTI-2 API (Debian libnifti2-dev). Wrapped by VolumeIO only.
#include <nifti/nifti2_io.h>

/// Silences nifticlib's own stderr chatter; errors are reported by VolumeIO instead.
void cnifti_set_quiet(int quiet);
#endif
