// Shared by the network bridge's C++ files; never included from Swift.
#pragma once
#include "bridge_internal.hpp"
#include <dcmtk/dcmnet/dul.h>

namespace ssnet {
/// The file bridge's initialisation (codecs, silent logger) plus numeric peer addresses (no reverse DNS).
inline void initialise() {
    ssdcm::initialise();
    dcmDisableGethostbyaddr.set(OFTrue);
}
} // namespace ssnet
