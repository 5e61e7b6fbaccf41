// A read-only file mapping that survives the file shrinking under it, and is always followed by
// at least one page of zeros so every view of it is readable kernels::kPadding bytes past its
// end.
//
// Touching a page of a MAP_SHARED/MAP_PRIVATE file mapping that now lies past the end of the
// file raises SIGBUS, which would kill the process: any other program truncating or
// rewriting a log while flowsift reads it could do that. While a MappedFile exists, a
// process-wide SIGBUS handler is installed. For a faulting address inside a live MappedFile it
// maps an anonymous zero page over the faulting page (MAP_FIXED) and records the lowest such
// file offset, then returns, so the access is retried and reads zeros. Faults anywhere else are
// passed to the handler that was installed before (or the default action, which kills the
// process as usual). The reader checks the file's size before handing out each chunk and asks
// ZeroFilledFrom() afterwards, so zero-filled bytes are never counted as data.
#ifndef FLOWSIFT_PIPELINE_MAPPED_FILE_H_
#define FLOWSIFT_PIPELINE_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace flowsift {

class MappedFile {
 public:
  // Maps the first `size` bytes (> 0) of the open regular file `fd` (not closed, not kept).
  // Returns nullptr and sets *error (an errno value) when mmap fails or every registry slot
  // is taken (ENFILE); the caller then reads the file another way.
  static std::unique_ptr<MappedFile> Map(int fd, uint64_t size, int* error);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

  // The lowest file offset of a page that was replaced by zeros because the file had shrunk,
  // or UINT64_MAX. Bytes at or after it read as zeros and are not the file's.
  uint64_t ZeroFilledFrom() const;

  // Makes the page tables for [offset, offset + length) present, so the parser threads take
  // no page faults. Returns false when part of the range lies past the file's current end
  // (the file shrank).
  [[nodiscard]] bool Populate(uint64_t offset, uint64_t length) const;

 private:
  MappedFile(const uint8_t* data, uint64_t size, size_t region, int slot)
      : data_(data), size_(size), region_(region), slot_(slot) {}
  const uint8_t* data_;
  uint64_t size_;
  size_t region_;  // bytes reserved: the file's pages plus the zero page after them
  int slot_;       // index in the SIGBUS handler's registry
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_MAPPED_FILE_H_
