#ifndef SEGSTATION_DCMTK_H
#define SEGSTATION_DCMTK_H
/* The C face of SegStation's DCMTK bridge. Everything DCMTK (C++) stays behind this header.
 *
 * Rules: no C++ exception, abort or DCMTK log line crosses this boundary. Every function that can
 * fail returns 0 (SSDCM_OK) on success, else its nonzero failure code, and fills an `ssdcm_status`
 * (code + message naming the tag and what was expected vs found): the one status convention of every
 * bridge header (segstation_seg.h, segstation_rt.h, segstation_write.h, segstation_net.h), mapped
 * onto typed errors in one place on the Swift side (`DICOMError.bridge`). Look-ups (`ssdcm_float64`...)
 * return 1 when found, 0 when absent, as they cannot fail.
 * Handles (`ssdcm_file`) are owned by the caller and freed with `ssdcm_close`; items
 * (`ssdcm_item`) point into a file's data set and live as long as that file. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// DCMTK's version string, e.g. "3.6.7".
const char *ssdcm_dcmtk_version(void);

/// Receives DCMTK's own log events (level 1 warning, 2 error; the DCMTK logger name; the message).
/// May be called from any thread.
typedef void (*ssdcm_log_callback)(int level, const char *logger, const char *message);
/// Routes DCMTK's log (oflog) to `callback` (NULL drops it). Nothing is ever printed by DCMTK itself:
/// every bridge entry point installs the routing before using DCMTK.
void ssdcm_log_route(ssdcm_log_callback callback);

/// Failure classes of every bridge function. Swift maps them onto `DICOMError` cases (DICOMError.bridge).
typedef enum {
    SSDCM_OK = 0,
    SSDCM_IO = 1,               /* cannot open / read the file */
    SSDCM_MALFORMED = 2,        /* not DICOM, truncated, bad encoding */
    SSDCM_MISSING = 3,          /* a required attribute is absent */
    SSDCM_UNSUPPORTED = 4,      /* well-formed but not supported (colour, transfer syntax, SEG type) */
    SSDCM_DECODE = 5,           /* the compressed pixel data did not decode */
    SSDCM_TOO_LARGE = 6,        /* absurd sizes (rows x columns x frames) */
    SSDCM_BAD_INPUT = 7,        /* not the object expected, or inconsistent (SEG, SR, RTSTRUCT and their sources) */
    SSDCM_OUTPUT_FAILED = 8,    /* a file could not be written */
    SSDCM_INVALID_ARGUMENT = 9  /* the caller's request is invalid (a bug or a refused value) */
} ssdcm_code;

/// What a failed call says: its code and a message naming the file, tag or value.
typedef struct {
    int code;
    char message[1024];
} ssdcm_status;

typedef struct ssdcm_file ssdcm_file;
/// An item inside an open file: the data set, the meta header, or a sequence item.
typedef const void *ssdcm_item;

/// Opens a DICOM file (Part 10, or a bare data set without meta header). Values longer than 4 KiB
/// (pixel data) stay on disk until decoded. Returns NULL and fills `status` on failure.
ssdcm_file *ssdcm_open(const char *path, ssdcm_status *status);
void ssdcm_close(ssdcm_file *file);

/// The main data set and the file meta information (the latter may be empty).
ssdcm_item ssdcm_dataset(const ssdcm_file *file);
ssdcm_item ssdcm_meta(const ssdcm_file *file);
/// Size of the file on disk in bytes.
uint64_t ssdcm_file_size(const ssdcm_file *file);
/// UID of the transfer syntax the data set was read in ("" when unknown).
const char *ssdcm_transfer_syntax(const ssdcm_file *file);

/// Inflates the DEFLATE stream `in` (a Deflated Explicit VR Little Endian data set: raw RFC 1951, or
/// wrapped in a zlib header) into `out`, at most `capacity` bytes, without DCMTK. Returns SSDCM_OK
/// with `*produced` set; SSDCM_TOO_LARGE when it inflates beyond `capacity`; SSDCM_MALFORMED when
/// it does not inflate. For the nesting pre-scan, which must see a data set before DCMTK parses it.
int ssdcm_inflate(const uint8_t *in, size_t in_count, uint8_t *out, size_t capacity, size_t *produced,
                  ssdcm_status *status);

/* --- attribute values (group, element) of an item ---------------------------------------- */

/// Number of values (VM) of an attribute, 0 when empty, -1 when absent.
int ssdcm_value_count(ssdcm_item item, uint16_t group, uint16_t element);
/// The whole string value (multiple values joined by backslashes) copied into `buffer`
/// (NUL-terminated, cut at capacity - 1). Returns the full length, or -1 when absent or not a
/// string VR. Binary VRs are rendered as text (DCMTK's getOFStringArray).
long ssdcm_string(ssdcm_item item, uint16_t group, uint16_t element, char *buffer, size_t capacity);
/// Value `index` as a double (DS, FD, FL, IS, US, SS, UL, SL). Returns 1 when found, 0 otherwise.
int ssdcm_float64(ssdcm_item item, uint16_t group, uint16_t element, unsigned index, double *out);
/// Value `index` as an integer (US, SS, UL, SL, IS, or DS holding an integer). 1 when found.
int ssdcm_int64(ssdcm_item item, uint16_t group, uint16_t element, unsigned index, int64_t *out);
/// The raw bytes of an OB/UN/OW value (e.g. a private header) copied into `buffer` (up to
/// `capacity`). Returns the full length, or -1 when absent or not a byte-valued attribute.
long ssdcm_bytes(ssdcm_item item, uint16_t group, uint16_t element, uint8_t *buffer, size_t capacity);
/// Number of items in a sequence, -1 when absent or not a sequence.
int ssdcm_sequence_count(ssdcm_item item, uint16_t group, uint16_t element);
/// Item `index` of a sequence, NULL when absent.
ssdcm_item ssdcm_sequence_item(ssdcm_item item, uint16_t group, uint16_t element, unsigned index);

/* --- pixels ---------------------------------------------------------------------------------- */

typedef struct {
    uint32_t rows, columns, frames;
    uint32_t bits_allocated, bits_stored, high_bit;
    uint32_t pixel_representation; /* 0 unsigned, 1 two's complement */
    uint32_t samples_per_pixel;
    uint32_t encapsulated;         /* 1 when the pixel data is compressed (fragments) */
    uint64_t pixel_data_length;    /* declared length in bytes (0 for encapsulated) */
    uint32_t fragments;            /* number of fragments (encapsulated only) */
} ssdcm_pixel_info;

/// Reads and validates the image pixel module against the PixelData element: Rows, Columns,
/// BitsAllocated (8/16/32), BitsStored <= BitsAllocated, HighBit, SamplesPerPixel == 1,
/// NumberOfFrames, and the PixelData length (native) or fragment count (encapsulated).
/// Returns SSDCM_OK, else the failure code with `status` filled.
int ssdcm_pixel_info_read(ssdcm_file *file, ssdcm_pixel_info *info, ssdcm_status *status);

/// Decodes every frame into `out` (rows * columns * frames values, frame-major, row-major within
/// a frame) as stored values: masked to BitsStored, shifted by HighBit, sign-extended when
/// PixelRepresentation is 1. Rescale, padding and MONOCHROME1 are applied by the caller.
/// Handles native (LE/BE, deflate), RLE, JPEG, JPEG-LS (DCMTK) and JPEG 2000 (OpenJPEG).
/// `count` must equal rows * columns * frames. Returns SSDCM_OK, else the failure code with `status` filled.
int ssdcm_decode_frames(ssdcm_file *file, int32_t *out, uint64_t count, ssdcm_status *status);

#ifdef __cplusplus
}
#endif
#endif
