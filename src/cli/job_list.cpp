#include "cli/job_list.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace resr {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWritableFormats = "png, jpg, jpeg, webp, tif, tiff";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string dotted(const std::string& format_or_extension) {
  const std::string e = lower(format_or_extension);
  return !e.empty() && e[0] != '.' ? "." + e : e;
}

bool is_writable_extension(const std::string& extension) {
  static const char* const kWritable[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"};
  const std::string e = dotted(extension);
  return std::any_of(std::begin(kWritable), std::end(kWritable),
                     [&](const char* k) { return e == k; });
}

// ".JPEG" and "jpg" name one format.
std::string format_key(const std::string& extension) {
  const std::string e = dotted(extension);
  return e == ".jpeg" ? ".jpg" : e == ".tiff" ? ".tif" : e;
}

// "photo.JPG" with format "" -> ".jpg"; with format "webp" -> ".webp".
std::string output_extension(const fs::path& input, const std::string& format) {
  return output_extension_for(format.empty() ? input.extension().string() : format);
}

Status unknown_format(const std::string& what) {
  return error(ErrorCode::kInvalidArgument,
               what + ", which is no format this program writes: use one of " + kWritableFormats);
}

// -o FILE: its extension names the format; none takes -f's or the input's.
Result<fs::path> explicit_output_file(const fs::path& in, fs::path out, const std::string& format) {
  const std::string ext = out.extension().string();
  if (ext.empty()) return out.replace_extension(output_extension(in, format));
  if (!is_writable_extension(ext)) {
    return unknown_format("output '" + out.string() + "' ends in '" + ext + "'");
  }
  if (!format.empty() && format_key(format) != format_key(ext)) {
    return error(ErrorCode::kInvalidArgument, "-f " + format + " disagrees with the output name '" +
                                                  out.string() + "': give one of them");
  }
  return out;
}

Result<fs::path> single_output(const JobListOptions& options) {
  const fs::path& in = options.input;
  std::error_code ec;
  const std::string ext = output_extension(in, options.format);
  if (!options.output) return in.parent_path() / (in.stem().string() + "_" + options.suffix + ext);
  if (fs::is_directory(*options.output, ec) || options.output->string().ends_with('/')) {
    return *options.output / (in.stem().string() + ext);
  }
  return explicit_output_file(in, *options.output, options.format);
}

// Refuses -o equal to the input folder or a folder above it: outputs would
// land among (or on) the inputs.
Status check_output_folder(const fs::path& in, const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) return Status::ok();
  for (fs::path p = fs::canonical(in, ec); !ec && !p.empty(); p = p.parent_path()) {
    if (fs::equivalent(p, out_dir, ec)) {
      return error(ErrorCode::kInvalidArgument,
                   "output folder '" + out_dir.string() + "' is the input folder '" + in.string() +
                       "' or holds it: choose an output folder outside the input");
    }
    if (p == p.parent_path()) break;
  }
  return Status::ok();
}

// The output's path below -o, from the path as listed (a symlink is never
// resolved: its target is only read), or nullopt when it would leave -o.
std::optional<fs::path> relative_output(const fs::path& listed, const fs::path& base) {
  const fs::path rel = listed.lexically_relative(base);
  if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") return std::nullopt;
  return rel;
}

// Every job writes a file of its own that is none of the inputs.
Status check_outputs(const JobList& list) {
  std::map<fs::path, const fs::path*> writer_of;
  for (const UpscaleJob& job : list.jobs) {
    std::error_code ec;
    if (fs::equivalent(job.input, job.output, ec)) {
      return error(ErrorCode::kInvalidArgument, "output '" + job.output.string() +
                                                    "' is the input '" + job.input.string() +
                                                    "' (the same file): choose another -o");
    }
    const auto [it, added] = writer_of.emplace(job.output.lexically_normal(), &job.input);
    if (!added) {
      return error(ErrorCode::kInvalidArgument,
                   "'" + it->second->string() + "' and '" + job.input.string() +
                       "' would both be written to '" + job.output.string() +
                       "': rename one, or use -f to keep the formats apart");
    }
  }
  return Status::ok();
}

Status list_folder(const JobListOptions& options, const fs::path& base, const fs::path& out_dir,
                   JobList& list) {
  const fs::path& in = options.input;
  std::error_code ec;
  auto add = [&](const fs::directory_entry& entry) {
    if (!entry.is_regular_file(ec) || !is_input_image_extension(entry.path().extension().string()))
      return;
    const auto rel = relative_output(entry.path(), base);
    if (!rel) return;
    fs::path out = out_dir / *rel;
    out.replace_extension(output_extension(entry.path(), options.format));
    list.jobs.push_back({entry.path(), out});
  };
  if (options.recursive) {
    auto it = fs::recursive_directory_iterator(in, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code ignored;
      // A rerun must not upscale its own earlier outputs.
      if (it->is_directory(ignored) && fs::equivalent(it->path(), out_dir, ignored)) {
        it.disable_recursion_pending();
        continue;
      }
      add(*it);
    }
  } else {
    for (const auto& e : fs::directory_iterator(in, ec)) add(e);
  }
  if (ec) return error(ErrorCode::kIoError, "cannot list '" + in.string() + "': " + ec.message());
  return Status::ok();
}

}  // namespace

bool is_input_image_extension(const std::string& extension) {
  static const char* const kKnown[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif"};
  const std::string e = lower(extension);
  return std::any_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return e == k; });
}

std::string output_extension_for(const std::string& format_or_extension) {
  const std::string e = dotted(format_or_extension);
  return is_writable_extension(e) ? e : ".png";
}

Result<JobList> plan_jobs(const JobListOptions& options) {
  std::error_code ec;
  const fs::path& in = options.input;
  if (!fs::exists(in, ec)) {
    return error(ErrorCode::kNotFound, "input '" + in.string() + "' does not exist");
  }
  if (!options.format.empty() && !is_writable_extension(options.format)) {
    return unknown_format("-f " + options.format);
  }
  JobList list;
  if (!fs::is_directory(in, ec)) {
    RESR_ASSIGN_OR_RETURN(fs::path out, single_output(options));
    list.jobs.push_back({in, out});
    RESR_RETURN_IF_ERROR(check_outputs(list));
    return list;
  }

  list.from_folder = true;
  const fs::path base = in.has_filename() ? in : in.parent_path();  // "dir/" -> "dir"
  const fs::path out_dir =
      options.output ? *options.output : fs::path(base.string() + "_" + options.suffix);
  RESR_RETURN_IF_ERROR(check_output_folder(in, out_dir));
  RESR_RETURN_IF_ERROR(list_folder(options, base, out_dir, list));
  // Directory order is arbitrary; a sorted run resumes and reports predictably.
  std::sort(list.jobs.begin(), list.jobs.end(),
            [](const UpscaleJob& a, const UpscaleJob& b) { return a.input < b.input; });
  if (list.jobs.empty()) {
    return error(ErrorCode::kNotFound, "folder '" + in.string() +
                                           "' has no images (png, jpg, jpeg, webp, tif, tiff, "
                                           "gif)" +
                                           (options.recursive ? "" : "; use -r for subfolders"));
  }
  RESR_RETURN_IF_ERROR(check_outputs(list));
  return list;
}

}  // namespace resr
