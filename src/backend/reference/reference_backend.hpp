// The reference backend: plain, obviously-correct C++ in fp32. It is the oracle
// every other backend is tested against, so it favours clarity over speed
// (loops are ordered so the compiler can vectorise them, nothing more).
#pragma once

#include <memory>

#include "backend/backend.hpp"

namespace resr {

std::unique_ptr<Backend> make_reference_backend();

}  // namespace resr
