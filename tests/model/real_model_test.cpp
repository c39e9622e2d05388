// The real Real-ESRGAN weights on real photos: the cpu backend must agree
// with the reference backend after 8-bit quantisation, as users see it.
#include <gtest/gtest.h>
#include <vips/vips.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "backend/backend.hpp"
#include "image/image_loader.hpp"
#include "model/model.hpp"
#include "model/zoo/model_directory.hpp"

namespace resr {
namespace {

// An 8-bit RGB photo as the model input, decoded by the project's own loader.
Tensor load_rgb(const std::string& path) {
  auto image = open_image(path);
  EXPECT_TRUE(image.is_ok()) << image.status().message();
  size_t size = 0;
  auto* px = static_cast<uint8_t*>(vips_image_write_to_memory(image->pixels(), &size));
  const int w = image->info().width, h = image->info().height;
  EXPECT_EQ(size, static_cast<size_t>(w) * h * 3);
  Tensor t = Tensor::chw(3, h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) t.at(c, y, x) = px[(y * w + x) * 3 + c] / 255.0f;
  g_free(px);
  return t;
}

std::vector<int> quantize(const Tensor& t) {
  std::vector<int> q(t.data.size());
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = static_cast<int>(std::lround(std::clamp(t.data[i], 0.0f, 1.0f) * 255.0f));
  return q;
}

class RealModelTest : public testing::TestWithParam<std::string> {};

TEST_P(RealModelTest, CpuBackendMatchesReferenceOnARealPhoto) {
  const std::filesystem::path dir = resolve_models_directory("");
  auto path = resolve_model_argument(GetParam(), dir);
  ASSERT_TRUE(path.is_ok()) << path.status().message()
                            << " (run `real-esrgan-serve models fetch all` first)";
  auto model = load_model(*path);
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  const Tensor photo = load_rgb(std::string(RESR_TEST_DATA) + "/photos/coffee_48x40.png");

  std::vector<std::vector<int>> outputs;
  for (const std::string name : {"reference", "cpu"}) {
    auto backend = make_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    auto compiled = (*backend)->compile((*model)->graph, {});
    ASSERT_TRUE(compiled.is_ok()) << compiled.status().message();
    auto out = (*compiled)->new_session()->run(photo);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    ASSERT_EQ(out->shape, (std::vector<int64_t>{3, 160, 192}));
    outputs.push_back(quantize(*out));
  }
  size_t same = 0;
  int worst = 0;
  for (size_t i = 0; i < outputs[0].size(); ++i) {
    same += outputs[0][i] == outputs[1][i];
    worst = std::max(worst, std::abs(outputs[0][i] - outputs[1][i]));
  }
  const double fraction = static_cast<double>(same) / outputs[0].size();
  RecordProperty("identical_fraction", std::to_string(fraction));
  EXPECT_GE(fraction, 0.999) << GetParam();
  EXPECT_LE(worst, 1) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Zoo, RealModelTest,
                         testing::Values("realesrgan-x4plus", "realesr-general-x4v3"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace resr
