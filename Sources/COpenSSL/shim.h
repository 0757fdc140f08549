// OpenSSL 3 libcrypto (Debian libssl-dev): SHA-256 through the EVP digest API (Core/Digest.swift).
#include <openssl/evp.h>
