#include "cnifti.h"

void cnifti_set_quiet(int quiet) { nifti_set_debug_level(quiet ? 0 : 1); }
