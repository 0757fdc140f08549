// A BINARY DcmSegmentation whose Pixel Data is packed by the caller straight into the element (shared by
// the bridge's SEG files; never included from Swift).
//
// Why: DCMTK 3.6.7's DcmSegmentation::addFrame packs every frame one pixel at a time
// (DcmSegUtils::packBinaryFrame, about 1 ns per pixel: 8 of the 17 CPU seconds for 30,000 frames of
// 512x512), keeps each packed frame, then writeDataset copies all of them into a buffer as large as the file
// and that buffer again into the Pixel Data element; the API takes no packed frames. On a shared VM every
// fresh gigabyte costs seconds. Everything else stays DCMTK's: segments, shared and per-frame functional
// groups (added by DcmSegmentation::addFrame with its checks), dimensions, every module of the dataset
// (writeWithSeparatePixelData). This subclass only replaces how the bits get into Pixel Data:
// - reserveFrames(n) creates the Pixel Data element for n frames (zero-filled, DCMTK's size rule).
// - addFrameGroups(...) runs DcmSegmentation::addFrame for the frame's functional groups; its pixel hook
//   addFrame(Uint8*) registers the frame in DCMTK's private frame list (whose length numbers the frames and
//   sets Number of Frames) with a 1x1-pixel placeholder, so DCMTK packs one pixel, not rows*columns.
// - packFrame(i, ...) packs frame i straight into the element, in any order (frames follow each other bit
//   for bit, as DICOM requires and DCMTK's concatFrames does).
// - writeDatasetPacked(...) lets DCMTK write every other attribute and inserts the element.
#pragma once
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace ssseg {

/// Packs `count` bytes into DICOM BINARY bit order (pixel i -> bit i % 8 of byte i / 8, least significant
/// bit first), as DcmSegUtils::packBinaryFrame does; `out` holds (count + 7) / 8 bytes. A pixel is set where
/// it equals `label`, or where it is nonzero when `label` is 0 (DCMTK's rule).
void packBinaryBits(const uint8_t *pixels, size_t count, uint8_t label, uint8_t *out);

class PrepackedBinarySegmentation : public DcmSegmentation {
public:
    /// Same contents as DcmSegmentation::createBinarySegmentation (rows, columns, content identification,
    /// instance number, content date/time now, equipment).
    static OFCondition create(PrepackedBinarySegmentation *&segmentation, Uint16 rows, Uint16 columns,
                              const IODGeneralEquipmentModule::EquipmentInfo &equipment,
                              const ContentIdentificationMacro &content);

    /// Creates the zero-filled Pixel Data for `frames` frames (once, before adding frames).
    OFCondition reserveFrames(size_t frames);
    /// Adds the next frame's functional groups (as DcmSegmentation::addFrame does, without its pixels).
    OFCondition addFrameGroups(Uint16 segmentNumber, const OFVector<FGBase *> &perFrameInformation);
    /// Packs rows*columns bytes (see packBinaryBits) as frame `index` (0-based, < reserved frames).
    OFCondition packFrame(size_t index, const Uint8 *pixels, Uint8 label);
    /// writeDataset(dataset) with the packed Pixel Data; fails unless every reserved frame has its groups
    /// and its pixels. Call once.
    OFCondition writeDatasetPacked(DcmItem &dataset);

protected:
    using DcmSegmentation::addFrame;   // the unpacked public overload must not be used on this class
    OFCondition addFrame(Uint8 *pixData) override;
    OFCondition writeBinaryFrames(Uint8 *pixData, Uint16 rows, Uint16 cols, const size_t pixDataLength) override;

private:
    PrepackedBinarySegmentation() = default;
    size_t bitsPerFrame();
    std::unique_ptr<DcmPixelData> m_pixelData;   ///< not yet in a dataset
    Uint8 *m_bits = nullptr;                     ///< m_pixelData's value
    size_t m_length = 0;                         ///< bytes of packed bits (before DICOM's even padding)
    size_t m_reserved = 0, m_withGroups = 0;
    std::vector<bool> m_packed;                  ///< per reserved frame
    bool m_addingGroups = false;                 ///< addFrame(Uint8*) is reached through addFrameGroups only
    bool m_writingPacked = false;                ///< in writeDatasetPacked
};

} // namespace ssseg
