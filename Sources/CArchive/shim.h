// libarchive 3.6 C API (Debian libarchive-dev): reading uploaded zips entry by entry (Service) and
// writing hostile test zips (ServiceTests).
#include <archive.h>
#include <archive_entry.h>
