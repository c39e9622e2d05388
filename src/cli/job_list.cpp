#include "cli/job_list.hpp"

#include <algorithm>
#include <cctype>

namespace resr {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "photo.JPG" with format "" -> ".jpg"; with format "webp" -> ".webp".
std::string output_extension(const fs::path& input, const std::string& format) {
  return output_extension_for(format.empty() ? input.extension().string() : format);
}

}  // namespace

bool is_input_image_extension(const std::string& extension) {
  static const char* const kKnown[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif"};
  const std::string e = lower(extension);
  return std::any_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return e == k; });
}

std::string output_extension_for(const std::string& format_or_extension) {
  std::string e = lower(format_or_extension);
  if (!e.empty() && e[0] != '.') e = "." + e;
  static const char* const kWritable[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"};
  const bool writable = std::any_of(std::begin(kWritable), std::end(kWritable),
                                    [&](const char* k) { return e == k; });
  return writable ? e : ".png";
}

Result<JobList> plan_jobs(const JobListOptions& options) {
  std::error_code ec;
  const fs::path& in = options.input;
  if (!fs::exists(in, ec)) {
    return error(ErrorCode::kNotFound, "input '" + in.string() + "' does not exist");
  }
  JobList list;
  if (!fs::is_directory(in, ec)) {
    fs::path out;
    const std::string ext = output_extension(in, options.format);
    if (!options.output) {
      out = in.parent_path() / (in.stem().string() + "_" + options.suffix + ext);
    } else if (fs::is_directory(*options.output, ec) || options.output->string().ends_with('/')) {
      out = *options.output / (in.stem().string() + ext);
    } else {
      // An explicit file name keeps its extension when we can write it.
      out = *options.output;
      const std::string wanted = options.format.empty() ? out.extension().string() : options.format;
      out.replace_extension(output_extension_for(wanted));
    }
    list.jobs.push_back({in, out});
    return list;
  }

  list.from_folder = true;
  const fs::path base = in.has_filename() ? in : in.parent_path();  // "dir/" -> "dir"
  const fs::path out_dir =
      options.output ? *options.output : fs::path(base.string() + "_" + options.suffix);
  auto add = [&](const fs::directory_entry& entry) {
    if (!entry.is_regular_file(ec) || !is_input_image_extension(entry.path().extension().string()))
      return;
    const fs::path rel = fs::relative(entry.path(), in, ec);
    fs::path out = out_dir / rel;
    out.replace_extension(output_extension(entry.path(), options.format));
    list.jobs.push_back({entry.path(), out});
  };
  if (options.recursive) {
    for (const auto& e : fs::recursive_directory_iterator(in, ec)) add(e);
  } else {
    for (const auto& e : fs::directory_iterator(in, ec)) add(e);
  }
  if (ec) return error(ErrorCode::kIoError, "cannot list '" + in.string() + "': " + ec.message());
  // Directory order is arbitrary; a sorted run resumes and reports predictably.
  std::sort(list.jobs.begin(), list.jobs.end(),
            [](const UpscaleJob& a, const UpscaleJob& b) { return a.input < b.input; });
  if (list.jobs.empty()) {
    return error(ErrorCode::kNotFound, "folder '" + in.string() +
                                           "' has no images (png, jpg, jpeg, webp, tif, tiff, "
                                           "gif)" +
                                           (options.recursive ? "" : "; use -r for subfolders"));
  }
  return list;
}

}  // namespace resr
