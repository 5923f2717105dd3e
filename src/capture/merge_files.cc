#include "capture/merge_files.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "capture/atomic_file.h"
#include "capture/byte_sink.h"
#include "capture/pcap_file_reader.h"
#include "capture/pcapng_writer.h"

namespace vmc::capture {
namespace {

class WriterOutput : public MergeOutput {
 public:
  WriterOutput(PcapngWriter& w, std::vector<uint32_t> ids, uint32_t snaplen)
      : w_(w), ids_(std::move(ids)), snaplen_(snaplen) {}
  Status frame(size_t source, const FrameView& f) override {
    auto data = f.data;
    if (snaplen_ && data.size() > snaplen_) data = data.first(snaplen_);
    return w_.write(ids_[source], f.ts_ns, f.orig_len, data);
  }

 private:
  PcapngWriter& w_;
  std::vector<uint32_t> ids_;
  uint32_t snaplen_;
};

}  // namespace

Result<MergeFilesReport> merge_files(const MergeFilesOptions& o) {
  if (o.inputs.empty()) return Error("capture.merge.usage", "no input files given");
  if (o.output.empty()) return Error("capture.merge.usage", "no output given (use -w FILE or -w -)");
  std::vector<std::unique_ptr<PcapFileReader>> readers;
  int stdin_inputs = 0;
  for (const auto& in : o.inputs) {
    if (in == "-" && ++stdin_inputs > 1)
      return Error("capture.merge.usage", "standard input (-) can be an input only once");
    if (in != "-" && in == o.output)
      return Error("capture.merge.usage", in + " is both an input and the output");
    auto r = PcapFileReader::open(in);
    if (!r) return r.error();
    readers.push_back(std::move(*r));
  }

  std::optional<AtomicFile> file;
  int fd = STDOUT_FILENO;
  if (o.output != "-") {
    auto f = AtomicFile::create(o.output);
    if (!f) return f.error();
    file.emplace(std::move(*f));
    fd = file->fd();
  }
  AsyncFdSink sink(fd, o.output == "-" ? std::string("standard output") : o.output);
  PcapngWriter writer(sink);

  SectionInfo section;
  section.user_appl = o.user_appl.empty() ? std::string("vm-capture ") + VMC_VERSION : o.user_appl;
  section.comments.push_back("merged by capture merge from " + std::to_string(o.inputs.size()) +
                             " file(s)");
  if (auto s = writer.begin_section(section); !s) return s.error();
  std::vector<uint32_t> ids;
  std::vector<FrameSource*> sources;
  for (size_t i = 0; i < readers.size(); ++i) {
    InterfaceInfo ifc;
    ifc.name = o.inputs[i] == "-" ? std::string("stdin")
                                  : std::filesystem::path(o.inputs[i]).filename().string();
    ifc.description = "frames from " + readers[i]->name();
    ifc.linktype = static_cast<uint16_t>(readers[i]->linktype());
    ifc.snaplen = o.snaplen ? o.snaplen : readers[i]->snaplen();
    auto id = writer.add_interface(ifc);
    if (!id) return id.error();
    ids.push_back(*id);
    sources.push_back(readers[i].get());
  }
  WriterOutput out(writer, std::move(ids), o.snaplen);
  auto stats = merge(sources, o.merge, out);
  if (!stats) return stats.error();
  if (auto s = writer.flush(); !s) return s.error();
  if (auto s = sink.finish(); !s) return s.error();
  if (file) {
    if (auto s = file->commit(); !s) return s.error();
  }
  return MergeFilesReport{std::move(*stats), writer.bytes_written()};
}

}  // namespace vmc::capture
