// cairo 1.16 C API (Debian libcairo2-dev): image surfaces, PNG and PDF stream output.
#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
