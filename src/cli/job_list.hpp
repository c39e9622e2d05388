// Turns `-i IN [-o OUT]` into the list of images to upscale and where each
// result goes, with the naming rules users know from Real-ESRGAN's tools.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "resr/status.hpp"

namespace resr {

struct UpscaleJob {
  std::filesystem::path input;
  std::filesystem::path output;
};

struct JobListOptions {
  std::filesystem::path input;
  std::optional<std::filesystem::path> output;  // -o; empty: beside the input with the suffix
  bool recursive = false;                       // -r: include subfolders, mirrored in the output
  std::string format;          // -f: "png", "jpg", "webp"...; empty keeps the input's
  std::string suffix = "out";  // photo.png -> photo_out.png, dir -> dir_out/
};

struct JobList {
  std::vector<UpscaleJob> jobs;
  bool from_folder = false;  // -i named a folder
};

// Image extensions a folder run picks up (lower case, with the dot).
bool is_input_image_extension(const std::string& extension);
// The output extension for a wanted format or input extension: the same when
// it is one we can write, ".png" otherwise.
std::string output_extension_for(const std::string& format_or_extension);

Result<JobList> plan_jobs(const JobListOptions& options);

}  // namespace resr
